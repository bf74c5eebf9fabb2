"""Catalogue texts in the reader's language (procedures/i18n.py).

{{ procedure|localized:"name" }}        plain text (titles, attributes, inside a sentence)
{% tr procedure "name" %}               HTML: a Vietnamese fallback is marked lang="vi"
{% tr procedure "content" block=True %} paragraphs, in a <div lang="vi"> when falling back
{% tr procedure "name" as name %}       the marked HTML in a variable (for blocktranslate)
"""

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from ..i18n import LocalizedText, lang_marked, localized, reader_language

register = template.Library()


@register.filter(name="localized")
def localized_filter(obj: Any, name: str) -> LocalizedText:
    return localized(obj, name)


@register.simple_tag(name="tr")
def tr(obj: Any, name: str | None = None, block: bool = False) -> SafeString:
    """`obj`'s text `name` as HTML; without `name`, `obj` is an already localized text (e.g. a
    selector's `LocalizedText`)."""
    return lang_marked(localized(obj, name) if name else obj, block=block)


@register.filter
def lang_attr(text: Any) -> SafeString:
    """` lang="vi"` for a text that is not in the reader's language (for an element that cannot
    hold a <span>, e.g. <option>), else nothing: `<option{{ name|lang_attr }}>`."""
    lang = getattr(text, "lang", None)
    if lang and lang != reader_language():
        return format_html(' lang="{}"', lang)
    return SafeString("")
