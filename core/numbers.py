"""Amounts as the portal prints them, in the reader's language."""

from django.utils.formats import number_format
from django.utils.translation import gettext as _


def vnd(amount) -> str:
    """Whole đồng with the reader's thousands separator: "3.500.000.000 ₫" in Vietnamese,
    "3,500,000,000 VND" in English. Empty for no amount."""
    if amount in (None, ""):
        return ""
    grouped = number_format(int(amount), decimal_pos=0, force_grouping=True)
    return _("%(amount)s VND") % {"amount": grouped}
