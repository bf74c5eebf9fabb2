"""What the sandbox bank signs and sends back to the merchant, in the VNPay 2.1.0 protocol.

Shared by the bank's pages (the browser's return) and its IPN task (the server-to-server call).
"""

from django.conf import settings

from payments.providers import vnpay

from .models import SandboxTransaction


def merchant_secret(tmn_code: str) -> str | None:
    """The merchants the sandbox knows: the portal's own configured terminal."""
    if tmn_code and tmn_code == settings.VNPAY_TMN_CODE:
        return settings.VNPAY_HASH_SECRET
    return None


def result_params(txn: SandboxTransaction) -> dict[str, str]:
    """The signed result (browser return and IPN carry the same parameters)."""
    params = {
        "vnp_Amount": txn.amount,
        "vnp_BankCode": txn.bank_code,
        "vnp_BankTranNo": txn.bank_tran_no,
        "vnp_CardType": txn.card_type,
        "vnp_OrderInfo": txn.order_info,
        "vnp_PayDate": txn.pay_date,
        "vnp_ResponseCode": txn.response_code,
        "vnp_TmnCode": txn.tmn_code,
        "vnp_TransactionNo": txn.transaction_no,
        "vnp_TransactionStatus": txn.transaction_status,
        "vnp_TxnRef": txn.txn_ref,
    }
    return {key: value for key, value in params.items() if value}


def signed_result_query(txn: SandboxTransaction) -> str:
    """The browser's return and the IPN's query string: the result, signed with the merchant's
    secret."""
    return vnpay.signed_query(result_params(txn), merchant_secret(txn.tmn_code) or "")
