"""Catalogue texts in the reader's language (procedures/i18n.py).

{{ procedure|localized:"name" }}        plain text (titles, attributes, inside a sentence)
{% tr procedure "name" %}               HTML: a Vietnamese fallback is marked lang="vi"
{% tr procedure "content" block=True %} paragraphs, in a <div lang="vi"> when falling back
{% tr procedure "name" as name %}       the marked HTML in a variable (for blocktranslate)
"""

from typing import Any

from django import template
from django.utils.safestring import SafeString

from ..i18n import LocalizedText, lang_marked, localized

register = template.Library()


@register.filter(name="localized")
def localized_filter(obj: Any, name: str) -> LocalizedText:
    return localized(obj, name)


@register.simple_tag(name="tr")
def tr(obj: Any, name: str, block: bool = False) -> SafeString:
    return lang_marked(localized(obj, name), block=block)
