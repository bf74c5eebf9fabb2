"""How the applicant receives the result: chosen on the dossier form, printed on the receipt
slip, recorded by the desk when it returns the result (DESIGN §10)."""

import shutil

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

import pytest

from accounts.models import AuditEntry, Notification, OutgoingEmail
from dossiers import documents, services
from dossiers.constants import DossierStatus, ResultDelivery
from dossiers.groups import PROCESSING_GROUP, RECEPTION_GROUP
from dossiers.models import Dossier
from dossiers.services import DossierError

from .factories import AgencyFactory, DossierFactory, ProcedureFactory, agency_staff
from .test_documents import dossier as slip_dossier  # noqa: F401, F811 (the fixture)
from .test_documents import pdf_text
from .test_views import _components, _pdf, _valid_post, procedure  # noqa: F401

pytestmark = pytest.mark.django_db
S = DossierStatus
POST_ERROR = (
    "Enter the postal address the result should be sent to, or choose another way to receive it."
)


def _submit(client, procedure, **overrides):  # noqa: F811
    required, _photos = _components(procedure)
    data = _valid_post(procedure, **overrides)
    data[f"component_{required.pk}"] = _pdf()
    with translation.override("en"):
        return client.post(
            reverse("dossiers:create", args=[procedure.slug]), data, HTTP_ACCEPT_LANGUAGE="en"
        )


def test_the_form_offers_the_three_ways_with_the_profile_address_prefilled(
    client,
    citizen,
    procedure,  # noqa: F811
):
    citizen.address = "7 Tràng Thi, Hà Nội"
    citizen.save()
    html = client.get(reverse("dossiers:create", args=[procedure.slug])).content.decode()
    for value in ("desk", "post", "online"):
        assert f'name="result_delivery" value="{value}"' in html
    checked = [i for i in html.split("<input") if "checked" in i and "result_delivery" in i]
    assert len(checked) == 1 and 'value="desk"' in checked[0]
    assert 'name="delivery_address" value="7 Tràng Thi, Hà Nội"' in html
    assert "js/delivery.js" in html
    assert "<legend" in html


