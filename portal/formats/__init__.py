"""The portal's own date and number formats (`FORMAT_MODULE_PATH`), one per language.

Both languages read a date day first (dd/mm/yyyy) with a 24-hour clock, so a date printed on a
Vietnamese slip and the same date on an English page read the same. Templates name the formats
(`|date:"SHORT_DATE_FORMAT"`, `|date:"SHORT_DATETIME_FORMAT"`) instead of spelling them out.
"""

from django.utils.formats import number_format
from django.utils.translation import gettext as _


def vnd(amount) -> str:
    """Whole đồng with the reader's thousands separator: "3.500.000.000 ₫" in Vietnamese,
    "3,500,000,000 VND" in English. Empty for no amount."""
    if amount in (None, ""):
        return ""
    grouped = number_format(int(amount), decimal_pos=0, force_grouping=True)
    return _("%(amount)s VND") % {"amount": grouped}
