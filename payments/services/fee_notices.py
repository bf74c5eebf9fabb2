"""Issuing a fee notice (thông báo phí, lệ phí)."""

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from dossiers.constants import DossierStatus
from dossiers.models import Dossier
from dossiers.services import HistoryEntry, dossier_notify, dossier_request_payment

from ..history import Msg
from ..models import FeeNotice, FeeNoticeItem, Payment
from .audit import payment_audited
from .common import PaymentError, _new_txn_ref, payment_page_path


def fee_notice_issue(
    *, dossier_id: int, items: list[tuple[str, int]], actor, note: str = "", request=None
) -> FeeNotice:
    """Staff issue a fee notice: the dossier waits for payment and the applicant is told.

    Preconditions: the dossier is being processed (`processing`); at least one item; every
    amount a whole number of VND ≥ 0; the total above zero.
    Side effects: the dossier moves to `awaiting_payment` (history event), a pending payment is
    created, the applicant gets a notification and an email (sent on commit). An item named as
    a fee of the procedure's schedule keeps that fee's English name.
    Raises `PaymentError` for bad items and `TransitionRefused` when the dossier's status does
    not allow it. Recorded in the staff audit log, done or refused (`request`: the page's).
    """
    with payment_audited(
        "fee_notice_issue",
        actor=actor,
        request=request,
        agency_id=Dossier.objects.filter(pk=dossier_id).values_list("agency_id", flat=True).first(),
        refused_changes={"dossier": str(dossier_id)},
    ) as done:
        cleaned = _clean_items(items)
        notice = _issue(dossier_id=dossier_id, items=cleaned, actor=actor, note=note)
        done(
            notice,
            dossier=notice.dossier_id,
            items=[[name, amount] for name, amount in cleaned],
            total=notice.total,
        )
    return notice


def _clean_items(items: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """The items with their names trimmed; `PaymentError` for a bad item or a zero total."""
    cleaned = []
    for name, amount in items:
        name = (name or "").strip()
        if (
            not name
            or len(name) > 255
            or not isinstance(amount, int)
            or isinstance(amount, bool)
            or amount < 0
        ):
            raise PaymentError(
                _("Every fee item needs a name and a whole amount of VND (0 or more).")
            )
        cleaned.append((name, amount))
    total = sum(amount for _name, amount in cleaned)
    if not cleaned or total <= 0:
        raise PaymentError(_("A fee notice needs at least one item and a total above zero."))
    return cleaned


def _issue(*, dossier_id: int, items: list[tuple[str, int]], actor, note: str) -> FeeNotice:
    cleaned = items
    total = sum(amount for _name, amount in cleaned)
    with transaction.atomic():
        # An audited dossier step, asked of the dossiers policy (the agency rule).
        result = dossier_request_payment(
            dossier_id=dossier_id,
            actor=actor,
            expected_status=DossierStatus.PROCESSING,
            history=HistoryEntry(
                action="fee_notice_issued", message=Msg.FEE_NOTICE_ISSUED, params={"total": total}
            ),
        )
        dossier = result.dossier
        notice = FeeNotice.objects.create(
            dossier=dossier, total=total, note=note.strip(), created_by=actor
        )
        # An item that keeps a scheduled fee's name keeps its English name too.
        english = {fee.name: fee.name_en for fee in dossier.procedure.fees.all()}
        lines = [
            FeeNoticeItem(
                fee_notice=notice,
                order=index,
                name=name,
                name_en=english.get(name, ""),
                amount=amount,
            )
            for index, (name, amount) in enumerate(cleaned)
        ]
        FeeNoticeItem.objects.bulk_create(lines)
        Payment.objects.create(fee_notice=notice, amount=total, txn_ref=_new_txn_ref())
        dossier_notify(
            dossier=dossier,
            template="payment_fee_notice",
            context={
                "dossier": dossier,
                "notice": notice,
                "items": [
                    {"name": i.name, "name_en": i.name_en, "amount": i.amount} for i in lines
                ],
                "total": total,
                "payment_url": settings.SITE_URL + payment_page_path(dossier),
            },
            link=payment_page_path(dossier),
        )
    return notice