def test_post_without_an_address_is_refused_and_the_answers_are_kept(
    client,
    citizen,
    procedure,  # noqa: F811
):
    response = _submit(
        client, procedure, result_delivery="post", delivery_address="", phone="0987654321"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert POST_ERROR in html
    # Linked from the error summary to the field.
    assert '<a href="#id_delivery_address">' in html
    saved = Dossier.objects.get()
    assert saved.status == S.DRAFT
    assert saved.phone == "0987654321"
    assert saved.result_delivery == ResultDelivery.POST
    assert 'value="0987654321"' in html


def test_the_message_is_in_vietnamese_by_default(client, citizen, procedure):  # noqa: F811
    required, _photos = _components(procedure)
    data = _valid_post(procedure, result_delivery="post", delivery_address="")
    data[f"component_{required.pk}"] = _pdf()
    with translation.override("vi"):
        response = client.post(
            reverse("dossiers:create", args=[procedure.slug]), data, HTTP_ACCEPT_LANGUAGE="vi"
        )
    html = response.content.decode()
    assert "Nhập địa chỉ để gửi kết quả qua bưu chính" in html


def test_the_choice_is_saved_and_shown_on_the_dossier_page(client, citizen, procedure):  # noqa: F811
    response = _submit(
        client, procedure, result_delivery="post", delivery_address="5 Hàng Bông, Hà Nội"
    )
    assert response.status_code == 302
    saved = Dossier.objects.get()
    assert saved.status == S.SUBMITTED
    assert (saved.result_delivery, saved.delivery_address) == ("post", "5 Hàng Bông, Hà Nội")
    with translation.override("en"):
        html = client.get(saved.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Receiving the result" in html
    assert "By post: 5 Hàng Bông, Hà Nội" in html


def test_a_draft_keeps_the_choice_when_resumed(client, citizen, procedure):  # noqa: F811
    response = _submit(client, procedure, result_delivery="online", action="save")
    assert response.status_code == 302
    saved = Dossier.objects.get()
    assert saved.result_delivery == ResultDelivery.ONLINE
    html = client.get(reverse("dossiers:edit", args=[saved.pk])).content.decode()
    assert 'value="online"' in html
    checked = [i for i in html.split("<input") if "checked" in i and "result_delivery" in i]
    assert len(checked) == 1 and 'value="online"' in checked[0]


@pytest.mark.parametrize(
    ("delivery", "address", "expected"),
    [
        ("desk", "", "18 Nguyễn Du, Hà Nội; bản điện tử trên"),
        ("post", "9 Phố Huế, Hà Nội", "gửi đến địa chỉ 9 Phố Huế, Hà Nội"),
        ("online", "", "trực tuyến, tải về trên"),
    ],
)
def test_the_receipt_slip_says_where_to_collect_the_result(
    slip_dossier,  # noqa: F811
    delivery,
    address,
    expected,
):
    slip_dossier.result_delivery = delivery
    slip_dossier.delivery_address = address
    slip_dossier.save()
    html = render_to_string(
        "dossiers/pdf/receipt.html", documents.slip_context(slip_dossier, "receipt")
    )
    assert expected in " ".join(html.split())
    if shutil.which("pdftotext"):
        pdf = documents.dossier_slip_pdf(dossier=slip_dossier, kind="receipt")
        assert expected in " ".join(pdf_text(pdf).split())


def test_a_new_dossier_is_collected_at_the_desk_by_default():
    assert DossierFactory().result_delivery == ResultDelivery.DESK


# --- The desk records the delivery ---------------------------------------------------------


@pytest.fixture
def by_post(db):
    agency = AgencyFactory(code="VBC")
    dossier = DossierFactory(
        procedure=ProcedureFactory(agency=agency),
        status=S.APPROVED,
        code="VBC-270310-0009",
        result_delivery=ResultDelivery.POST,
        delivery_address="5 Hàng Bông, Hà Nội",
    )
    officer = agency_staff(agency, groups=(RECEPTION_GROUP, PROCESSING_GROUP))
    return dossier, officer


def _return_step(client, dossier, **data):
    with translation.override("en"):
        return client.post(
            reverse("admin:dossiers_dossier_step", args=[dossier.pk, "return_result"]),
            {"expected_status": S.APPROVED, **data},
            HTTP_ACCEPT_LANGUAGE="en",
        )


def test_the_return_step_offers_the_applicants_choice(client, staff_settings, by_post):
    dossier, officer = by_post
    client.force_login(officer)
    url = reverse("admin:dossiers_dossier_step", args=[dossier.pk, "return_result"])
    with translation.override("en"):
        html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    checked = [i for i in html.split("<input") if "checked" in i and "delivered_via" in i]
    assert len(checked) == 1 and 'value="post"' in checked[0]
    assert "5 Hàng Bông, Hà Nội" in html
    assert 'name="waybill_number"' in html


def test_the_return_step_requires_a_waybill_number_for_post(client, staff_settings, by_post):
    dossier, officer = by_post
    client.force_login(officer)
    response = _return_step(client, dossier, delivered_via="post", waybill_number="  ")
    assert response.status_code == 200
    assert "Enter the postal tracking number of the result sent by post." in (
        response.content.decode()
    )
    dossier.refresh_from_db()
    assert dossier.status == S.APPROVED
    assert (dossier.delivered_via, dossier.waybill_number) == ("", "")


def test_the_service_refuses_post_without_a_waybill_number_and_changes_nothing(by_post):
    dossier, officer = by_post
    # Not told how: the applicant's choice (post) applies, and post needs its number.
    with pytest.raises(DossierError, match="tracking number"):
        services.dossier_return_result(dossier_id=dossier.pk, actor=officer)
    dossier.refresh_from_db()
    assert dossier.status == S.APPROVED
    assert not dossier.events.filter(action="return_result").exists()
    entry = AuditEntry.objects.get(action="dossier_return_result")
    assert not entry.succeeded


def test_the_waybill_number_reaches_the_applicant(
    client, staff_settings, by_post, django_capture_on_commit_callbacks, mailoutbox
):
    dossier, officer = by_post
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = _return_step(
            client, dossier, delivered_via="post", waybill_number=" EL123456789VN "
        )
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == S.RETURNED
    assert (dossier.delivered_via, dossier.waybill_number) == ("post", "EL123456789VN")
    # By email…
    assert len(mailoutbox) == 1
    assert dossier.code in mailoutbox[0].subject
    assert "EL123456789VN" in mailoutbox[0].body
    assert "5 Hàng Bông, Hà Nội" in mailoutbox[0].body
    # …as a notification on the personal page…
    notification = Notification.objects.get(user=dossier.applicant)
    assert notification.link == dossier.get_absolute_url()
    # …and on the dossier page.
    client.force_login(dossier.applicant)
    with translation.override("en"):
        html = client.get(dossier.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Result delivered" in html
    assert "EL123456789VN" in html


def test_a_result_collected_at_the_desk_needs_no_waybill_number(by_post, mailoutbox):
    dossier, officer = by_post
    services.dossier_return_result(
        dossier_id=dossier.pk, actor=officer, delivered_via="desk", waybill_number="EL1"
    )
    dossier.refresh_from_db()
    assert dossier.status == S.RETURNED
    assert (dossier.delivered_via, dossier.waybill_number) == ("desk", "")


def test_the_returned_email_is_in_vietnamese_with_the_waybill_number(by_post):
    dossier, officer = by_post
    dossier.applicant.language = "vi"
    dossier.applicant.save()
    services.dossier_return_result(
        dossier_id=dossier.pk, actor=officer, delivered_via="post", waybill_number="EL9"
    )
    email = OutgoingEmail.objects.get()
    assert "Kết quả giải quyết hồ sơ VBC-270310-0009 đã được trả" in email.subject
    assert "Mã vận đơn bưu chính: EL9" in email.body_text
    assert "EL9" in email.body_html
