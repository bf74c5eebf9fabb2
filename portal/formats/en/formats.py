"""English keeps the Vietnamese day-first dates and 24-hour clock (dd/mm/yyyy, "02/12/2026 16:58"),
so a date reads the same in both languages; only the number separators are English."""

from portal.formats.vi.formats import (  # noqa: F401 (read by name by django.utils.formats)
    DATE_FORMAT,
    DATE_INPUT_FORMATS,
    DATETIME_FORMAT,
    DATETIME_INPUT_FORMATS,
    FIRST_DAY_OF_WEEK,
    MONTH_DAY_FORMAT,
    NUMBER_GROUPING,
    SHORT_DATE_FORMAT,
    SHORT_DATETIME_FORMAT,
    TIME_FORMAT,
    TIME_INPUT_FORMATS,
    YEAR_MONTH_FORMAT,
)

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
