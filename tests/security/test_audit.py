"""The staff audit log: every staff action in the admin, done or refused, with who, when, what
changed and from where; read-only in the admin; separate from the public dossier history."""

import json
from datetime import date

from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile

import pytest

from accounts.models import AuditEntry
from dossiers.constants import DossierStatus
from dossiers.groups import PROCESSING_GROUP, RECEPTION_GROUP
from dossiers.models import DossierEvent
from payments import services as payments
from payments.constants import PaymentStatus
from tests.dossiers.factories import (
    PNG_BYTES,
    AgencyFactory,
    DossierFactory,
    ProcedureFactory,
    StaffFactory,
    UserFactory,
    agency_staff,
)
from tests.procedures.factories import FeeFactory

pytestmark = pytest.mark.django_db
S = DossierStatus


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.STAFF_MFA_REQUIRED = False


@pytest.fixture
def agency():
    return AgencyFactory(code="VBC")


@pytest.fixture
def officer(client, agency):
    user = agency_staff(agency, groups=(RECEPTION_GROUP, PROCESSING_GROUP))
    client.force_login(user)
    return user


def _step(client, dossier, step, **data):
    return client.post(
        f"/admin/dossiers/dossier/{dossier.pk}/step/{step}/",
        data,
        REMOTE_ADDR="192.0.2.10",
        follow=True,
    )


# --- Dossier steps ----------------------------------------------------------------------------


def test_a_step_done_in_the_admin_is_in_the_audit_log(client, officer, agency):
    dossier = DossierFactory(procedure=ProcedureFactory(agency=agency), status=S.SUBMITTED)
    _step(client, dossier, "receive", expected_status=S.SUBMITTED)
    entry = AuditEntry.objects.get()
    assert entry.actor == officer
    assert entry.action == "dossier_receive"
    assert entry.succeeded is True
    assert entry.object_type == "dossiers.dossier" and entry.object_id == str(dossier.pk)
    assert entry.changes["status"] == [S.SUBMITTED, S.RECEIVED]
    assert entry.ip_address == "192.0.2.10"
    assert entry.created_at is not None


def test_a_refused_step_is_in_the_audit_log_with_the_reason(client, officer, agency):
    dossier = DossierFactory(procedure=ProcedureFactory(agency=agency), status=S.RECEIVED)
    response = _step(client, dossier, "reject", expected_status=S.SUBMITTED, reason="Thiếu đơn")
    assert "someone else acted on it" in response.content.decode()
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.succeeded) == ("dossier_reject", False)
    assert "someone else acted on it" in entry.message
    assert entry.changes == {"status": [S.RECEIVED, S.RECEIVED], "expected_status": S.SUBMITTED}
    dossier.refresh_from_db()
    assert dossier.status == S.RECEIVED  # rolled back, yet the attempt is on record


@pytest.mark.parametrize(
    ("step", "start", "data"),
    [
        ("receive", S.SUBMITTED, {}),
        ("start_processing", S.RECEIVED, {}),
        ("continue_processing", S.SUPPLEMENTED, {}),
        ("request_supplement", S.PROCESSING, {"message": "Bổ sung bản sao", "deadline_days": 5}),
        ("reject", S.PROCESSING, {"reason": "Không đủ điều kiện"}),
        ("return_result", S.APPROVED, {}),
    ],
)
def test_every_step_button_is_audited(client, officer, agency, step, start, data):
    dossier = DossierFactory(
        procedure=ProcedureFactory(agency=agency),
        status=start,
        code="VBC-270310-0001" if start != S.SUBMITTED else None,
    )
    _step(client, dossier, step, expected_status=start, **data)
    entry = AuditEntry.objects.get(action=f"dossier_{step}")
    dossier.refresh_from_db()
    assert entry.succeeded, entry.message
    assert entry.changes["status"] == [start, dossier.status]
    assert dossier.status != start


def test_approve_with_a_result_file_is_audited(client, officer, agency):
    dossier = DossierFactory(
        procedure=ProcedureFactory(agency=agency), status=S.PROCESSING, code="VBC-270310-0002"
    )
    from tests.dossiers.factories import PDF_BYTES

    _step(
        client,
        dossier,
        "approve",
        expected_status=S.PROCESSING,
        result_file=SimpleUploadedFile("ket-qua.pdf", PDF_BYTES),
    )
    entry = AuditEntry.objects.get(action="dossier_approve")
    assert entry.succeeded and entry.changes["status"] == [S.PROCESSING, S.APPROVED]


def test_a_step_the_officer_may_not_take_is_audited_as_refused(client, agency):
    reception_only = agency_staff(agency, groups=(RECEPTION_GROUP,))
    client.force_login(reception_only)
    dossier = DossierFactory(procedure=ProcedureFactory(agency=agency), status=S.PROCESSING)
    response = client.post(
        f"/admin/dossiers/dossier/{dossier.pk}/step/reject/",
        {"expected_status": S.PROCESSING, "reason": "x"},
    )
    assert response.status_code == 403
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.succeeded) == (
        reception_only,
        "dossier_reject",
        False,
    )
    assert entry.message == "permission denied"


