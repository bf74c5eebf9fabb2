"""A citizen pays a fee online through the sandbox bank, and offline with staff checking the
receipt in the admin; the citizen's pages are axe-core clean."""

import re

from django.conf import settings as django_settings
from django.test import Client

import pytest

from dossiers.constants import DossierStatus
from payments import services
from payments.constants import PaymentStatus
from tests.procedures.factories import AgencyFactory, FeeFactory, ProcedureFactory

from .factories import DossierFactory, StaffFactory, UserFactory
from .test_services import PNG

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAID = re.compile("Đã thanh toán|Paid")


def sign_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


@pytest.fixture
def awaiting_payment(live_server, settings):
    settings.SITE_URL = live_server.url
    settings.VNPAY_PAYMENT_URL = f"{live_server.url}/sandbox-bank/pay"
    settings.VNPAY_API_URL = f"{live_server.url}/sandbox-bank/api/transaction"
    settings.LANGUAGE_CODE = "vi"
    agency = AgencyFactory(
        code="CVT",
        name="Cục Viễn thông",
        bank_name="Kho bạc Nhà nước Hà Nội",
        bank_account_number="3511.0.1054321",
    )
    procedure = ProcedureFactory(agency=agency, name="Cấp giấy phép thiết lập mạng viễn thông")
    FeeFactory(procedure=procedure, name="Lệ phí cấp giấy phép", amount=100_000)
    dossier = DossierFactory(
        procedure=procedure,
        code="CVT-261120-0042",
        applicant=UserFactory(full_name="Trần Thị Bình"),
    )
    staff = StaffFactory(is_superuser=True, full_name="Lê Văn Cán Bộ")
    services.fee_notice_issue(
        dossier_id=dossier.pk, items=[("Lệ phí cấp giấy phép", 100_000)], actor=staff
    )
    return dossier, staff


def test_pay_online_through_the_sandbox_bank(
    page, live_server, awaiting_payment, axe_check, screenshot
):
    dossier, _staff = awaiting_payment
    sign_in(page, live_server, dossier.applicant)

    # The dossier page shows the fee notice and the ways to pay.
    page.goto(f"{live_server.url}/me/dossiers/{dossier.pk}/")
    panel = page.locator("#payment")
    assert "100,000 VND" in panel.inner_text()
    assert "Lệ phí cấp giấy phép" in panel.inner_text()
    screenshot(page, "1-dossier")

    panel.get_by_role("link", name=re.compile("Thanh toán trực tuyến|Pay online")).click()
    page.wait_for_url("**/online/")
    page.get_by_label("NCB Bank").check()  # the portal's page, in the reader's language
    axe_check(page, name="choose a bank")
    page.get_by_role("button", name=re.compile("^(Thanh toán|Pay)$")).click()

    # At the sandbox bank: the signed redirect was accepted; the chosen bank is kept.
    page.wait_for_url("**/sandbox-bank/txn/*/card/")
    assert "SANDBOX — môi trường thử nghiệm" in page.inner_text("body")
    assert "Ngân hàng NCB" in page.inner_text("h1")
    axe_check(page, name="sandbox bank")
    page.get_by_label(re.compile("Số thẻ")).fill("9704198526191432198")
    page.get_by_label(re.compile("Tên chủ thẻ")).fill("NGUYEN VAN A")
    page.get_by_label(re.compile("Ngày phát hành")).fill("07/15")
    page.get_by_label(re.compile("Mã OTP")).fill("123456")
    screenshot(page, "2-bank")
    page.get_by_role("button", name=re.compile("Xác nhận thanh toán")).click()

    # Back at the portal: the IPN (eager Celery task → HTTP to the live server) confirmed it.
    page.wait_for_url("**/payments/vnpay/return/?*")
    assert PAID.search(page.locator(".payment-state").inner_text())
    axe_check(page, name="payment result")
    screenshot(page, "3-paid")

    payment = dossier.fee_notices.get().payments.get()
    assert payment.status == PaymentStatus.CONFIRMED
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.PROCESSING

    page.get_by_role("link", name=re.compile("Quay lại hồ sơ|Back to the dossier")).click()
    page.wait_for_url(f"**/me/dossiers/{dossier.pk}/")
    assert PAID.search(page.locator("#payment-title").inner_text())
    with page.expect_download() as download:
        page.locator("#payment").get_by_role("link", name=re.compile("PDF")).click()
    assert download.value.suggested_filename == f"bien-nhan-thanh-toan-{payment.txn_ref}.pdf"


def test_pay_offline_and_staff_confirm_the_receipt_in_admin(
    page, live_server, awaiting_payment, axe_check, screenshot, settings, tmp_path
):
    settings.STAFF_MFA_REQUIRED = False
    dossier, staff = awaiting_payment
    sign_in(page, live_server, dossier.applicant)

    page.goto(f"{live_server.url}/payments/dossier/{dossier.pk}/")
    main = page.locator("main")
    text = main.inner_text()
    assert "3511.0.1054321" in text and "CVT-261120-0042" in text
    axe_check(page, name="fee notice")
    receipt = tmp_path / "uy-nhiem-chi.png"
    receipt.write_bytes(PNG)
    page.locator("input[type=file]").set_input_files(str(receipt))
    main.locator("form[enctype='multipart/form-data'] button[type=submit]").click()
    # Back on the dossier page, whose payment panel says the receipt is being checked.
    page.wait_for_url(f"**/me/dossiers/{dossier.pk}/#payment")
    assert "uy-nhiem-chi.png" in page.locator("#payment").inner_text()
    axe_check(page, name="receipt sent")
    screenshot(page, "1-receipt-sent")

    # Staff check it in the admin.
    sign_in(page, live_server, staff)
    page.goto(f"{live_server.url}/admin/payments/payment/?status=receipt_submitted")
    payment = dossier.fee_notices.get().payments.get()
    page.get_by_role("link", name=payment.txn_ref).click()
    page.get_by_role("link", name=re.compile("Confirm receipt|Xác nhận")).click()
    screenshot(page, "2-staff-confirm")
    page.locator("input[type=submit]").click()
    page.wait_for_url(f"**/admin/payments/payment/{payment.pk}/change/")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CONFIRMED and payment.confirmed_by == staff

    # The citizen sees it paid.
    sign_in(page, live_server, dossier.applicant)
    page.goto(f"{live_server.url}/payments/dossier/{dossier.pk}/")
    assert PAID.search(page.locator("#payment-title").inner_text())
    axe_check(page, name="paid")
    screenshot(page, "3-paid")
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.PROCESSING
