"""The whole journey as people live it, in a real browser against the real stack.

gunicorn serves the portal and a Celery worker sends the mail and the bank's IPN, both as
separate processes on PostgreSQL and Redis; emails land in an SMTP server on loopback. Every
page visited passes axe-core, no text box of a citizen page runs out of its container at
desktop width or on a 390×844 phone screen, and each step leaves a screenshot (desktop and, for
citizens, phone) in test-artifacts/. The journey runs once per language.
"""

import re
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext

import pytest
from allauth.mfa.models import Authenticator

from accounts.models import User
from dossiers.constants import DossierStatus
from dossiers.models import Dossier
from procedures.models import Procedure, StaffMembership
from tests.journey.people import PASSWORD, PDF, TOTP_SECRET, staff_login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.services,
    pytest.mark.xdist_group("celery-worker"),
    pytest.mark.django_db(transaction=True),
]

PROCEDURE = "Đăng ký tên miền .gov.vn"
TEMPLATES = Path(settings.BASE_DIR) / "procedures" / "data" / "templates"


def _fill_required_inputs(page) -> None:
    """Answer the procedure's declared questions (whatever they are) with plausible values."""
    for field in page.locator("fieldset input[required], fieldset textarea[required]").all():
        kind = field.get_attribute("type") or "textarea"
        if kind in ("file", "radio", "checkbox", "hidden") or field.input_value():
            continue
        name = field.get_attribute("name") or ""
        value = {"number": "12", "date": "2026-12-01", "email": "hoa@example.com"}.get(kind)
        if "domain" in name:
            value = "thuvien-hanoi.gov.vn"
        field.fill(value or "Thư viện Hà Nội")
    for select in page.locator("fieldset select[required]").all():
        options = select.locator("option").all()
        select.select_option(index=1 if len(options) > 1 else 0)


