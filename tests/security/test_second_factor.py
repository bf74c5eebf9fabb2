"""Staff and superusers without an active TOTP open no page that shows agency data.

The test walks every URL pattern the portal resolves (admin, citizen pages, payments, allauth…)
and asks each one as a staff member without TOTP: every page is refused with a redirect to the
TOTP enrolment, except allauth's own account pages and the public pages listed below. A page
added later that serves a dossier, file, slip, result, payment or receipt is refused unless
someone deliberately opens it here, and the list below refuses any such page.
"""

import re
import uuid
from urllib.parse import urlsplit

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, resolve, reverse

import pytest
from allauth.mfa.models import Authenticator

from dossiers.constants import DossierStatus
from dossiers.groups import RECEPTION_GROUP
from payments import services as payments
from tests.dossiers.factories import PDF_BYTES, PNG_BYTES, AttachmentFactory, agency_staff
from tests.payments.factories import DossierFactory
from tests.procedures.factories import FeeFactory

pytestmark = pytest.mark.django_db

# The pages a staff member reaches before enrolling TOTP (besides allauth's account pages):
# what the public sees, the language switch, the health check, the staff invitation.
PUBLIC_PAGES = {
    "procedures:home",
    "procedures:list",
    "procedures:field",
    "procedures:detail",
    "procedures:template",
    "tracking:lookup",
    "tracking:history",
    "tracking:statistics",
    "signing:verify",
    "signing:verify_reference",
    "healthz",
    "set_language",
    "set_language_get",
    "admin_login",
    "accounts:staff_invitation",
}
# A URL argument or name that says the page serves agency data.
AGENCY_DATA_ARGUMENTS = {"pk", "dossier_id", "attachment_id", "payment_id", "fee_notice_id"}
AGENCY_DATA_WORDS = re.compile(r"dossier|file|slip|result|payment|receipt|notice|confirmation")
ARGUMENT = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>")


