"""Staff in the admin: issue a fee notice from the fee schedule, confirm or reject receipts."""

from django.contrib.auth.models import Permission

import pytest

from dossiers.constants import DossierStatus
from payments import services
from payments.constants import PaymentStatus
from payments.models import FeeNotice
from procedures.models import StaffMembership

from .conftest import ipn_params
from .factories import DossierFactory, StaffFactory
from .test_services import png

pytestmark = pytest.mark.django_db

ADD = "/admin/payments/feenotice/add/"


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.STAFF_MFA_REQUIRED = False


def agency_staff(agency):
    user = StaffFactory()
    StaffMembership.objects.create(user=user, agency=agency)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="payments",
            codename__in=[
                "add_feenotice",
                "view_feenotice",
                "view_payment",
                "change_payment",
                "view_paymentnotification",
            ],
        )
    )
    return user


def item_data(rows, prefix="items"):
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, (name, amount) in enumerate(rows):
        data[f"{prefix}-{i}-name"] = name
        data[f"{prefix}-{i}-amount"] = str(amount)
    return data


def test_add_view_is_prefilled_from_the_procedures_fee_schedule(client, dossier):
    client.force_login(agency_staff(dossier.agency))
    body = client.get(f"{ADD}?dossier={dossier.pk}").content.decode()
    assert f'<option value="{dossier.pk}" selected>' in body
    assert 'value="Lệ phí cấp giấy phép"' in body and 'value="100000"' in body
    assert 'value="Phí thẩm định"' in body and 'value="50000"' in body
    assert 'name="items-TOTAL_FORMS" value="2"' in body


