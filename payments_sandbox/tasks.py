"""The sandbox bank's server-to-server notification (IPN) to the merchant, like the real gateway.

Sent by Celery after the bank's transaction commits, so it arrives whatever the browser does;
retried while the merchant cannot be reached or answers "99" (unknown error).
"""

import json
import logging
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import F
from django.urls import reverse

from celery import shared_task
from celery.contrib.django.task import DjangoTask

from .models import SandboxTransaction
from .protocol import signed_result_query

logger = logging.getLogger(__name__)

# Answers after which the gateway stops: confirmed, already confirmed, or a definitive refusal.
FINAL_ANSWERS = {"00", "02", "01", "04", "97"}


class IpnNotAccepted(Exception):
    pass


def http_get(url: str, timeout: float = 10) -> str:
    """GET a URL and return the body (the IPN call). Raises OSError on network failure."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(url)
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  # nosec B310 # scheme checked above
        return response.read().decode("utf-8")


def merchant_ipn_url() -> str:
    """The merchant's IPN address, as registered with the gateway: the portal's own."""
    return settings.SITE_URL + reverse("payments:vnpay_ipn")


def deliver_ipn(transaction_id: int) -> str:
    """GET the merchant's IPN URL with the signed result; return its RspCode.

    Raises OSError / IpnNotAccepted when it should be tried again.
    """
    txn = SandboxTransaction.objects.get(pk=transaction_id)
    url = f"{merchant_ipn_url()}?{signed_result_query(txn)}"
    SandboxTransaction.objects.filter(pk=txn.pk).update(ipn_attempts=F("ipn_attempts") + 1)
    try:
        body = http_get(url)
    except urllib.error.HTTPError as exc:
        SandboxTransaction.objects.filter(pk=txn.pk).update(ipn_last_answer=f"HTTP {exc.code}")
        raise IpnNotAccepted(f"HTTP {exc.code}") from exc
    SandboxTransaction.objects.filter(pk=txn.pk).update(ipn_last_answer=body[:255])
    try:
        code = str(json.loads(body).get("RspCode", ""))
    except (ValueError, AttributeError) as exc:
        raise IpnNotAccepted("the merchant's answer is not JSON") from exc
    if code not in FINAL_ANSWERS:
        raise IpnNotAccepted(f"RspCode {code}")
    return code


@shared_task(bind=True, base=DjangoTask, max_retries=10, acks_late=True)
def sandbox_send_ipn(self, transaction_id: int) -> str:
    try:
        return deliver_ipn(transaction_id)
    except (OSError, IpnNotAccepted) as exc:
        logger.warning("sandbox IPN for transaction %s not accepted: %s", transaction_id, exc)
        raise self.retry(exc=exc, countdown=min(300, 5 * 2**self.request.retries)) from exc