def test_the_audit_log_is_not_the_public_history(client, officer, agency):
    dossier = DossierFactory(procedure=ProcedureFactory(agency=agency), status=S.RECEIVED)
    _step(client, dossier, "receive", expected_status=S.SUBMITTED)  # refused
    assert AuditEntry.objects.filter(succeeded=False).exists()
    assert not DossierEvent.objects.filter(dossier=dossier).exists()
    client.force_login(dossier.applicant)
    page = client.get(f"/me/dossiers/{dossier.pk}/").content.decode()
    assert "someone else acted" not in page


# --- Payments ---------------------------------------------------------------------------------


@pytest.fixture
def awaiting(agency, officer):
    dossier = DossierFactory(
        procedure=ProcedureFactory(agency=agency), status=S.PROCESSING, code="VBC-270310-0003"
    )
    FeeFactory(procedure=dossier.procedure, amount=80_000)
    officer.user_permissions.add(*Permission.objects.filter(content_type__app_label="payments"))
    return dossier


def _receipt(notice):
    return payments.payment_receipt_submit(
        fee_notice_id=notice.pk,
        user=notice.dossier.applicant,
        file=SimpleUploadedFile("bien-lai.png", PNG_BYTES),
    )


def _items(rows):
    data = {
        "items-TOTAL_FORMS": str(len(rows)),
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
    }
    for i, (name, amount) in enumerate(rows):
        data[f"items-{i}-name"] = name
        data[f"items-{i}-amount"] = str(amount)
    return data


def test_issuing_a_fee_notice_is_audited_with_its_items(client, officer, awaiting):
    response = client.post(
        "/admin/payments/feenotice/add/",
        {"dossier": awaiting.pk, "note": "", **_items([("Lệ phí", 80_000)])},
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="fee_notice_issue")
    assert entry.succeeded and entry.actor == officer
    assert entry.changes == {"dossier": awaiting.pk, "items": [["Lệ phí", 80_000]], "total": 80_000}


def test_a_fee_notice_refused_by_the_service_is_audited(client, officer, awaiting, monkeypatch):
    def refuse(**kwargs):
        raise payments.PaymentError("The dossier is no longer being processed.")

    monkeypatch.setattr(payments, "fee_notice_issue", refuse)
    client.post(
        "/admin/payments/feenotice/add/",
        {"dossier": awaiting.pk, "note": "", **_items([("Lệ phí", 80_000)])},
    )
    entry = AuditEntry.objects.get(action="fee_notice_issue")
    assert entry.succeeded is False
    assert entry.message == "The dossier is no longer being processed."
    assert entry.changes == {"dossier": str(awaiting.pk)}


def test_confirming_and_rejecting_receipts_are_audited_done_or_refused(client, officer, awaiting):
    notice = payments.fee_notice_issue(
        dossier_id=awaiting.pk, items=[("Lệ phí", 80_000)], actor=officer
    )
    payment = _receipt(notice)
    # Issuing the notice through the service is audited too: read what the pages recorded.
    setup = AuditEntry.objects.order_by("pk").values_list("pk", flat=True).last() or 0
    base = f"/admin/payments/payment/{payment.pk}"
    client.post(f"{base}/reject-receipt/", {"reason": "Ảnh mờ"})
    client.post(f"{base}/reject-receipt/", {"reason": "Lần hai"})  # already rejected: refused
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REJECTED
    again = _receipt(notice)
    client.post(f"/admin/payments/payment/{again.pk}/confirm-receipt/")
    rows = list(
        AuditEntry.objects.filter(pk__gt=setup)
        .order_by("pk")
        .values_list("action", "succeeded", "object_id")
    )
    assert rows[:3] == [
        ("payment_receipt_reject", True, str(payment.pk)),
        ("payment_receipt_reject", False, str(payment.pk)),
        ("payment_receipt_confirm", True, str(again.pk)),
    ]
    first = AuditEntry.objects.filter(action="payment_receipt_reject").order_by("pk").first()
    assert first.message == "Ảnh mờ"
    assert first.changes["status"] == [PaymentStatus.RECEIPT_SUBMITTED, PaymentStatus.REJECTED]
    confirmed = AuditEntry.objects.get(action="payment_receipt_confirm")
    assert confirmed.changes["status"] == [PaymentStatus.RECEIPT_SUBMITTED, PaymentStatus.CONFIRMED]


