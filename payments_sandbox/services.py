"""The sandbox bank's one write that matters: ending a transaction, then telling the merchant."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from payments.providers import vnpay

from .models import SandboxTransaction
from .tasks import sandbox_send_ipn


def transaction_open(
    *, tmn_code: str, txn_ref: str, fields: dict
) -> tuple[SandboxTransaction, bool]:
    """The bank's transaction for this merchant order, opened on the first visit; returns it
    and whether it was opened now. Two visits at once (a double click) get the same one."""
    try:
        with transaction.atomic():
            return SandboxTransaction.objects.get_or_create(
                tmn_code=tmn_code, txn_ref=txn_ref, defaults=fields
            )
    except IntegrityError:
        return SandboxTransaction.objects.get(tmn_code=tmn_code, txn_ref=txn_ref), False


def finish(txn_id: int, response_code: str) -> SandboxTransaction:
    """End a transaction once with `response_code`, then send the IPN after commit."""
    with transaction.atomic():
        txn = SandboxTransaction.objects.select_for_update().get(pk=txn_id)
        if txn.is_finished:
            return txn
        txn.response_code = response_code
        txn.transaction_status = "00" if response_code == "00" else "02"
        txn.pay_date = vnpay.format_date(timezone.now())
        if response_code == "00":
            txn.bank_tran_no = f"VNP{txn.transaction_no}"
            txn.card_type = txn.card_type or "ATM"
        txn.save()
        sandbox_send_ipn.delay_on_commit(txn.pk)
    return txn
