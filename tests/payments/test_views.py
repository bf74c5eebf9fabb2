"""The applicant's payment pages: only the owner, the two ways to pay, uploads, downloads."""

from urllib.parse import parse_qsl, urlsplit

from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import RequestFactory

import pytest

from payments import services
from payments.constants import PaymentStatus
from payments.providers import vnpay

from .conftest import SECRET
from .factories import UserFactory
from .test_services import PNG, png

pytestmark = pytest.mark.django_db


def page_url(dossier):
    return f"/payments/dossier/{dossier.pk}/"


def test_payment_page_shows_the_notice_and_both_ways_to_pay(
    client, notice, citizen, django_assert_max_num_queries
):
    dossier = notice.dossier
    client.force_login(citizen)
    with django_assert_max_num_queries(12):
        response = client.get(page_url(dossier))
    body = response.content.decode()
    assert response.status_code == 200
    assert "150,000 VND" in body and "100,000 VND" in body and "Phí thẩm định" in body
    assert "Awaiting payment" in body
    agency = dossier.agency
    assert agency.bank_account_number in body and agency.bank_name in body
    assert f"{dossier.code} {dossier.citizen_id}" in body
    assert f"/payments/notice/{notice.pk}/online/" in body
    assert f"/payments/notice/{notice.pk}/receipt/" in body
    assert 'enctype="multipart/form-data"' in body


@pytest.mark.parametrize("language", ["en", "vi"])
def test_the_fee_items_are_named_in_the_readers_language(
    client, dossier, staff, citizen, settings, language
):
    dossier.procedure.fees.filter(name="Phí thẩm định").update(name_en="Appraisal fee")
    services.fee_notice_issue(
        dossier_id=dossier.pk,
        items=[("Phí thẩm định", 50_000), ("Lệ phí cấp giấy phép", 100_000)],
        actor=staff,
    )
    client.force_login(citizen)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    body = client.get(page_url(dossier)).content.decode()

    if language == "en":
        assert "<tr><td>Appraisal fee</td>" in body
        assert '<tr><td><span lang="vi">Lệ phí cấp giấy phép</span></td>' in body
    else:
        assert "<tr><td>Phí thẩm định</td>" in body and "Appraisal fee" not in body


def test_dossier_panel_include_renders_for_the_dossier_page(notice, citizen):
    request = RequestFactory().get("/")
    request.user = citizen
    html = render_to_string(
        "payments/dossier_panel.html", {"dossier": notice.dossier}, request=request
    )
    assert "Fees and charges" in html and "150,000 VND" in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_panel_is_empty_without_a_fee_notice(dossier):
    assert render_to_string("payments/dossier_panel.html", {"dossier": dossier}).strip() == ""


@pytest.mark.parametrize(
    "url",
    [
        lambda n, p: page_url(n.dossier),
        lambda n, p: f"/payments/notice/{n.pk}/online/",
        lambda n, p: f"/payments/{p.pk}/confirmation.pdf",
        lambda n, p: f"/payments/{p.pk}/receipt/",
    ],
)
def test_someone_elses_payment_pages_are_not_found(client, notice, citizen, staff, url):
    payment = services.payment_receipt_submit(fee_notice_id=notice.pk, user=citizen, file=png())
    services.payment_receipt_confirm(payment_id=payment.pk, actor=staff)
    client.force_login(UserFactory())
    assert client.get(url(notice, payment)).status_code == 404
    assert client.post(f"/payments/notice/{notice.pk}/receipt/").status_code == 404


def test_anonymous_is_sent_to_sign_in(client, notice):
    response = client.get(page_url(notice.dossier))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_upload_a_receipt_through_the_page(client, notice, citizen):
    client.force_login(citizen)
    response = client.post(
        f"/payments/notice/{notice.pk}/receipt/", {"receipt": png()}, follow=True
    )
    body = response.content.decode()
    assert "Your payment receipt was sent" in body
    assert "Receipt being checked" in body
    assert notice.payments.get().status == PaymentStatus.RECEIPT_SUBMITTED
    assert client.get(f"/payments/{notice.payments.get().pk}/receipt/").getvalue() == PNG


def test_a_bad_receipt_is_refused_with_a_clear_message(client, notice, citizen):
    client.force_login(citizen)
    fake = SimpleUploadedFile("bien-lai.pdf", b"<html>not a pdf</html>")
    response = client.post(f"/payments/notice/{notice.pk}/receipt/", {"receipt": fake})
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body and "not a valid PDF" in body
    assert notice.payments.get().status == PaymentStatus.PENDING


def test_upload_needs_the_csrf_token(notice, citizen):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(citizen)
    response = strict.post(f"/payments/notice/{notice.pk}/receipt/", {"receipt": png()})
    assert response.status_code == 403
    assert notice.payments.get().status == PaymentStatus.PENDING


def test_choose_a_bank_then_pay_redirects_to_the_gateway_signed(client, notice, citizen):
    client.force_login(citizen)
    page = client.get(f"/payments/notice/{notice.pk}/online/").content.decode()
    assert 'value="NCB"' in page and "Vietcombank" in page and ">Pay<" in page

    response = client.post(
        f"/payments/notice/{notice.pk}/online/", {"provider": "vnpay", "bank_code": "VIETCOMBANK"}
    )
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == "http://testserver/sandbox-bank/pay"
    params = dict(parse_qsl(target.query))
    assert vnpay.signature_valid(params, SECRET)
    assert params["vnp_BankCode"] == "VIETCOMBANK"
    assert params["vnp_Amount"] == "15000000"
    payment = notice.payments.get()
    assert payment.status == PaymentStatus.INITIATED and params["vnp_TxnRef"] == payment.txn_ref


def test_online_page_sends_back_when_nothing_is_due(client, notice, citizen, staff):
    payment = services.payment_receipt_submit(fee_notice_id=notice.pk, user=citizen, file=png())
    client.force_login(citizen)
    response = client.get(f"/payments/notice/{notice.pk}/online/")
    assert response.status_code == 302
    response = client.post(
        f"/payments/notice/{notice.pk}/online/", {"provider": "vnpay"}, follow=True
    )
    assert "being checked" in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.RECEIPT_SUBMITTED


def test_paid_notice_shows_paid_and_the_confirmation_downloads(client, notice, citizen, staff):
    payment = services.payment_receipt_submit(fee_notice_id=notice.pk, user=citizen, file=png())
    client.force_login(citizen)
    assert client.get(f"/payments/{payment.pk}/confirmation.pdf").status_code == 404

    services.payment_receipt_confirm(payment_id=payment.pk, actor=staff)
    body = client.get(page_url(notice.dossier)).content.decode()
    assert ">Paid<" in body
    assert "Send the receipt" not in body

    response = client.get(f"/payments/{payment.pk}/confirmation.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert response.getvalue().startswith(b"%PDF-")


def test_rejected_receipt_shows_the_reason_and_the_ways_to_pay_again(
    client, notice, citizen, staff
):
    payment = services.payment_receipt_submit(fee_notice_id=notice.pk, user=citizen, file=png())
    services.payment_receipt_reject(payment_id=payment.pk, actor=staff, reason="Sai số tiền.")
    client.force_login(citizen)
    body = client.get(page_url(notice.dossier)).content.decode()
    assert "Your payment receipt was rejected" in body and "Sai số tiền." in body
    assert "Send the receipt" in body
