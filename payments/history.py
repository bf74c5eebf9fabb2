"""The payment steps of a dossier's history and the payment notifications' titles, composed
when read in the reader's language (accounts.messages, dossiers.history)."""

from django.utils.translation import gettext_lazy as _

from accounts.messages import Visibility, register_kind
from accounts.messages import register_message as message

from .constants import BANK_NAMES

APPLICANT = Visibility.APPLICANT

register_kind("bank", format=lambda code: str(BANK_NAMES.get(code, code)))


class Msg:
    """Message ids of payment steps: amounts are for the applicant and staff, not the public."""

    FEE_NOTICE_ISSUED = message(
        "payment.fee_notice_issued",
        _("Fee notice: %(total)s"),
        visibility=APPLICANT,
        total="amount",
    ).id
    CONFIRMED = message(
        "payment.confirmed", _("Fee paid: %(total)s"), visibility=APPLICANT, total="amount"
    ).id
    CONFIRMED_ONLINE = message(
        "payment.confirmed_online",
        _("Fee paid online through %(bank)s: %(total)s"),
        visibility=APPLICANT,
        total="amount",
        bank="bank",
    ).id
    RECEIPT_SUBMITTED = message(
        "payment.receipt_submitted",
        _("Payment receipt submitted for checking."),
        visibility=APPLICANT,
    ).id
    RECEIPT_REJECTED = message(
        "payment.receipt_rejected", _("The payment receipt was not accepted."), visibility=APPLICANT
    ).id


# Notification titles: the same words as the emails' subjects.
for template, title in (
    ("payment_confirmed", _("Payment confirmed for dossier %(code)s")),
    ("payment_fee_notice", _("Fee notice for dossier %(code)s")),
    ("payment_paid_online", _("Fee paid online for dossier %(code)s")),
    ("payment_receipt_rejected", _("Payment receipt not accepted for dossier %(code)s")),
    ("payment_receipt_submitted", _("Payment receipt to check for dossier %(code)s")),
):
    message(template, title, visibility=APPLICANT, code="text")
