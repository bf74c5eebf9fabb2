"""Pieces the payments admin pages share: the refusals of a staff step, amounts as staff read
them. The staff audit log is written by the services (`payments.services.audit`)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.numbers import vnd
from dossiers.services import DossierError

from .. import services

# What a payment step may answer instead of doing it: shown to the officer (the service has
# recorded it in the audit log).
STEP_REFUSALS = (services.PaymentError, DossierError)


class AmountDisplay:
    """`amount_vnd`: an amount with the reader's thousands separators ("150.000 đ")."""

    @admin.display(description=_("Amount"), ordering="amount")
    def amount_vnd(self, obj) -> str:
        return vnd(obj.amount)
