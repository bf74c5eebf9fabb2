"""Pieces the payments admin pages share: the audit of a staff step, amounts as staff read them."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.services import audit_record
from core.numbers import vnd

from ..models import Payment


def _audit(request, action: str, obj, *, succeeded=True, message="", **changes):
    """The staff audit log (accounts.AuditEntry): each attempt, done or refused. Refusals are
    recorded after the service's transaction rolled back, so they stay."""
    if isinstance(obj, Payment):
        now = Payment.objects.filter(pk=obj.pk).values_list("status", flat=True).first()
        changes["status"] = [obj.status, now]  # as the officer saw it, and now
    audit_record(
        actor=request.user,
        action=action,
        obj=obj,
        changes=changes,
        succeeded=succeeded,
        message=str(message),
        request=request,
    )


class AmountDisplay:
    """`amount_vnd`: an amount with the reader's thousands separators ("150.000 đ")."""

    @admin.display(description=_("Amount"), ordering="amount")
    def amount_vnd(self, obj) -> str:
        return vnd(obj.amount)
