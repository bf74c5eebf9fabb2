"""The payment panel the dossier page includes (`templates/payments/dossier_panel.html`)."""

from django import template

from .. import selectors
from ..forms import ReceiptForm

register = template.Library()


@register.inclusion_tag("payments/includes/panel.html", takes_context=True)
def payment_panel(context, dossier, receipt_form=None):
    """The fee notice of `dossier` and the ways to pay it; empty when there is no notice."""
    panel = selectors.payment_panel(dossier)
    return {
        **panel,
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
        "receipt_form": receipt_form or ReceiptForm(),
    }