def _patterns(resolver=None, prefix="", namespace=""):
    """(route, qualified name, view) of every URL pattern, nested includes flattened."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            ns = ":".join(filter(None, [namespace, entry.namespace or ""]))
            yield from _patterns(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = ":".join(filter(None, [namespace, entry.name or ""])) if entry.name else ""
            yield prefix + str(entry.pattern), name, entry.callback


def _arguments(route: str) -> list[str]:
    return [a or b for a, b in ARGUMENT.findall(route)]


def _serves_agency_data(route: str, name: str) -> bool:
    return bool(AGENCY_DATA_ARGUMENTS & set(_arguments(route))) or bool(
        AGENCY_DATA_WORDS.search(name.split(":")[-1])
    )


@pytest.fixture
def agency_records():
    """A dossier of one agency with every kind of record the citizen URLs serve."""
    dossier = DossierFactory(status=DossierStatus.PROCESSING)
    FeeFactory(procedure=dossier.procedure, amount=50_000)
    notice = payments.fee_notice_issue(
        dossier_id=dossier.pk, items=[("Lệ phí", 50_000)], actor=agency_staff(dossier.agency)
    )
    payment = payments.payment_receipt_submit(
        fee_notice_id=notice.pk,
        user=dossier.applicant,
        file=SimpleUploadedFile("bien-lai.png", PNG_BYTES),
    )
    dossier.refresh_from_db()
    dossier.status = DossierStatus.APPROVED
    dossier.result_file.save("ket-qua.pdf", ContentFile(PDF_BYTES), save=False)
    dossier.result_name = "ket-qua.pdf"
    dossier.save()
    return {
        "dossier": dossier,
        "attachment": AttachmentFactory(dossier=dossier),
        "notice": notice,
        "payment": payment,
    }


def _values(records) -> dict[str, object]:
    d = records["dossier"]
    return {
        "pk": d.pk,
        "dossier_id": d.pk,
        "object_id": d.pk,
        "attachment_id": records["attachment"].pk,
        "payment_id": records["payment"].pk,
        "fee_notice_id": records["notice"].pk,
        "kind": "receipt",
        "slug": d.procedure.slug,
        "component_id": 1,
        "step_name": "reject",
        "app_label": "dossiers",
        "content_type_id": 1,
        "lang": "en",
        "token": uuid.uuid4(),
        "reference": uuid.uuid4(),
        "key": "x",
        "url": "x",
    }


def _url(route: str, name: str, values: dict) -> str:
    kwargs = {arg: values.get(arg, 1) for arg in _arguments(route)}
    if name:
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            kwargs = {k: str(v) if k == "token" else v for k, v in kwargs.items()}
            return reverse(name, kwargs=kwargs)
    # An unnamed pattern (the admin's catch-all): its route with the values written in.
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values.get(m.group(1), 1)), route)
    return "/" + re.sub(r"\(\?P<\w+>[^)]*\)|[\^$]", "x", path).lstrip("/")


def _refused(response) -> bool:
    return response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")


def test_the_public_list_is_the_setting_and_serves_no_agency_data(settings):
    assert settings.STAFF_SECOND_FACTOR_EXEMPT_VIEWS == PUBLIC_PAGES
    for route, name, _view in _patterns():
        if name in PUBLIC_PAGES:
            assert not _serves_agency_data(route, name), name


@pytest.mark.parametrize("superuser", [True, False], ids=["superuser", "agency officer"])
def test_staff_without_totp_are_refused_every_page_with_agency_data(
    client, settings, agency_records, superuser
):
    settings.STAFF_MFA_REQUIRED = True
    staff = agency_staff(agency_records["dossier"].agency, superuser=superuser)
    client.force_login(staff)
    values = _values(agency_records)
    walked = refused = 0
    agency_pages = set()
    for route, name, _view in _patterns():
        url = _url(route, name, values)
        response = client.get(url)
        walked += 1
        if _serves_agency_data(route, name) and not name.endswith(":login"):
            agency_pages.add(name or route)
        if _refused(response):
            refused += 1
            continue
        # What answered (a pattern can be shadowed by an earlier one: the admin's own login).
        match = resolve(urlsplit(url).path)
        opened = match.func.__module__.startswith("allauth.") or match.view_name in PUBLIC_PAGES
        assert opened, f"{url} ({name or route}) opens without TOTP: {response.status_code}"
        assert not _serves_agency_data(route, match.view_name), url
    # The walk did reach the citizen URLs that also serve staff, and the admin.
    for expected in [
        "dossiers:file",
        "dossiers:result",
        "dossiers:slip",
        "dossiers:detail",
        "payments:dossier",
        "payments:receipt_file",
        "payments:confirmation_pdf",
        "admin:dossiers_dossier_change",
        "admin:payments_feenotice_add",
    ]:
        assert expected in agency_pages, expected
    assert walked > 100 and refused > 80


def test_the_refusal_says_why_in_the_reader_language(client, settings, agency_records):
    settings.STAFF_MFA_REQUIRED = True
    client.force_login(agency_staff(agency_records["dossier"].agency))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    url = reverse("dossiers:result", args=[agency_records["dossier"].pk])
    response = client.get(url, follow=True)
    assert response.redirect_chain[0][0] == reverse("mfa_activate_totp")
    text = " ".join(str(m) for m in response.context["messages"])
    assert "xác thực hai yếu tố" in text


@pytest.mark.parametrize("superuser", [True, False], ids=["superuser", "agency officer"])
def test_staff_with_totp_open_their_agency_dossier_pages(
    client, settings, agency_records, superuser
):
    settings.STAFF_MFA_REQUIRED = True
    staff = agency_staff(
        agency_records["dossier"].agency, superuser=superuser, groups=[RECEPTION_GROUP]
    )
    Authenticator.objects.create(user=staff, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client.force_login(staff)
    values = _values(agency_records)
    for route, name, _view in _patterns():
        if not name or name.startswith("admin:") or not _serves_agency_data(route, name):
            continue
        response = client.get(_url(route, name, values))
        assert not _refused(response), name
    d = agency_records["dossier"]
    for url in [
        reverse("dossiers:file", args=[d.pk, agency_records["attachment"].pk]),
        reverse("dossiers:result", args=[d.pk]),
        reverse("dossiers:slip", args=[d.pk, "receipt"]),
        reverse("admin:dossiers_dossier_change", args=[d.pk]),
    ]:
        assert client.get(url).status_code == 200, url


def test_recovery_codes_alone_are_not_a_second_factor(client, settings, agency_records):
    settings.STAFF_MFA_REQUIRED = True
    staff = agency_staff(agency_records["dossier"].agency)
    Authenticator.objects.create(
        user=staff, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "x"}
    )
    client.force_login(staff)
    assert _refused(client.get(reverse("dossiers:result", args=[agency_records["dossier"].pk])))
