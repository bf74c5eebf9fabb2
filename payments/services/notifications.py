"""The gateway's server-to-server notifications (IPN): acting on one, and the log of all."""

import logging

from ..constants import (
    IPN_LOG_MAX_KEY_CHARS,
    IPN_LOG_MAX_PARAMS,
    IPN_LOG_MAX_VALUE_CHARS,
    IpnResult,
    PaymentMethod,
)
from ..models import Payment, PaymentNotification
from ..providers.base import PaymentProvider
from .confirmation import payment_confirm, payment_flag, payment_gateway_failure

logger = logging.getLogger(__name__)


def payment_notification_handle(
    *, provider: PaymentProvider, params: dict[str, str]
) -> tuple[str, str]:
    """Act on one notification from `provider`'s gateway; return the answer (code, message).

    The provider reads and checks it (`handle_notification`, which changes nothing); then, in
    the protocol's order: signature (97), order (01), amount (04, and the payment is flagged for
    staff), already confirmed (02); otherwise the payment is confirmed or its failure recorded
    (00). Idempotent: a repeated notification changes nothing. Anything unexpected answers 99
    so the gateway tries again.
    """

    def answer(result: IpnResult) -> tuple[str, str]:
        return result.value, result.label

    txn_ref = ""
    try:
        response = provider.handle_notification(params)
        txn_ref = response.txn_ref[:40]
        if not response.valid:
            return answer(IpnResult.INVALID_SIGNATURE)
        payment = (
            Payment.objects.filter(
                txn_ref=response.txn_ref, method=PaymentMethod.ONLINE, provider=provider.identifier
            )
            .only("pk", "amount", "status")
            .first()
        )
        if payment is None or not response.found:
            return answer(IpnResult.ORDER_NOT_FOUND)
        if response.amount != payment.amount:
            payment_flag(
                payment_id=payment.pk,
                reason=provider.amount_mismatch_reason(response, expected=payment.amount),
            )
            return answer(IpnResult.INVALID_AMOUNT)
        if response.succeeded:
            changed = payment_confirm(
                payment_id=payment.pk,
                provider_reference=response.provider_reference,
                bank_code=response.bank_code,
                response_code=response.response_code,
            ).changed
        else:
            changed = payment_gateway_failure(
                payment_id=payment.pk,
                response_code=response.response_code,
                transaction_status=response.transaction_status,
                provider_reference=response.provider_reference,
                bank_code=response.bank_code,
            )
        return answer(IpnResult.CONFIRM_SUCCESS if changed else IpnResult.ALREADY_CONFIRMED)
    except Exception:
        logger.exception("%s notification could not be processed: %s", provider.identifier, txn_ref)
        return answer(IpnResult.UNKNOWN_ERROR)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _bounded_params(params: dict) -> dict[str, str]:
    """The parameters the log keeps: gateway ones first, in the order they came."""
    ordered = sorted(params.items(), key=lambda item: not str(item[0]).startswith("vnp_"))
    kept: dict[str, str] = {}
    for key, value in ordered[:IPN_LOG_MAX_PARAMS]:
        kept[_cut(str(key), IPN_LOG_MAX_KEY_CHARS)] = _cut(str(value), IPN_LOG_MAX_VALUE_CHARS)
    return kept


def payment_notification_record(
    *, provider: str, params: dict, result_code: str, result_message: str, remote_addr: str = ""
) -> PaymentNotification:
    """Append one gateway notification to the log, whatever its outcome.

    A notification refused for its signature is linked to no payment, so nothing a forger
    sends can stand in the way of the real one. The log is bounded whatever was sent: at most
    `IPN_LOG_MAX_PARAMS` parameters, gateway ones (vnp_*) first, keys and values cut short
    (a cut value ends with "…"); how many were left out is counted in `params_omitted`.
    """
    payment_id = None
    if result_code != "97":
        payment_id = (
            Payment.objects.filter(txn_ref=str(params.get("vnp_TxnRef", ""))[:40])
            .values_list("pk", flat=True)
            .first()
        )
    kept = _bounded_params(params)
    return PaymentNotification.objects.create(
        provider=provider,
        payment_id=payment_id,
        params=kept,
        params_omitted=len(params) - len(kept),
        remote_addr=remote_addr[:64],
        result_code=result_code,
        result_message=result_message[:100],
    )
