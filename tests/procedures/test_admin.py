import re

from django.contrib import admin
from django.urls import reverse
from django.utils import translation

import pytest

from procedures.admin import ProcedureAdmin
from procedures.models import Procedure, StaffMembership

from .factories import AgencyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, django_user_model, settings):
    settings.STAFF_MFA_REQUIRED = False
    admin = django_user_model.objects.create_superuser(email="admin@example.gov.vn", password="x")
    client.force_login(admin)
    return client


def test_procedure_changelist_filters_and_search(staff_client, catalogue):
    url = reverse("admin:procedures_procedure_changelist")

    response = staff_client.get(url, {"q": "buu chinh", "service_level__exact": "full"})

    assert response.status_code == 200
    assert [p.name for p in response.context["cl"].result_list] == ["Cấp giấy phép bưu chính"]
    html = response.content.decode()
    for lookup in [
        "field__id__exact",
        "agency__id__exact",
        "is_published__exact",
        "is_sample__exact",
    ]:
        assert lookup in html
    assert f'href="{reverse("procedures:detail", args=["1-004477"])}"' in html


def test_procedure_change_page_has_inlines_and_preview_link(staff_client, catalogue):
    procedure = catalogue["1.004477"]
    url = reverse("admin:procedures_procedure_change", args=[procedure.pk])

    response = staff_client.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    for prefix in [
        "steps-TOTAL_FORMS",
        "components-TOTAL_FORMS",
        "form_fields-TOTAL_FORMS",
        "fees-TOTAL_FORMS",
    ]:
        assert prefix in html
    assert procedure.search_text in html  # read-only
    assert 'name="search_text"' not in html
    assert f'href="{procedure.get_absolute_url()}"' in html


def test_unpublishing_in_admin_hides_the_public_page(staff_client, client, catalogue):
    procedure = catalogue["1.004470"]
    url = reverse("admin:procedures_procedure_changelist")
    Procedure.objects.filter(pk=procedure.pk).update(is_published=False)

    response = staff_client.get(url, {"is_published__exact": "0"})

    assert [p.pk for p in response.context["cl"].result_list] == [procedure.pk]
    with translation.override("en"):
        link = ProcedureAdmin(Procedure, admin.site).public_link(
            Procedure.objects.get(pk=procedure.pk)
        )
    assert "Preview (not published)" in link
    assert procedure.get_absolute_url() in link


def test_agency_admin_has_staff_inline_and_membership_admin_works(staff_client, django_user_model):
    agency = AgencyFactory(code="VBC")
    officer = django_user_model.objects.create_user(email="canbo@example.gov.vn", password="x")

    response = staff_client.get(reverse("admin:procedures_agency_change", args=[agency.pk]))
    assert response.status_code == 200
    assert "staff-TOTAL_FORMS" in response.content.decode()

    response = staff_client.post(
        reverse("admin:procedures_staffmembership_add"), {"user": officer.pk, "agency": agency.pk}
    )
    assert response.status_code == 302
    assert StaffMembership.objects.get(user=officer).agency == agency
    changelist = staff_client.get(reverse("admin:procedures_staffmembership_changelist"))
    assert "canbo@example.gov.vn" in changelist.content.decode()


def test_field_admin_counts_procedures(staff_client, catalogue):
    response = staff_client.get(reverse("admin:procedures_field_changelist"))

    assert response.status_code == 200
    counts = {f.slug: f._procedure_count for f in response.context["cl"].result_list}
    assert counts == {"buu-chinh": 2, "vien-thong": 1}


# Django admin's one form row for a tuple of fields.
SIDE_BY_SIDE = 'class="form-row flex-container form-multiline field-{0} field-{0}_en"'


def test_every_catalogue_text_is_edited_beside_its_english_version(staff_client, catalogue):
    procedure = catalogue["1.004477"]

    html = staff_client.get(
        reverse("admin:procedures_procedure_change", args=[procedure.pk])
    ).content.decode()
    agency_html = staff_client.get(
        reverse("admin:procedures_agency_change", args=[procedure.agency.pk])
    ).content.decode()
    field_html = staff_client.get(
        reverse("admin:procedures_field_change", args=[procedure.field.pk])
    ).content.decode()

    # One form row holds both languages of a text.
    for name in ("name", "applicants", "content", "conditions", "result", "legal_basis"):
        assert SIDE_BY_SIDE.format(name) in html, name
    for prefix, name in (
        ("components-0", "name"),
        ("components-0", "description"),
        ("form_fields-0", "label"),
        ("form_fields-0", "help"),
        ("form_fields-0", "choices"),
    ):
        assert SIDE_BY_SIDE.format(name) in html, f"{prefix} {name}"
        assert f'name="{prefix}-{name}_en"' in html
    # Tabular inlines: the English column right after the Vietnamese one.
    assert re.search(r'name="steps-0-text".*?name="steps-0-text_en"', html, re.S)
    assert re.search(r'name="fees-0-name".*?name="fees-0-name_en"', html, re.S)
    assert SIDE_BY_SIDE.format("name") in agency_html
    assert SIDE_BY_SIDE.format("name") in field_html
