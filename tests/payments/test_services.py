"""Services: issuing a fee notice, the offline receipt path, online attempts, confirmation."""

import re
import zlib
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

import pytest

from accounts.models import Notification
from dossiers.constants import DossierStatus
from dossiers.models import DossierEvent
from dossiers.services import TransitionRefused
from payments import services
from payments.constants import PaymentMethod, PaymentStatus
from payments.models import FeeNotice, Payment

from .factories import DossierFactory, UserFactory

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n"
    + b"\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02"
    + b"\x00" * 64
)


def png(name="bien-lai.png", data=PNG):
    return SimpleUploadedFile(name, data, content_type="image/png")


# --- Fee notice ----------------------------------------------------------------------------------


def test_issuing_a_fee_notice_waits_for_payment_and_tells_the_applicant(
    dossier, staff, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notice = services.fee_notice_issue(
            dossier_id=dossier.pk,
            items=[("Lệ phí cấp giấy phép", 100_000), ("Phí thẩm định", 50_000)],
            actor=staff,
            note="Nộp trong 5 ngày làm việc.",
        )
    assert callbacks, "the email is queued on commit"

    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.AWAITING_PAYMENT
    assert notice.total == 150_000
    assert [(i.name, i.amount) for i in notice.items.all()] == [
        ("Lệ phí cấp giấy phép", 100_000),
        ("Phí thẩm định", 50_000),
    ]
    payment = notice.payments.get()
    assert (payment.status, payment.amount, payment.method) == (PaymentStatus.PENDING, 150_000, "")
    event = DossierEvent.objects.get(dossier=dossier, action="fee_notice_issued")
    assert event.to_status == DossierStatus.AWAITING_PAYMENT and event.actor == staff
    assert Notification.objects.filter(
        user=dossier.applicant, link=f"/me/dossiers/{dossier.pk}/#payment"
    ).exists()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [dossier.applicant.email]
    assert dossier.code in mail.subject
    assert "150,000 VND" in mail.body and "Phí thẩm định" in mail.body
    assert f"http://testserver/me/dossiers/{dossier.pk}/#payment" in mail.body


def test_fee_items_keep_the_schedules_english_names_for_english_readers(
    dossier, staff, mailoutbox, django_capture_on_commit_callbacks
):
    dossier.procedure.fees.filter(name="Phí thẩm định").update(name_en="Appraisal fee")
    dossier.applicant.language = "en"
    dossier.applicant.save()

    with django_capture_on_commit_callbacks(execute=True):
        notice = services.fee_notice_issue(
            dossier_id=dossier.pk,
            items=[("Phí thẩm định", 50_000), ("Phí thẩm định bổ sung", 20_000)],
            actor=staff,
        )

    assert [(i.name, i.name_en) for i in notice.items.all()] == [
        ("Phí thẩm định", "Appraisal fee"),
        ("Phí thẩm định bổ sung", ""),  # renamed by staff: no English, shown in Vietnamese
    ]
    body = mailoutbox[0].body
    assert "- Appraisal fee: 50,000 VND" in body
    assert "- Phí thẩm định bổ sung: 20,000 VND" in body


def test_fee_notice_is_refused_unless_the_dossier_is_being_processed(staff):
    dossier = DossierFactory(status=DossierStatus.RECEIVED)
    with pytest.raises(TransitionRefused):
        services.fee_notice_issue(dossier_id=dossier.pk, items=[("Lệ phí", 1000)], actor=staff)
    assert not FeeNotice.objects.exists()
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.RECEIVED


@pytest.mark.parametrize(
    "items", [[], [("Lệ phí", 0)], [("", 1000)], [("Lệ phí", -5)], [("Lệ phí", 10.5)]]
)
def test_fee_notice_items_must_be_named_whole_vnd_with_a_positive_total(dossier, staff, items):
    with pytest.raises(services.PaymentError):
        services.fee_notice_issue(dossier_id=dossier.pk, items=items, actor=staff)
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.PROCESSING


# --- Offline -------------------------------------------------------------------------------------


def test_receipt_upload_is_stored_privately_and_recorded(notice, citizen):
    payment = services.payment_receipt_submit(fee_notice_id=notice.pk, user=citizen, file=png())

    assert payment.status == PaymentStatus.RECEIPT_SUBMITTED
    assert payment.method == PaymentMethod.OFFLINE
    assert payment.receipt_name == "bien-lai.png"
    assert payment.receipt_content_type == "image/png"
    assert payment.receipt_file.name.startswith("payments/receipts/")
    assert "bien-lai" not in payment.receipt_file.name
    assert payment.receipt_file.read() == PNG
    assert Payment.objects.count() == 1  # the pending payment was used
    assert (
        DossierEvent.objects.filter(action="payment_receipt_submitted", is_public=False).count()
        == 1
    )


def test_the_officer_who_issued_the_notice_is_asked_to_check_the_receipt_once(
    notice, citizen, staff, mailoutbox, django_capture_on_commit_callbacks
):
    from django.conf import settings
    from django.urls import reverse

    from accounts.models import Notification

    staff.language = "vi"
    staff.save()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        payment = services.payment_receipt_submit(fee_notice_id=notice.pk, user=citizen, file=png())
    with django_capture_on_commit_callbacks(execute=True):  # a double click
        services.payment_receipt_submit(fee_notice_id=notice.pk, user=citizen, file=png())

    [email] = [m for m in mailoutbox if m.to == [staff.email]]
    code = notice.dossier.code
    assert email.subject == f"Chứng từ thanh toán cần kiểm tra: hồ sơ {code}"
    assert "150.000" in email.body and "bien-lai.png" in email.body
    admin_path = reverse("admin:payments_payment_change", args=[payment.pk])
    assert settings.SITE_URL + admin_path in email.body
    assert Notification.objects.get(user=staff).link == admin_path


def test_staff_confirming_a_receipt_themselves_get_no_email(
    notice, citizen, staff, mailoutbox, django_capture_on_commit_callbacks
):
    payment = services.payment_receipt_submit(fee_notice_id=notice.pk, user=citizen, file=png())
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.payment_receipt_confirm(payment_id=payment.pk, actor=staff)

    assert [m for m in mailoutbox if m.to == [staff.email]] == []
    assert [m for m in mailoutbox if m.to == [citizen.email]]  # the applicant is told


def test_receipt_double_submit_is_idempotent(notice, citizen):
    first = services.payment_receipt_submit(fee_notice_id=notice.pk, user=citizen, file=png())
    again = services.payment_receipt_submit(fee_notice_id=notice.pk, user=citizen, file=png())
    assert again.pk == first.pk
    assert DossierEvent.objects.filter(action="payment_receipt_submitted").count() == 1
    with pytest.raises(services.PaymentError, match="being checked"):
        services.payment_receipt_submit(
            fee_notice_id=notice.pk, user=citizen, file=png(data=PNG + b"other")
        )


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("bien-lai.pdf", b"<html><script>alert(1)</script></html>", "not a valid PDF"),
        ("bien-lai.exe", b"MZ\x90\x00", "not accepted"),
        ("bien-lai.png", b"", "empty"),
    ],
)
def test_receipt_upload_checks_the_file_by_content(notice, citizen, name, data, message):
    with pytest.raises(services.PaymentError, match=message):
        services.payment_receipt_submit(
            fee_notice_id=notice.pk, user=citizen, file=SimpleUploadedFile(name, data)
        )
    assert notice.payments.get().status == PaymentStatus.PENDING


