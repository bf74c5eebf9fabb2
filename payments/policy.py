"""Who may take which staff step on fees and payments: decided here only.

The payment services ask `step_refusal` before every staff step (issue a fee notice, confirm
or reject a receipt, confirm a payment after review), so the admin, a task, a management
command or a future API get the same answer; the admin pages ask the same permissions
(`may_handle`) to show their buttons. A step needs its permission and the dossier's agency to
be the officer's (superusers: any agency). `actor` None is the system (a gateway's word, the
reconciliation task): the gateway's signature, not a person, vouches for it.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from dossiers.policy import PERMISSION_DENIED, staff_agency_id

ISSUE = "payments.add_feenotice"
HANDLE = "payments.change_payment"

# Each staff step (its audit action) and the permission it needs.
STEP_PERMISSIONS: dict[str, str] = {
    "fee_notice_issue": ISSUE,
    "payment_receipt_confirm": HANDLE,
    "payment_receipt_reject": HANDLE,
    "payment_confirm_reviewed": HANDLE,
}


@dataclass(frozen=True)
class Refusal:
    """Why a step is refused: `message` for the person, `audit` for the staff audit log."""

    message: str
    audit: str


def may_handle(user, step: str) -> bool:
    """Whether `user`'s permissions allow `step` at all (an admin page's buttons)."""
    return user.is_superuser or user.has_perm(STEP_PERMISSIONS[step])


def step_refusal(actor, step: str, agency_id: int | None) -> Refusal | None:
    """Why `actor` may not take `step` on the fee or payment of a dossier of `agency_id`, or
    None when they may."""
    if actor is None or actor.is_superuser:
        return None
    if not may_handle(actor, step):
        return Refusal(
            message=_("You may not take this step on this payment."), audit=PERMISSION_DENIED
        )
    if staff_agency_id(actor) != agency_id:
        message = _("You can only act on your own agency's dossiers.")
        return Refusal(message=message, audit=message)
    return None