def test_staff_issue_an_edited_fee_notice(
    client, dossier, mailoutbox, django_capture_on_commit_callbacks
):
    user = agency_staff(dossier.agency)
    client.force_login(user)
    data = {
        "dossier": dossier.pk,
        "note": "Nộp trước ngày 30.",
        **item_data([("Lệ phí cấp giấy phép", 120_000), ("Phí thẩm định", 50_000)]),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{ADD}?dossier={dossier.pk}", data)

    notice = FeeNotice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/payments/feenotice/{notice.pk}/change/"
    assert notice.total == 170_000 and notice.created_by == user
    assert notice.note == "Nộp trước ngày 30."
    assert notice.payments.get().status == PaymentStatus.PENDING
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.AWAITING_PAYMENT
    assert len(mailoutbox) == 1 and "170,000 VND" in mailoutbox[0].body
    # The issued notice is a record: read-only afterwards.
    page = client.get(response["Location"]).content.decode()
    assert "170,000 VND" in page  # grouped by thousands in the reader's language
    assert 'name="_save"' not in page


@pytest.mark.parametrize("rows", [[("Lệ phí", -1)], [("Lệ phí", "1.5")], [("Lệ phí", 0)]])
def test_amounts_must_be_whole_vnd_and_positive_in_total(client, dossier, rows):
    client.force_login(agency_staff(dossier.agency))
    response = client.post(ADD, {"dossier": dossier.pk, "note": "", **item_data(rows)})
    assert response.status_code == 200
    assert not FeeNotice.objects.exists()
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.PROCESSING


def test_dossier_not_being_processed_is_refused(client, staff):
    dossier = DossierFactory(status=DossierStatus.RECEIVED)
    client.force_login(staff)
    response = client.post(ADD, {"dossier": dossier.pk, **item_data([("Lệ phí", 1000)])})
    assert response.status_code == 200
    assert not FeeNotice.objects.exists()


def test_another_agencys_dossier_is_neither_prefilled_nor_accepted(client, dossier):
    other = agency_staff(DossierFactory().agency)
    client.force_login(other)
    body = client.get(f"{ADD}?dossier={dossier.pk}").content.decode()
    assert "Lệ phí cấp giấy phép" not in body
    response = client.post(ADD, {"dossier": dossier.pk, **item_data([("Lệ phí", 1000)])})
    assert response.status_code == 200
    assert not FeeNotice.objects.exists()


def _autocomplete(client, term: str) -> list[dict]:
    response = client.get(
        "/admin/autocomplete/",
        {"term": term, "app_label": "payments", "model_name": "feenotice", "field_name": "dossier"},
    )
    assert response.status_code == 200
    return response.json()["results"]


def test_the_dossier_field_offers_only_the_agency_s_dossiers_by_code_and_applicant(client, dossier):
    """The dossier is picked by an autocomplete limited to the officer's agency, labelled with
    the code and the applicant; another agency's dossier is never offered nor printed."""
    dossier.applicant_name = "Phạm Thị Mai"
    dossier.save()
    other = DossierFactory(applicant_name="Hoàng Văn Khác")
    user = agency_staff(dossier.agency)
    user.user_permissions.add(Permission.objects.get(codename="view_dossier"))
    client.force_login(user)

    body = client.get(ADD).content.decode()
    assert 'class="admin-autocomplete' in body and "data-ajax--url" in body
    assert _autocomplete(client, dossier.code) == [
        {"id": str(dossier.pk), "text": f"{dossier.code} — Phạm Thị Mai"}
    ]
    assert _autocomplete(client, other.code) == []
    assert _autocomplete(client, "Hoàng Văn Khác") == []
    assert other.code not in str(_autocomplete(client, ""))

    # The form names the chosen dossier by code and applicant, not by its id…
    body = client.get(f"{ADD}?dossier={dossier.pk}").content.decode()
    assert f"{dossier.code} — Phạm Thị Mai" in body
    # …and another agency's dossier, even named in the address, is neither printed nor taken.
    body = client.get(f"{ADD}?dossier={other.pk}").content.decode()
    assert other.code not in body and "Hoàng Văn Khác" not in body
    response = client.post(ADD, {"dossier": other.pk, **item_data([("Lệ phí", 1000)])})
    assert response.status_code == 200
    assert "dossier" in response.context["adminform"].form.errors
    assert not FeeNotice.objects.exists()


def test_an_issued_notice_shows_its_dossier_by_code_and_applicant(client, dossier):
    user = agency_staff(dossier.agency)
    client.force_login(user)
    notice = services.fee_notice_issue(dossier_id=dossier.pk, items=[("Lệ phí", 1000)], actor=user)
    body = client.get(f"/admin/payments/feenotice/{notice.pk}/change/").content.decode()
    assert f"{dossier.code} — {dossier.applicant_name}" in body


def test_confirm_receipt_button(client, notice, citizen, staff):
    payment = services.payment_receipt_submit(fee_notice_id=notice.pk, user=citizen, file=png())
    user = agency_staff(notice.dossier.agency)
    client.force_login(user)
    change = f"/admin/payments/payment/{payment.pk}/change/"
    page = client.get(change).content.decode()
    assert "Confirm receipt" in page and "Reject receipt" in page
    assert f"/admin/payments/payment/{payment.pk}/receipt/" in page
    assert (
        client.get(f"/admin/payments/payment/{payment.pk}/receipt/")
        .getvalue()
        .startswith(b"\x89PNG")
    )

    url = f"/admin/payments/payment/{payment.pk}/confirm-receipt/"
    assert client.get(url).status_code == 200
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == change

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CONFIRMED and payment.confirmed_by == user
    notice.dossier.refresh_from_db()
    assert notice.dossier.status == DossierStatus.PROCESSING
    assert "Confirm receipt" not in client.get(change).content.decode()


def test_reject_receipt_with_a_reason(client, notice, citizen, staff):
    payment = services.payment_receipt_submit(fee_notice_id=notice.pk, user=citizen, file=png())
    client.force_login(staff)
    url = f"/admin/payments/payment/{payment.pk}/reject-receipt/"
    assert client.post(url, {"reason": ""}).status_code == 200  # the form again, nothing done
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.RECEIPT_SUBMITTED

    client.post(url, {"reason": "Chứng từ không rõ số tài khoản."})
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REJECTED
    assert payment.reject_reason == "Chứng từ không rõ số tài khoản."


def test_another_agencys_payment_is_not_found(client, notice, citizen):
    payment = services.payment_receipt_submit(fee_notice_id=notice.pk, user=citizen, file=png())
    client.force_login(agency_staff(DossierFactory().agency))
    for suffix in ["change/", "receipt/", "confirm-receipt/", "reject-receipt/"]:
        assert client.get(f"/admin/payments/payment/{payment.pk}/{suffix}").status_code == 404
    assert client.post(f"/admin/payments/payment/{payment.pk}/confirm-receipt/").status_code == 404
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.RECEIPT_SUBMITTED


def test_payment_list_filters_and_notification_log(
    client, online_payment, staff, send_ipn, django_assert_max_num_queries
):
    send_ipn(ipn_params(online_payment, vnp_Amount="100"))  # flagged, logged
    client.force_login(staff)
    with django_assert_max_num_queries(15):
        response = client.get(
            "/admin/payments/payment/?status=initiated&method=online&flagged_for_review__exact=1"
        )
    assert online_payment.txn_ref in response.content.decode()
    empty = client.get("/admin/payments/payment/?status=confirmed").content.decode()
    assert online_payment.txn_ref not in empty
    page = client.get(f"/admin/payments/payment/{online_payment.pk}/change/").content.decode()
    assert "Confirm after review" in page
    assert "Invalid amount" in page  # the read-only notification log inline


def test_bulk_confirm_action(client, notice, citizen, staff):
    payment = services.payment_receipt_submit(fee_notice_id=notice.pk, user=citizen, file=png())
    client.force_login(staff)
    client.post(
        "/admin/payments/payment/",
        {"action": "confirm_receipts", "_selected_action": [payment.pk]},
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CONFIRMED


def test_confirm_after_review_button_confirms_a_held_payment_and_is_audited(
    client, online_payment, staff, send_ipn
):
    from accounts.models import AuditEntry

    send_ipn(ipn_params(online_payment, vnp_ResponseCode="07"))  # held by the bank for review
    online_payment.refresh_from_db()
    assert online_payment.flagged_for_review and online_payment.status != PaymentStatus.CONFIRMED
    client.force_login(staff)
    url = f"/admin/payments/payment/{online_payment.pk}/confirm-reviewed/"
    assert client.get(url).status_code == 200
    response = client.post(url)
    assert response.status_code == 302
    online_payment.refresh_from_db()
    assert online_payment.status == PaymentStatus.CONFIRMED
    entry = AuditEntry.objects.get(action="payment_confirm_reviewed")
    assert entry.succeeded and entry.actor == staff

    dossier = online_payment.fee_notice.dossier
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.PROCESSING
    # A second click changes nothing: the dossier left "awaiting payment" once.
    client.post(url)
    assert dossier.events.filter(from_status=DossierStatus.AWAITING_PAYMENT).count() == 1
