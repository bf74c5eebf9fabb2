"""The IPN, the source of truth: checks in the protocol's order, idempotent, never fooled."""

import json
from urllib.parse import urlencode

import pytest

from accounts.models import Notification
from dossiers.constants import DossierStatus
from dossiers.models import DossierEvent
from payments.constants import PaymentStatus
from payments.models import Payment, PaymentNotification

from .conftest import ipn_params, vnp_sign

pytestmark = pytest.mark.django_db


def _state(payment):
    payment.refresh_from_db()
    dossier = payment.fee_notice.dossier
    dossier.refresh_from_db()
    return payment.status, payment.flagged_for_review, payment.provider_reference, dossier.status


def test_valid_ipn_confirms_the_payment_without_any_browser_return(
    online_payment, send_ipn, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer = send_ipn(ipn_params(online_payment))

    assert answer == {"RspCode": "00", "Message": "Confirm Success"}
    online_payment.refresh_from_db()
    assert online_payment.status == PaymentStatus.CONFIRMED
    assert online_payment.provider_reference == "14226112"
    assert online_payment.bank_code == "NCB"
    dossier = online_payment.fee_notice.dossier
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.PROCESSING
    assert (
        DossierEvent.objects.filter(
            dossier=dossier, action="payment_confirmed", to_status=DossierStatus.PROCESSING
        ).count()
        == 1
    )
    online_payment.fee_notice.refresh_from_db()
    assert online_payment.fee_notice.paid_at is not None
    confirmed_mails = [m for m in mailoutbox if "confirmed" in m.subject]
    assert len(confirmed_mails) == 1
    assert f"/payments/{online_payment.pk}/confirmation.pdf" in confirmed_mails[0].body
    # The confirmation PDF was rendered by the task queued on commit.
    assert online_payment.confirmation_pdf
    log = PaymentNotification.objects.get()
    assert log.payment == online_payment and log.result_code == "00"


def test_the_officer_who_issued_the_notice_learns_it_was_paid_online_once(
    online_payment, staff, send_ipn, mailoutbox, django_capture_on_commit_callbacks
):
    staff.language = "en"
    staff.save()
    params = ipn_params(online_payment)
    for _ in range(2):  # the gateway repeats its notification
        with django_capture_on_commit_callbacks(execute=True):
            send_ipn(params)

    [email] = [m for m in mailoutbox if m.to == [staff.email]]
    dossier = online_payment.fee_notice.dossier
    assert email.subject == f"Fee paid online for dossier {dossier.code}"
    assert "150,000 VND" in email.body and online_payment.txn_ref in email.body
    assert f"/admin/dossiers/dossier/{dossier.pk}/change/" in email.body


def test_repeated_ipn_answers_already_confirmed_and_changes_nothing(
    online_payment, send_ipn, mailoutbox, django_capture_on_commit_callbacks
):
    params = ipn_params(online_payment)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_ipn(params)["RspCode"] == "00"
    online_payment.refresh_from_db()
    confirmed_at = online_payment.confirmed_at
    events = DossierEvent.objects.count()
    notifications = Notification.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        assert send_ipn(params) == {"RspCode": "02", "Message": "Order already confirmed"}

    online_payment.refresh_from_db()
    assert online_payment.confirmed_at == confirmed_at
    assert DossierEvent.objects.count() == events
    assert Notification.objects.count() == notifications
    assert len([m for m in mailoutbox if "confirmed" in m.subject]) == 1
    assert PaymentNotification.objects.count() == 2


@pytest.mark.parametrize(
    "tamper",
    [
        {"vnp_Amount": "100"},
        {"vnp_ResponseCode": "00", "vnp_TransactionStatus": "00", "vnp_TxnRef": "X"},
        {"vnp_TransactionNo": "99999999"},
        {"vnp_SecureHash": "0" * 128},
        {"vnp_SecureHash": ""},
    ],
)
def test_tampered_ipn_is_refused_and_leaves_nothing_behind(online_payment, send_ipn, tamper):
    before = _state(online_payment)
    params = {**ipn_params(online_payment), **tamper}

    assert send_ipn(params) == {"RspCode": "97", "Message": "Invalid signature"}

    assert _state(online_payment) == before
    log = PaymentNotification.objects.get()
    assert log.result_code == "97" and log.payment is None
    # Nothing remembered stands in the way of the genuine notification.
    assert send_ipn(ipn_params(online_payment))["RspCode"] == "00"
    assert _state(online_payment)[0] == PaymentStatus.CONFIRMED


def test_failure_ipn_with_a_forged_signature_cannot_fail_a_payment(online_payment, send_ipn):
    forged = vnp_sign(
        {**ipn_params(online_payment, sign=False), "vnp_ResponseCode": "24"}, secret="guess"
    )
    assert send_ipn(forged)["RspCode"] == "97"
    assert _state(online_payment)[0] == PaymentStatus.INITIATED


def test_repeated_parameter_is_refused_as_invalid(online_payment, client):
    params = ipn_params(online_payment)
    query = "&".join(f"{k}={v}" for k, v in params.items()) + "&vnp_Amount=100"
    answer = client.get(f"/payments/vnpay/ipn/?{query}").json()
    assert answer["RspCode"] == "97"
    assert _state(online_payment)[0] == PaymentStatus.INITIATED


@pytest.mark.parametrize("repeated", [False, True], ids=["padded", "padded-and-repeated"])
def test_a_flood_of_parameters_is_refused_and_its_log_stays_small(online_payment, client, repeated):
    """1,000 parameters, one of them 1 MB long and the others 1,000 characters: refused, and
    the log keeps a bounded part (the gateway's own fields first) and counts the rest."""
    genuine = list(ipn_params(online_payment).items())
    padding = [(f"x_pad{i}", "p" * 1000) for i in range(1000 - len(genuine) - 2)]
    huge = ("vnp_OrderInfo", "A" * 1_000_000)
    extra = ("vnp_Amount", "100") if repeated else ("vnp_Pad", "q" * 1000)
    pairs = [*padding, *genuine, huge, extra]
    assert len(pairs) == 1000

    answer = client.get(f"/payments/vnpay/ipn/?{urlencode(pairs)}").json()

    assert answer["RspCode"] == "97"
    assert _state(online_payment)[0] == PaymentStatus.INITIATED
    log = PaymentNotification.objects.get()
    assert len(log.params) <= 40
    assert all(len(k) <= 64 and len(v) <= 255 for k, v in log.params.items())
    assert len(json.dumps(log.params)) < 16_000
    assert log.params["vnp_TxnRef"] == online_payment.txn_ref  # traceable despite the padding
    assert log.params["vnp_OrderInfo"].endswith("…")
    assert log.params_omitted == len(dict(pairs)) - len(log.params)


def test_unknown_order_reference_is_not_found(online_payment, send_ipn):
    params = ipn_params(online_payment, vnp_TxnRef="999999999999999999")
    assert send_ipn(params) == {"RspCode": "01", "Message": "Order not found"}
    assert _state(online_payment)[0] == PaymentStatus.INITIATED
    assert PaymentNotification.objects.get().payment is None


def test_another_terminal_is_not_found(online_payment, send_ipn):
    assert send_ipn(ipn_params(online_payment, vnp_TmnCode="OTHER001"))["RspCode"] == "01"


def test_offline_payment_reference_is_not_an_online_order(notice, send_ipn):
    pending = notice.payments.get()
    assert send_ipn(ipn_params(pending))["RspCode"] == "01"


def test_wrong_amount_is_refused_and_flagged_for_staff(online_payment, send_ipn, mailoutbox):
    params = ipn_params(online_payment, vnp_Amount=str((online_payment.amount - 1000) * 100))

    assert send_ipn(params) == {"RspCode": "04", "Message": "Invalid amount"}

    status, flagged, reference, dossier_status = _state(online_payment)
    assert status == PaymentStatus.INITIATED
    assert flagged
    assert "amount" in online_payment.flag_reason
    assert dossier_status == DossierStatus.AWAITING_PAYMENT
    assert not [m for m in mailoutbox if "confirmed" in m.subject]


def test_amount_is_checked_before_already_confirmed(online_payment, send_ipn):
    assert send_ipn(ipn_params(online_payment))["RspCode"] == "00"
    params = ipn_params(online_payment, vnp_Amount="100")
    assert send_ipn(params)["RspCode"] == "04"
    assert _state(online_payment)[0] == PaymentStatus.CONFIRMED


def test_late_failure_never_overwrites_a_confirmed_payment(online_payment, send_ipn):
    assert send_ipn(ipn_params(online_payment))["RspCode"] == "00"
    late = ipn_params(online_payment, vnp_ResponseCode="24", vnp_TransactionStatus="02")
    assert send_ipn(late)["RspCode"] == "02"
    assert _state(online_payment)[0] == PaymentStatus.CONFIRMED


def test_success_after_a_reported_failure_still_confirms(online_payment, send_ipn):
    failed = ipn_params(online_payment, vnp_ResponseCode="51", vnp_TransactionStatus="02")
    assert send_ipn(failed)["RspCode"] == "00"
    assert _state(online_payment)[0] == PaymentStatus.FAILED
    assert send_ipn(failed)["RspCode"] == "02"
    assert send_ipn(ipn_params(online_payment))["RspCode"] == "00"
    assert _state(online_payment)[0] == PaymentStatus.CONFIRMED


@pytest.mark.parametrize(
    ("code", "status", "flagged"),
    [
        ("24", PaymentStatus.CANCELLED, False),
        ("11", PaymentStatus.EXPIRED, False),
        ("51", PaymentStatus.FAILED, False),
        ("09", PaymentStatus.FAILED, False),
        ("12", PaymentStatus.FAILED, False),
        ("13", PaymentStatus.FAILED, False),
        ("65", PaymentStatus.FAILED, False),
        ("75", PaymentStatus.FAILED, False),
        ("79", PaymentStatus.FAILED, False),
        ("99", PaymentStatus.FAILED, False),
        ("07", PaymentStatus.INITIATED, True),
    ],
)
def test_gateway_response_codes_map_to_outcomes(online_payment, send_ipn, code, status, flagged):
    params = ipn_params(
        online_payment, vnp_ResponseCode=code, vnp_TransactionStatus="07" if code == "07" else "02"
    )
    assert send_ipn(params)["RspCode"] == "00"
    payment_status, is_flagged, _ref, dossier_status = _state(online_payment)
    assert (payment_status, is_flagged) == (status, flagged)
    assert online_payment.response_code == code
    assert dossier_status == DossierStatus.AWAITING_PAYMENT


def test_response_code_00_with_a_failed_transaction_status_is_not_paid(online_payment, send_ipn):
    params = ipn_params(online_payment, vnp_ResponseCode="00", vnp_TransactionStatus="02")
    assert send_ipn(params)["RspCode"] == "00"
    assert _state(online_payment)[0] == PaymentStatus.FAILED


def test_unexpected_error_answers_99_so_the_gateway_retries(online_payment, send_ipn, monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("payments.services.notifications.payment_confirm", boom)
    assert send_ipn(ipn_params(online_payment)) == {"RspCode": "99", "Message": "Unknown error"}
    assert _state(online_payment)[0] == PaymentStatus.INITIATED
    assert PaymentNotification.objects.get().result_code == "99"


def test_one_gateway_transaction_cannot_confirm_two_payments(
    online_payment, send_ipn, dossier, citizen
):
    assert send_ipn(ipn_params(online_payment))["RspCode"] == "00"
    # Another notice of another dossier, reported with the same gateway transaction number.
    from .factories import PaymentFactory

    other = PaymentFactory(online=True, fee_notice__dossier__applicant=citizen)
    assert send_ipn(ipn_params(other))["RspCode"] == "99"
    other.refresh_from_db()
    assert other.status == PaymentStatus.INITIATED


def test_ipn_stays_within_its_query_budget(online_payment, send_ipn, django_assert_max_num_queries):
    with django_assert_max_num_queries(30):
        send_ipn(ipn_params(online_payment))
    with django_assert_max_num_queries(8):
        send_ipn(ipn_params(online_payment))


def test_ipn_accepts_get_only(online_payment, client):
    response = client.post("/payments/vnpay/ipn/", ipn_params(online_payment))
    assert response.status_code == 405
    assert Payment.objects.get(pk=online_payment.pk).status == PaymentStatus.INITIATED
