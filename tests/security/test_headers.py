"""The Content-Security-Policy holds on every page: no inline script without the response's
nonce, no inline style or event-handler attribute (style-src 'self'), in our templates and in
the pages as served. Emails and PDFs are not web pages and are exempt."""

import re
from html.parser import HTMLParser
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.http import urlencode

import pytest

from payments import services as payments
from tests.dossiers.factories import PNG_BYTES, DossierComponentFactory, agency_staff
from tests.payments.conftest import SECRET, TMN_CODE, ipn_params
from tests.payments.factories import DossierFactory
from tests.procedures.factories import FeeFactory, FieldFactory, ProcedureFactory
from tests.tracking.factories import DossierEventFactory

pytestmark = pytest.mark.django_db

NONCE = re.compile(r"'nonce-([^']+)'")
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json", "text/template"}


class _Scan(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.scripts: list[dict] = []
        self.styled: list[str] = []
        self.handlers: list[str] = []
        self.style_blocks = 0

    def handle_starttag(self, tag, attrs):
        attrs_d = dict(attrs)
        if tag == "script":
            self.scripts.append(attrs_d)
        if tag == "style":
            self.style_blocks += 1
        if "style" in attrs_d:
            self.styled.append(f"<{tag} style={attrs_d['style']!r}>")
        self.handlers += [f"<{tag} {name}>" for name, _v in attrs if name.startswith("on")]


def assert_csp_holds(response, *, url: str) -> str | None:
    """Check one page; return the nonce its header carries, if the page used one."""
    csp = response.headers.get("Content-Security-Policy", "")
    assert "script-src 'self'" in csp, url
    assert "style-src 'self'" in csp and "unsafe-inline" not in csp, url
    # Django adds the nonce to the header only when the page used it.
    found = NONCE.search(csp)
    nonce = found.group(1) if found else None
    scan = _Scan()
    scan.feed(response.content.decode())
    for script in scan.scripts:
        if script.get("type") in DATA_SCRIPT_TYPES:
            continue  # data, never executed
        if "src" not in script:
            assert nonce and script.get("nonce") == nonce, f"{url}: inline script without nonce"
        elif "nonce" in script:
            assert script["nonce"] == nonce, f"{url}: a stale nonce"
    assert not scan.styled, f"{url}: inline style attributes {scan.styled[:3]}"
    assert not scan.handlers, f"{url}: inline event handlers {scan.handlers[:3]}"
    assert scan.style_blocks == 0, f"{url}: a <style> block"
    return nonce


@pytest.fixture
def world(settings):
    """A published procedure, a citizen with a dossier awaiting payment, an officer."""
    settings.STAFF_MFA_REQUIRED = False
    settings.VNPAY_TMN_CODE = TMN_CODE
    settings.VNPAY_HASH_SECRET = SECRET
    field = FieldFactory()
    procedure = ProcedureFactory(field=field)
    DossierComponentFactory(procedure=procedure, required=True, file_types=["pdf"])
    FeeFactory(procedure=procedure, amount=50_000)
    dossier = DossierFactory(procedure=procedure)
    DossierEventFactory(dossier=dossier)
    officer = agency_staff(procedure.agency, superuser=True)
    notice = payments.fee_notice_issue(
        dossier_id=dossier.pk, items=[("Lệ phí", 50_000)], actor=officer
    )
    payment = payments.payment_receipt_submit(
        fee_notice_id=notice.pk,
        user=dossier.applicant,
        file=SimpleUploadedFile("bien-lai.png", PNG_BYTES),
    )
    # A second dossier of the citizen, paid online: the gateway's return page uses the nonce.
    other = DossierFactory(procedure=procedure, applicant=dossier.applicant)
    other_notice = payments.fee_notice_issue(
        dossier_id=other.pk, items=[("Lệ phí", 50_000)], actor=officer
    )
    online = payments.payment_start_online(
        fee_notice_id=other_notice.pk, user=other.applicant, provider="vnpay", bank_code="NCB"
    )
    return {
        "online": online,
        "other_notice": other_notice,
        "field": field,
        "procedure": procedure,
        "dossier": dossier,
        "citizen": dossier.applicant,
        "officer": officer,
        "notice": notice,
        "payment": payment,
    }


def _public_urls(w) -> list[str]:
    return [
        reverse("procedures:home"),
        reverse("procedures:list") + "?q=giay+phep",
        reverse("procedures:field", args=[w["field"].slug]),
        reverse("procedures:detail", args=[w["procedure"].slug]),
        reverse("tracking:lookup") + f"?code={w['dossier'].code}",
        reverse("tracking:statistics"),
        reverse("account_login"),
        reverse("account_signup"),
        reverse("account_reset_password"),
        "/no-such-page/",
    ]


def _citizen_urls(w) -> list[str]:
    d = w["dossier"]
    return [
        reverse("accounts:me"),
        reverse("accounts:profile"),
        reverse("accounts:notifications"),
        reverse("dossiers:list"),
        reverse("dossiers:detail", args=[d.pk]),
        reverse("dossiers:create", args=[w["procedure"].slug]),
        reverse("payments:dossier", args=[d.pk]),
        reverse("payments:online_start", args=[w["other_notice"].pk]),
        reverse("payments:vnpay_return") + "?" + urlencode(ipn_params(w["online"])),
        reverse("account_change_password"),
        reverse("account_email"),
        reverse("mfa_index"),
    ]


def _staff_urls(w) -> list[str]:
    d, p = w["dossier"], w["payment"]
    return [
        "/admin/",
        "/admin/dossiers/dossier/",
        f"/admin/dossiers/dossier/{d.pk}/change/",
        "/admin/payments/payment/",
        f"/admin/payments/payment/{p.pk}/change/",
        f"/admin/payments/payment/{p.pk}/confirm-receipt/",
        f"/admin/payments/payment/{p.pk}/reject-receipt/",
        f"/admin/payments/feenotice/{w['notice'].pk}/change/",
        "/admin/accounts/auditentry/",
        "/admin/procedures/procedure/",
        f"/admin/procedures/procedure/{w['procedure'].pk}/change/",
        "/admin/tracking/rating/",
    ]


def test_public_pages_keep_the_policy(client, world):
    for url in _public_urls(world):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        assert_csp_holds(response, url=url)


def test_the_citizens_pages_keep_the_policy(client, world):
    client.force_login(world["citizen"])
    nonces = []
    for url in _citizen_urls(world):
        response = client.get(url)
        assert response.status_code == 200, url
        nonces.append(assert_csp_holds(response, url=url))
    used = [n for n in nonces if n]
    assert used, "the gateway return page runs its script under the nonce"
    assert len(set(used)) == len(used), "a fresh nonce per response"


def test_the_dossier_form_with_errors_keeps_the_policy(client, world):
    client.force_login(world["citizen"])
    url = reverse("dossiers:create", args=[world["procedure"].slug])
    component = world["procedure"].components.get()
    response = client.post(
        url,
        {
            "form_token": "6f1c2b7a-8d3e-4f5a-9b0c-1d2e3f4a5b6c",
            "action": "submit",
            f"component_{component.pk}": SimpleUploadedFile("a.pdf", b"<html>"),
        },
    )
    assert response.status_code == 200
    assert_csp_holds(response, url=url)


def test_the_staff_pages_keep_the_policy(client, world):
    client.force_login(world["officer"])
    for url in _staff_urls(world):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_csp_holds(response, url=url)


def test_the_rate_limit_pages_keep_the_policy(client, settings):
    settings.LOOKUP_RATE_LIMIT = 0
    settings.ADMIN_LOGIN_RATE_LIMIT = 0
    for url in (reverse("tracking:lookup") + "?code=X", "/admin/login/"):
        response = client.get(url)
        assert response.status_code == 429, url
        assert_csp_holds(response, url=url)


def _our_templates() -> list[Path]:
    base = Path(settings.BASE_DIR)
    roots = [base / "templates", *base.glob("*/templates")]
    found = []
    for root in roots:
        if ".venv" in root.parts:
            continue
        for path in root.rglob("*.html"):
            relative = path.relative_to(root).as_posix()
            if relative.startswith("emails/") or "pdf" in relative:
                continue  # not web pages: emails and WeasyPrint documents
            found.append(path)
    return found


def test_no_template_has_an_inline_style_handler_or_unnonced_script():
    templates = _our_templates()
    assert len(templates) > 30
    problems = []
    for path in templates:
        text = path.read_text(encoding="utf-8")
        if re.search(r"\sstyle\s*=", text):
            problems.append(f"{path}: style attribute")
        if re.search(r"<style[\s>]", text):
            problems.append(f"{path}: <style> block")
        if re.search(r"\son[a-z]+\s*=\s*[\"']", text):
            problems.append(f"{path}: inline event handler")
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and "nonce=" not in tag and "application/json" not in tag:
                problems.append(f"{path}: inline script without a nonce")
    assert not problems, problems