def test_the_bulk_confirm_action_audits_each_payment(client, officer, awaiting):
    notice = payments.fee_notice_issue(
        dossier_id=awaiting.pk, items=[("Lệ phí", 80_000)], actor=officer
    )
    payment = _receipt(notice)
    client.post(
        "/admin/payments/payment/",
        {"action": "confirm_receipts", "_selected_action": [payment.pk]},
    )
    entry = AuditEntry.objects.get(action="payment_receipt_confirm")
    assert entry.succeeded and entry.object_id == str(payment.pk)


# --- Data edited in the admin -------------------------------------------------------------------


@pytest.fixture
def superuser(client):
    user = StaffFactory(is_superuser=True)
    client.force_login(user)
    return user


def test_calendar_days_added_in_the_admin_are_audited(client, superuser):
    response = client.post(
        "/admin/dossiers/calendarday/add/",
        {"date": "2027-04-30", "kind": "day_off", "note": "Nghỉ bù"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.object_type, entry.actor) == (
        "admin_add",
        "dossiers.calendarday",
        superuser,
    )
    assert entry.changes["date"][1] == str(date(2027, 4, 30))


def _inline_management(prefix, total=0, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def test_a_procedure_and_its_fee_changed_in_the_admin_are_audited(client, superuser):
    procedure = ProcedureFactory(processing_days=10)
    fee = FeeFactory(procedure=procedure, name="Lệ phí", amount=100_000)
    page = client.get(f"/admin/procedures/procedure/{procedure.pk}/change/")
    data = {}
    for key, value in page.context["adminform"].form.initial.items():
        if value is None:
            continue
        data[key] = (
            [v.pk if hasattr(v, "pk") else v for v in value]
            if isinstance(value, list)
            else (value.pk if hasattr(value, "pk") else value)
        )
    data.pop("applicant_types", None)
    for formset in page.context["inline_admin_formsets"]:
        fs = formset.formset
        data.update(_inline_management(fs.prefix, fs.total_form_count(), fs.initial_form_count()))
        for form in fs.forms:
            for name, field in form.fields.items():
                value = form.initial.get(name, field.initial)
                if value is None or name == "DELETE":
                    continue
                if isinstance(value, list):
                    value = ",".join(map(str, value))
                data[form.add_prefix(name)] = value.pk if hasattr(value, "pk") else value
    data["processing_days"] = 7
    fee_prefix = next(
        f.formset.prefix
        for f in page.context["inline_admin_formsets"]
        if f.formset.model.__name__ == "Fee"
    )
    data[f"{fee_prefix}-0-amount"] = 150_000
    data["applicant_types"] = json.dumps(procedure.applicant_types)
    response = client.post(f"/admin/procedures/procedure/{procedure.pk}/change/", data)
    assert response.status_code == 302, [
        response.context["adminform"].form.errors,
        [f.formset.errors for f in response.context["inline_admin_formsets"]],
    ]
    change = AuditEntry.objects.get(action="admin_change")
    assert change.changes["processing_days"] == [10, 7]
    inline = AuditEntry.objects.get(action="admin_change_inline")
    assert inline.object_id == str(procedure.pk)
    assert inline.changes == {
        "procedures.fee": [
            {
                "changed": fee.pk,
                "object": "Lệ phí: 150000",
                "fields": {"amount": [100_000, 150_000]},
            }
        ]
    }


def test_permission_groups_changed_in_the_admin_are_audited(client, superuser):
    group = Group.objects.create(name="Một cửa")
    permission = Permission.objects.get(codename="receive_dossier")
    response = client.post(
        f"/admin/auth/group/{group.pk}/change/",
        {"name": "Một cửa", "permissions": [permission.pk]},
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get()
    assert entry.object_type == "auth.group"
    assert entry.changes["permissions"] == [[], [str(permission)]]


def test_a_password_set_by_an_administrator_is_audited(client, superuser):
    citizen = UserFactory()
    response = client.post(
        f"/admin/accounts/user/{citizen.pk}/password/",
        {"password1": "Mot-mat-khau-moi-2027", "password2": "Mot-mat-khau-moi-2027"},
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.object_id, entry.actor) == (
        "admin_password_change",
        str(citizen.pk),
        superuser,
    )
    assert "Mot-mat-khau" not in str(entry.changes) + entry.message


def test_the_audit_log_is_read_only_even_for_a_superuser(client, superuser):
    dossier = DossierFactory(status=S.SUBMITTED)
    entry = AuditEntry.objects.create(actor=superuser, action="dossier_receive", object_id="1")
    page = client.get(f"/admin/accounts/auditentry/{entry.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    client.post(f"/admin/accounts/auditentry/{entry.pk}/change/", {"action": "forged"})
    client.post(f"/admin/accounts/auditentry/{entry.pk}/delete/", {"post": "yes"})
    client.post(
        "/admin/accounts/auditentry/",
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    assert client.get("/admin/accounts/auditentry/add/").status_code == 403
    entry.refresh_from_db()
    assert entry.action == "dossier_receive"
    assert dossier.pk  # the log holds ids, not the dossier itself
