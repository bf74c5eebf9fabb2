"""Reads that the payment pages share."""

from django.db.models import Prefetch
from django.urls import NoReverseMatch, reverse

from dossiers.constants import DossierStatus

from .constants import PaymentStatus
from .models import FeeNotice, Payment
from .providers.registry import enabled_providers

S = PaymentStatus


def dossier_url(dossier) -> str:
    """The applicant's dossier page, which includes the payment panel (or, without the dossier
    pages, the standalone payment page)."""
    try:
        return dossier.get_absolute_url()
    except NoReverseMatch:
        return reverse("payments:dossier", args=[dossier.pk])


def fee_notices_for_dossier(dossier) -> list[FeeNotice]:
    """The dossier's fee notices, newest first, with their items and payments (3 queries)."""
    return list(
        FeeNotice.objects.filter(dossier=dossier)
        .prefetch_related(
            "items", Prefetch("payments", queryset=Payment.objects.order_by("-created_at", "-id"))
        )
        .order_by("-created_at", "-id")
    )


def transfer_text(dossier) -> str:
    """What the applicant writes as the bank transfer's content: dossier code and ID number."""
    who = dossier.citizen_id or dossier.tax_code or dossier.applicant_name
    return f"{dossier.code or dossier.pk} {who}".strip()


def notice_summary(notice: FeeNotice, dossier) -> dict:
    """Where one fee notice stands, for the panel and the pages."""
    payments = list(notice.payments.all())
    confirmed = next((p for p in payments if p.status == S.CONFIRMED), None)
    submitted = next((p for p in payments if p.status == S.RECEIPT_SUBMITTED), None)
    latest = payments[0] if payments else None
    rejected = latest if latest is not None and latest.status == S.REJECTED else None
    held = next((p for p in payments if p.status == S.INITIATED and p.flagged_for_review), None)
    can_pay = (
        not notice.is_paid
        and dossier.status == DossierStatus.AWAITING_PAYMENT
        and submitted is None
        and held is None
    )
    return {
        "notice": notice,
        "items": list(notice.items.all()),
        "payments": payments,
        "confirmed": confirmed,
        "submitted": submitted,
        "rejected": rejected,
        "held": held,
        "can_pay": can_pay,
    }


def payment_panel(dossier) -> dict:
    notices = fee_notices_for_dossier(dossier)
    summaries = [notice_summary(notice, dossier) for notice in notices]
    return {
        "dossier": dossier,
        "current": summaries[0] if summaries else None,
        "earlier": summaries[1:],
        "agency": dossier.agency,
        "transfer_text": transfer_text(dossier),
        "online_available": bool(enabled_providers()),
    }


def payment_for_citizen(*, user, payment_id: int) -> Payment:
    """One of the user's own payments (DoesNotExist for anyone else's)."""
    return (
        Payment.objects.for_citizen(user)
        .select_related("fee_notice__dossier__agency", "fee_notice__dossier__procedure")
        .get(pk=payment_id)
    )