def test_receipt_over_the_size_limit_is_refused(notice, citizen):
    big = SimpleUploadedFile("bien-lai.png", PNG + b"\x00" * (10 * 1024 * 1024))
    with pytest.raises(services.PaymentError, match="larger than 10 MB"):
        services.payment_receipt_submit(fee_notice_id=notice.pk, user=citizen, file=big)


def test_receipt_for_someone_elses_notice_does_not_exist(notice):
    with pytest.raises(FeeNotice.DoesNotExist):
        services.payment_receipt_submit(fee_notice_id=notice.pk, user=UserFactory(), file=png())


def test_staff_confirm_a_receipt(
    notice, citizen, staff, mailoutbox, django_capture_on_commit_callbacks
):
    payment = services.payment_receipt_submit(fee_notice_id=notice.pk, user=citizen, file=png())
    with django_capture_on_commit_callbacks(execute=True):
        result = services.payment_receipt_confirm(payment_id=payment.pk, actor=staff)

    assert result.changed
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CONFIRMED
    assert payment.confirmed_by == staff
    assert payment.confirmation_pdf.read(5) == b"%PDF-"
    dossier = notice.dossier
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.PROCESSING
    event = DossierEvent.objects.get(action="payment_confirmed")
    assert event.actor == staff and event.from_status == DossierStatus.AWAITING_PAYMENT
    assert [m.subject for m in mailoutbox if "confirmed" in m.subject]

    again = services.payment_receipt_confirm(payment_id=payment.pk, actor=staff)
    assert not again.changed
    assert DossierEvent.objects.filter(action="payment_confirmed").count() == 1


