"""The portal's own date and number formats (`FORMAT_MODULE_PATH`), one per language.

Both languages read a date day first (dd/mm/yyyy) with a 24-hour clock, so a date printed on a
Vietnamese slip and the same date on an English page read the same. Templates name the formats
(`|date:"SHORT_DATE_FORMAT"`, `|date:"SHORT_DATETIME_FORMAT"`) instead of spelling them out.
"""
