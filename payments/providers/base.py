"""The interface every payment gateway implements (STYLE: providers are classes behind one door).

A provider turns a payment into the gateway's signed redirect and reads the gateway's answers
(browser return, server-to-server notification, status query) into a `GatewayResponse`. The
services call it and act on what it read: a provider never sets a status, and never imports
`payments.services`.
"""

from dataclasses import dataclass, field

from django.http import HttpRequest
from django.utils.functional import Promise

from core.addresses import client_ip as resolved_client_ip

from ..constants import DEFAULT_RESPONSE_MESSAGE, RESPONSE_MESSAGES


@dataclass(frozen=True)
class GatewayResponse:
    """What the gateway said about one payment, once its signature was checked.

    `valid` is False when the signature (or the shape of the message) is wrong: then nothing
    else in it may be trusted. `found` is False when a status query found no such order.
    """

    valid: bool
    txn_ref: str = ""
    amount: int | None = None  # whole VND, already divided by the protocol's ×100
    response_code: str = ""
    transaction_status: str = ""
    provider_reference: str = ""
    bank_code: str = ""
    found: bool = True
    raw: dict = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        """Money was taken: both the response code and the transaction status are "00"."""
        return self.valid and self.response_code == "00" and self.transaction_status == "00"

    @property
    def message(self):
        """The outcome in words for the citizen (translated lazily)."""
        return RESPONSE_MESSAGES.get(self.response_code, DEFAULT_RESPONSE_MESSAGE)


class GatewayError(Exception):
    """The gateway's answer could not be used (bad signature, error code, malformed)."""


class PaymentProvider:
    """Base class of gateway providers; subclasses set `identifier` and implement the hooks."""

    identifier: str = ""
    verbose_name: "str | Promise" = ""

    def bank_choices(self) -> list[tuple[str, str]]:
        """Banks the citizen may pick before leaving for the gateway (code, name)."""
        return []

    def start(self, payment, request: HttpRequest) -> str:
        """Return the URL to send the citizen's browser to for an `initiated` payment.

        Precondition: `payment.status` is initiated and `payment.expires_at` is set.
        Side effects: none (the payment was prepared by `payment_start_online`).
        """
        raise NotImplementedError

    def handle_return(self, params: dict[str, str]) -> GatewayResponse:
        """Check and read the browser's return from the gateway. Never changes anything."""
        raise NotImplementedError

    def handle_notification(self, params: dict[str, str]) -> GatewayResponse:
        """Check and read one server-to-server notification. Never changes anything.

        `found` is False when the notification is addressed to another merchant.
        `payments.services.payment_notification_handle` calls this, then confirms, fails or
        flags the payment: a provider never sets a status.
        """
        raise NotImplementedError

    def amount_mismatch_reason(self, response: GatewayResponse, *, expected: int) -> str:
        """Why the payment is flagged when the gateway reports another amount (for staff)."""
        return f"Notification amount {response.amount!r} ≠ {expected}"

    def query(self, payment) -> GatewayResponse:
        """Ask the gateway for the payment's status (reconciliation). Raises OSError on network
        failure."""
        raise NotImplementedError


def client_ip(request: HttpRequest) -> str:
    """The client's address for the gateway (never empty: the protocol requires vnp_IpAddr)."""
    return resolved_client_ip(request) or "127.0.0.1"