def test_staff_reject_a_receipt_and_the_applicant_uploads_again(
    notice, citizen, staff, mailoutbox, django_capture_on_commit_callbacks
):
    first = services.payment_receipt_submit(fee_notice_id=notice.pk, user=citizen, file=png())
    with pytest.raises(services.PaymentError):
        services.payment_receipt_reject(payment_id=first.pk, actor=staff, reason="  ")
    with django_capture_on_commit_callbacks(execute=True):
        services.payment_receipt_reject(
            payment_id=first.pk, actor=staff, reason="Ảnh mờ, không đọc được số tiền."
        )

    first.refresh_from_db()
    assert first.status == PaymentStatus.REJECTED
    assert first.reject_reason == "Ảnh mờ, không đọc được số tiền."
    mail = [m for m in mailoutbox if "not accepted" in m.subject][0]
    assert "Ảnh mờ, không đọc được số tiền." in mail.body
    event = DossierEvent.objects.get(action="payment_receipt_rejected")
    assert "Ảnh mờ" in event.note and event.actor == staff
    notice.dossier.refresh_from_db()
    assert notice.dossier.status == DossierStatus.AWAITING_PAYMENT

    with pytest.raises(services.PaymentError):
        services.payment_receipt_confirm(payment_id=first.pk, actor=staff)

    second = services.payment_receipt_submit(
        fee_notice_id=notice.pk, user=citizen, file=png(data=PNG + b"clear")
    )
    assert second.pk != first.pk
    assert second.status == PaymentStatus.RECEIPT_SUBMITTED
    assert services.payment_receipt_confirm(payment_id=second.pk, actor=staff).changed


def test_receipt_after_the_fee_is_paid_is_refused(notice, citizen, staff):
    payment = services.payment_receipt_submit(fee_notice_id=notice.pk, user=citizen, file=png())
    services.payment_receipt_confirm(payment_id=payment.pk, actor=staff)
    with pytest.raises(services.PaymentError, match="already been paid"):
        services.payment_receipt_submit(
            fee_notice_id=notice.pk, user=citizen, file=png(data=PNG + b"2")
        )


# --- Online --------------------------------------------------------------------------------------


def test_start_online_uses_the_pending_payment_and_sets_expiry(notice, citizen):
    pending = notice.payments.get()
    payment = services.payment_start_online(
        fee_notice_id=notice.pk, user=citizen, provider="vnpay", bank_code="NCB"
    )
    assert payment.pk == pending.pk
    assert payment.status == PaymentStatus.INITIATED
    assert payment.method == PaymentMethod.ONLINE
    assert payment.expires_at - payment.initiated_at == timedelta(minutes=15)


def test_start_online_twice_reuses_the_attempt_and_a_new_bank_starts_another(notice, citizen):
    first = services.payment_start_online(fee_notice_id=notice.pk, user=citizen, provider="vnpay")
    again = services.payment_start_online(fee_notice_id=notice.pk, user=citizen, provider="vnpay")
    assert again.pk == first.pk
    other = services.payment_start_online(
        fee_notice_id=notice.pk, user=citizen, provider="vnpay", bank_code="BIDV"
    )
    assert other.pk != first.pk and other.txn_ref != first.txn_ref


