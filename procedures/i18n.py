"""Catalogue texts in the reader's language.

The catalogue is written in Vietnamese; each text the public reads has an English twin in a plain
model field beside it (`name` and `name_en`, `text` and `text_en` …), blank while nobody has
translated it. `localized(obj, "name")` picks the active language's text and falls back to the
Vietnamese one; the result remembers its language, so a page can mark a fallback with
`lang="vi"` (`lang_marked`, and the `{% tr %}` tag of procedures/templatetags/catalogue.py).
"""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.html import format_html, linebreaks
from django.utils.safestring import SafeString, mark_safe

# The language the catalogue is written in (and the portal's default).
SOURCE_LANGUAGE = "vi"
# The languages a catalogue text may have a twin in: `<field>_<language>`.
TRANSLATED_LANGUAGES = ("en",)


class LocalizedText(str):
    """A catalogue text that knows which language it is in."""

    lang: str

    def __new__(cls, text: str, lang: str = SOURCE_LANGUAGE) -> "LocalizedText":
        obj = super().__new__(cls, text)
        obj.lang = lang
        return obj


def reader_language() -> str:
    """The active language's base code ("en" for "en-gb"), the default one outside a request."""
    return (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]


def _value(obj: Any, name: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def localized(obj: Any, name: str, language: str | None = None) -> LocalizedText:
    """`obj`'s text `name` in `language` (the active one by default), else the Vietnamese one.

    `obj` is a model instance or a `.values()` row: `localized(row, "agency__name")` reads
    `agency__name_en`. A missing or empty translation falls back to the Vietnamese text, whose
    `lang` is then "vi".
    """
    language = language or reader_language()
    if language != SOURCE_LANGUAGE and language in TRANSLATED_LANGUAGES:
        text = _value(obj, f"{name}_{language}")
        if text:
            return LocalizedText(text, language)
    return LocalizedText(_value(obj, name) or "", SOURCE_LANGUAGE)


def localized_choices(obj: Any, name: str = "choices") -> list[tuple[str, str]]:
    """A declared field's choices as (stored value, label in the reader's language) pairs.

    The stored value is always the Vietnamese one (dossier data keeps one value whatever the
    applicant's language); `<name>_en` holds the English labels in the same order. Each item is
    a plain string (value = label) or a [value, label] pair.
    """
    language = reader_language()
    translated = (
        (_value(obj, f"{name}_{language}") or []) if language in TRANSLATED_LANGUAGES else []
    )
    pairs = []
    for position, item in enumerate(_value(obj, name) or []):
        if isinstance(item, (list, tuple)) and len(item) == 2:
            value, label = str(item[0]), str(item[1])
        else:
            value = label = str(item)
        if position < len(translated) and translated[position]:
            label = str(translated[position])
        pairs.append((value, label))
    return pairs


def lang_marked(text: str, *, block: bool = False) -> SafeString:
    """`text` as HTML, wrapped in an element with its `lang` when it is not the reader's.

    `block=True` renders paragraphs (like the `linebreaks` filter) inside a `<div>`; otherwise
    the text is wrapped in a `<span>`.
    """
    lang = getattr(text, "lang", None)
    if block:
        # linebreaks() escaped the text itself but returns a plain str.
        html = mark_safe(linebreaks(text, autoescape=True))  # noqa: S308  # nosec B308, B703 # escaped by linebreaks
        if lang and lang != reader_language():
            return format_html('<div lang="{}">{}</div>', lang, html)
        return html
    if lang and lang != reader_language():
        return format_html('<span lang="{}">{}</span>', lang, text)
    return format_html("{}", text)