@pytest.fixture
def catalogue_and_staff(transactional_db, settings):
    # The portal processes check passwords with the real hashers, not the tests' fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    call_command("load_catalogue", verbosity=0)
    procedure = Procedure.objects.get(name=PROCEDURE)
    staff = User.objects.create_user(
        email="motcua@vnnic.example.gov.vn",
        is_staff=True,
        full_name="Phạm Thu Hà",
    )
    StaffMembership.objects.create(user=staff, agency=procedure.agency)
    staff_login(staff, secret=TOTP_SECRET)
    assert Authenticator.objects.filter(user=staff).exists()
    return procedure, staff


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_whole_journey(
    lang,
    stack,
    mailbox,
    catalogue_and_staff,
    people,
    tmp_path,
    settings,
):
    procedure, staff = catalogue_and_staff

    def catalogue_name(obj) -> str:
        """A procedure's or agency's name as the journey's reader sees it (English or not)."""
        with translation.override(lang):
            return str(obj.display_name)

    files = {
        "don.pdf": PDF,
        "quyet-dinh.pdf": PDF.replace(b"%%EOF", b"% quyet dinh\n%%EOF"),
        "don-v2.pdf": PDF.replace(b"%%EOF", b"% phien ban 2\n%%EOF"),
        "ket-qua.pdf": PDF.replace(b"%%EOF", b"% ket qua\n%%EOF"),
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    email_address = f"hoa.{lang}@example.com"

    citizen = people("citizen", citizen=True)
    officer = people("officer", citizen=False)
    visitor = people("visitor", citizen=True)
    c, o, v = citizen.page, officer.page, visitor.page
    t = citizen.t

    # 1. Register, open the confirmation link from the email, get the activation email.
    c.goto(stack + "/")
    citizen.check("home")
    c.locator("header").get_by_role("link", name=t("Register")).click()
    c.wait_for_url("**/accounts/signup/")
    citizen.check("signup")
    c.fill("input[name=email]", email_address)
    c.fill("input[name=full_name]", "Lê Thị Hoa")
    c.select_option("select[name=applicant_type]", "person")
    c.fill("input[name=password1]", PASSWORD)
    c.fill("input[name=password2]", PASSWORD)
    c.locator("main form button[type=submit]").click()
    c.wait_for_url("**/accounts/confirm-email/")
    citizen.check("verification-sent")
    confirmation = mailbox.wait_for(email_address, r"/accounts/confirm-email/")
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", confirmation["body"]).group(0)
    c.goto(link)
    citizen.check("confirm-email")
    c.locator("main form button[type=submit]").click()
    c.wait_for_url("**/accounts/login/**")
    # By its subject: the confirmation's body also says the account will be active.
    activated = mailbox.wait_for(email_address, "^" + re.escape(t("Your account is active")))
    assert "/accounts/login/" in activated["body"] and PASSWORD not in activated["body"]

    # 2. Sign in.
    c.fill("input[name=login]", email_address)
    c.fill("input[name=password]", PASSWORD)
    c.locator("main form button[type=submit]").click()
    c.wait_for_url("**/me/")
    citizen.check("personal-page")

    # 3. Find the procedure by typing without accents, read it, start a dossier.
    c.goto(stack + "/")
    c.fill("main input[name=q]", "dang ky ten mien gov vn")
    c.locator("main form[role=search] button[type=submit]").first.click()
    c.wait_for_url("**/procedures/?q=*")
    citizen.check("search-results")
    c.get_by_role("link", name=catalogue_name(procedure)).first.click()
    c.wait_for_url(f"**/procedures/{procedure.slug}/")
    citizen.check("procedure")
    c.get_by_role("link", name=t("Submit a dossier")).first.click()
    c.wait_for_url(f"**/me/dossiers/new/{procedure.slug}/")
    citizen.check("dossier-form")

    # 4. Fill it in and submit it with two files.
    c.fill("input[name=citizen_id]", "001190012345")
    c.fill("input[name=phone]", "0912345678")
    c.fill("input[name=address]", "47 Bà Triệu, Hoàn Kiếm, Hà Nội")
    _fill_required_inputs(c)
    slots = c.locator("main input[type=file]")
    slots.nth(0).set_input_files(str(tmp_path / "don.pdf"))
    slots.nth(1).set_input_files(str(tmp_path / "quyet-dinh.pdf"))
    c.get_by_role("button", name=t("Submit the dossier")).click()
    c.wait_for_url(re.compile(r".*/me/dossiers/\d+/$"))
    dossier = Dossier.objects.get(applicant__email=email_address)
    assert dossier.status == DossierStatus.SUBMITTED
    assert dossier.attachments.count() == 2
    assert "don.pdf" in citizen.main_text() and "quyet-dinh.pdf" in citizen.main_text()
    citizen.check("submitted")
    dossier_url = c.url

    # 5. The officer signs in to the admin with a second factor and receives it.
    officer.sign_in_staff(stack, staff.email, secret=TOTP_SECRET)
    change_url = f"{stack}/admin/dossiers/dossier/{dossier.pk}/change/"
    o.goto(change_url)
    officer.check("admin-dossier")
    o.get_by_role("button", name=t("Receive (issue code and due date)")).click()
    o.locator(".messagelist").wait_for()
    officer.check("admin-received")
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.RECEIVED and dossier.code.startswith(
        procedure.agency.code
    )
    o.get_by_role("button", name=t("Start processing")).click()
    o.locator(".messagelist").wait_for()

    # 6. The citizen reads the code and due date in the email and the transaction list.
    due = dossier.due_date.strftime("%d/%m/%Y")

    def subject(message: str) -> str:
        return "^" + re.escape(message % {"code": dossier.code}) + "$"

    received = mailbox.wait_for(email_address, subject(t("Dossier received: %(code)s")))
    assert due in received["body"]
    assert f"/me/dossiers/{dossier.pk}/slips/receipt/" in received["body"]
    c.goto(stack + "/me/dossiers/")
    listing = citizen.main_text()
    assert dossier.code in listing and due in listing
    citizen.check("transaction-list")

    # 7. The officer asks to supplement one file; the citizen uploads a new version.
    o.goto(change_url)
    o.get_by_role("link", name=t("Request a supplement")).click()
    officer.check("supplement-form")
    component = procedure.components.filter(required=True).order_by("order", "id").first()
    o.fill("textarea[name=message]", "Đơn đề nghị chưa có chữ ký của thủ trưởng đơn vị.")
    o.get_by_label(component.name).check()
    o.locator("form.step-form input[type=submit]").click()
    o.locator(".messagelist").wait_for()
    asked = mailbox.wait_for(email_address, subject(t("Please supplement your dossier %(code)s")))
    assert "Đơn đề nghị chưa có chữ ký" in asked["body"]
    c.goto(dossier_url)
    assert "Đơn đề nghị chưa có chữ ký" in citizen.main_text()
    citizen.check("supplement-requested")
    c.get_by_role("link", name=t("Supplement the dossier")).click()
    citizen.check("supplement-answer")
    c.locator("main input[type=file]").first.set_input_files(str(tmp_path / "don-v2.pdf"))
    c.get_by_role("button", name=t("Send supplement")).click()
    c.wait_for_url(re.compile(r".*/me/dossiers/\d+/(#.*)?$"))
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.SUPPLEMENTED
    assert "don-v2.pdf" in citizen.main_text()
    citizen.check("supplemented")
    # The officer who asked is emailed that the answer is in, in the officer's language.
    with translation.override(staff.language):
        answered_subject = gettext("Dossier %(code)s has been supplemented")
    answered = mailbox.wait_for(staff.email, subject(answered_subject))
    assert f"/admin/dossiers/dossier/{dossier.pk}/change/" in answered["body"]

    # The officer sees both versions and continues processing.
    o.goto(change_url)
    admin_text = o.locator("#content").inner_text()
    assert "don.pdf" in admin_text and "don-v2.pdf" in admin_text
    officer.check("admin-supplemented")
    o.get_by_role(
        "button",
        name=re.compile(
            re.escape(t("Start processing"))
            + "|"
            + re.escape(t("Continue processing (new due date)"))
        ),
    ).first.click()
    o.locator(".messagelist").wait_for()
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.PROCESSING

    # 8. The officer issues the fee notice; the citizen pays online at the sandbox bank.
    o.goto(change_url)
    o.get_by_role("link", name=t("Issue a fee notice")).click()
    officer.check("fee-notice-form")
    o.locator("input[name=_save]").click()
    o.wait_for_url("**/admin/**")
    officer.check("fee-notice-issued")
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.AWAITING_PAYMENT
    mailbox.wait_for(email_address, subject(t("Fee notice for dossier %(code)s")))
    c.goto(dossier_url)
    citizen.check("fee-notice")
    c.locator("#payment").get_by_role("link", name=t("Pay online")).click()
    c.wait_for_url("**/online/")
    c.get_by_label(re.compile("NCB")).first.check()
    citizen.check("choose-bank")
    c.get_by_role("button", name=re.compile(f"^{re.escape(t('Pay'))}$")).click()
    c.wait_for_url("**/sandbox-bank/**/card/")
    citizen.check("sandbox-bank")
    c.get_by_label(re.compile("Số thẻ")).fill("9704198526191432198")
    c.get_by_label(re.compile("Tên chủ thẻ")).fill("NGUYEN VAN A")
    c.get_by_label(re.compile("Ngày phát hành")).fill("07/15")
    c.get_by_label(re.compile("Mã OTP")).fill("123456")
    c.get_by_role("button", name=re.compile("Xác nhận thanh toán")).click()
    c.wait_for_url("**/payments/vnpay/return/?*")
    # The IPN travels bank → Celery worker → portal; the page follows until it is paid.
    for _ in range(60):
        if t("Paid") in c.locator(".payment-state").inner_text():
            break
        time.sleep(0.5)
        c.reload()
    assert t("Paid") in c.locator(".payment-state").inner_text()
    citizen.check("paid")
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.PROCESSING
    mailbox.wait_for(email_address, subject(t("Payment confirmed for dossier %(code)s")))

    # 9. The officer approves with the result file; the citizen downloads it.
    o.goto(change_url)
    o.get_by_role("link", name=t("Approve with the result")).click()
    o.locator("input[type=file]").set_input_files(str(tmp_path / "ket-qua.pdf"))
    officer.check("approve")
    o.locator("form.step-form input[type=submit]").click()
    o.locator(".messagelist").wait_for()
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.APPROVED
    officer.check("approved")
    mailbox.wait_for(email_address, subject(t("The result of your dossier %(code)s is ready")))
    c.goto(dossier_url)
    citizen.check("result-ready")
    with c.expect_download() as download:
        c.get_by_role("link", name=re.compile(re.escape(t("Download the result")))).click()
    assert Path(download.value.path()).read_bytes() == files["ket-qua.pdf"]

    # 10. Anyone looks the code up and opens the processing history.
    v.goto(stack + "/")
    v.locator("header").get_by_role("link", name=t("Dossier lookup")).click()
    v.wait_for_url("**/lookup/")
    visitor.check("lookup")
    v.fill("main input[name=code]", " " + dossier.code.lower() + " ")
    v.locator("main form button[type=submit]").first.click()
    lookup_text = visitor.main_text()
    assert catalogue_name(procedure) in lookup_text
    assert catalogue_name(procedure.agency) in lookup_text
    assert "Lê Thị Hoa" not in lookup_text and "L** T** H**" not in lookup_text
    visitor.check("lookup-result")
    v.get_by_role("link", name=t("View")).first.click()
    history = visitor.main_text()
    for status in (
        DossierStatus.RECEIVED,
        DossierStatus.SUPPLEMENT_REQUESTED,
        DossierStatus.APPROVED,
    ):
        with translation.override(lang):
            assert str(DossierStatus(status).label) in history
    assert "Đơn đề nghị chưa có chữ ký" not in history  # the request's details stay private
    visitor.check("history")