def test_after_a_failed_attempt_a_new_order_reference_is_used(online_payment, citizen):
    services.payment_fail(payment_id=online_payment.pk, status=PaymentStatus.CANCELLED)
    retry = services.payment_start_online(
        fee_notice_id=online_payment.fee_notice_id, user=citizen, provider="vnpay", bank_code="NCB"
    )
    assert retry.pk != online_payment.pk and retry.txn_ref != online_payment.txn_ref


def test_online_is_refused_while_a_receipt_is_checked(notice, citizen):
    services.payment_receipt_submit(fee_notice_id=notice.pk, user=citizen, file=png())
    with pytest.raises(services.PaymentError, match="being checked"):
        services.payment_start_online(fee_notice_id=notice.pk, user=citizen, provider="vnpay")


def test_paying_twice_confirms_both_once_and_flags_the_second(notice, citizen, staff):
    a = services.payment_start_online(fee_notice_id=notice.pk, user=citizen, provider="vnpay")
    b = services.payment_start_online(
        fee_notice_id=notice.pk, user=citizen, provider="vnpay", bank_code="BIDV"
    )
    services.payment_confirm(payment_id=a.pk, provider_reference="1001")
    result = services.payment_confirm(payment_id=b.pk, provider_reference="1002")
    assert result.changed
    b.refresh_from_db()
    assert b.status == PaymentStatus.CONFIRMED and b.flagged_for_review
    assert "Paid twice" in b.flag_reason
    assert DossierEvent.objects.filter(action="payment_confirmed").count() == 1


def test_payment_after_withdrawal_is_recorded_and_flagged(online_payment, citizen):
    from dossiers.services import dossier_transition

    dossier_transition(
        dossier_id=online_payment.fee_notice.dossier_id,
        to_status=DossierStatus.WITHDRAWN,
        role="citizen",
        actor=citizen,
    )
    services.payment_confirm(payment_id=online_payment.pk, provider_reference="2001")
    online_payment.refresh_from_db()
    assert online_payment.status == PaymentStatus.CONFIRMED
    assert online_payment.flagged_for_review
    online_payment.fee_notice.dossier.refresh_from_db()
    assert online_payment.fee_notice.dossier.status == DossierStatus.WITHDRAWN


def test_payment_fail_and_expire_never_touch_a_confirmed_payment(online_payment):
    services.payment_confirm(payment_id=online_payment.pk, provider_reference="3001")
    assert not services.payment_fail(payment_id=online_payment.pk, status=PaymentStatus.FAILED)
    assert not services.payment_expire(
        payment_id=online_payment.pk, now=timezone.now() + timedelta(days=1)
    )
    online_payment.refresh_from_db()
    assert online_payment.status == PaymentStatus.CONFIRMED


def test_expire_waits_for_the_expiry(online_payment):
    assert not services.payment_expire(payment_id=online_payment.pk)
    assert services.payment_expire(
        payment_id=online_payment.pk, now=online_payment.expires_at + timedelta(seconds=1)
    )
    online_payment.refresh_from_db()
    assert online_payment.status == PaymentStatus.EXPIRED


def test_confirmation_pdf_is_rendered_with_a_vietnamese_font(online_payment):
    from payments.documents import payment_confirmation_pdf

    services.payment_confirm(payment_id=online_payment.pk, provider_reference="4001")
    online_payment.refresh_from_db()
    pdf = payment_confirmation_pdf(online_payment)
    assert pdf.startswith(b"%PDF-")
    assert b"DejaVu-Sans" in _pdf_streams(pdf)  # the font with every Vietnamese glyph


def _pdf_streams(pdf: bytes) -> bytes:
    """The PDF's compressed objects, inflated (fonts are named inside them)."""
    out = b""
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out += zlib.decompress(match.group(1))
        except zlib.error:
            continue
    return out


@pytest.mark.django_db(transaction=True)
def test_a_confirmation_with_the_broker_down_commits_and_answers(online_payment, dead_broker):
    """Redis (the broker) down as the money arrives: the confirmation stands and the caller (the
    gateway's notification) gets its answer; the PDF is drawn when first downloaded."""
    result = services.payment_confirm(payment_id=online_payment.pk, provider_reference="3001")

    assert result.changed
    online_payment.refresh_from_db()
    assert online_payment.status == "confirmed"
