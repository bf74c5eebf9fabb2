"""Template helpers shared by every app."""

from urllib.parse import quote

from django import template
from django.conf import settings
from django.urls import get_script_prefix, reverse
from django.utils import translation
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from core.html import status_badge as badge_html
from core.numbers import vnd

register = template.Library()


@register.simple_tag(takes_context=True)
def query_replace(context, **kwargs) -> str:
    """The current query string with some parameters replaced (for pagination and filters)."""
    query = context["request"].GET.copy()
    for key, value in kwargs.items():
        query[key] = value
    return query.urlencode()


# Whole đồng in the reader's language: "1.500.000 đ", "1,500,000 VND".
register.filter("vnd", vnd)


@register.simple_tag
def status_badge(status: str, label: str, css: str = "") -> str:
    return badge_html(css, label)


# Rendered layout parts by (name, language, vary-on values): a few dozen strings at most.
_LAYOUT_PARTS: dict[tuple, str] = {}
_LAYOUT_PARTS_MAX = 1000


class LayoutPartNode(template.Node):
    # Not searched for {% block %} tags (a part holds none): `{% extends %}` walks the whole
    # layout's node tree for them on every page.
    child_nodelists = ()

    def __init__(self, nodelist, name: str, vary_on: list):
        self.nodelist = nodelist
        self.name = name
        self.vary_on = vary_on

    def render(self, context) -> str:
        key = (
            self.name,
            translation.get_language(),
            *(str(value.resolve(context)) for value in self.vary_on),
        )
        html = _LAYOUT_PARTS.get(key)
        if html is None:
            html = self.nodelist.render(context)
            if len(_LAYOUT_PARTS) >= _LAYOUT_PARTS_MAX:
                _LAYOUT_PARTS.clear()
            _LAYOUT_PARTS[key] = html
        return html


@register.tag
def layout_part(parser, token) -> LayoutPartNode:
    """`{% layout_part name [value …] %}…{% endlayout_part %}`: a part of the site layout that
    is the same for every reader of a language (the brand, the main links, the footer), rendered
    once per process, language and the given values, then reused on every page.

    Like Django's `{% cache %}` tag with a per-process memory, without its key hashing and
    pickling, and independent of the CACHES setting. Only for markup that depends on nothing
    but the language, the settings and the values named (never the user or the request).
    """
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("layout_part needs a name")
    nodelist = parser.parse(("endlayout_part",))
    parser.delete_first_token()
    return LayoutPartNode(nodelist, bits[1], [parser.compile_filter(bit) for bit in bits[2:]])


# Each language's switch URL by script prefix: the same on every page of a process.
_LANGUAGE_URLS: dict[str, tuple[tuple[str, str], ...]] = {}
# A language's name in itself, whatever the page's language.
LANGUAGE_SELF_NAMES = {"vi": "Tiếng Việt", "en": "English"}


@register.simple_tag(takes_context=True)
def language_links(context) -> SafeString:
    """The header's language links (`<li>` items): each switches to its language and comes back
    to this page (`?next=` the current path and query); the current one is marked.

    On every page of the portal: the switch URLs are reversed once per process (and script
    prefix), not twice per page as `{% url %}` in a loop would."""
    prefix = get_script_prefix()
    urls = _LANGUAGE_URLS.get(prefix)
    if urls is None:
        urls = tuple(
            (code, reverse("set_language_get", args=[code])) for code, _name in settings.LANGUAGES
        )
        _LANGUAGE_URLS[prefix] = urls
    request = context.get("request")  # absent on a page Django renders without one (500)
    back = quote(request.get_full_path()) if request is not None else ""
    current = translation.get_language()
    return format_html_join(
        "\n",
        '<li><a href="{}?next={}" lang="{}" hreflang="{}"{}>{}</a></li>',
        (
            (
                url,
                back,
                code,
                code,
                SafeString(' aria-current="true"') if code == current else "",
                LANGUAGE_SELF_NAMES.get(code, code),
            )
            for code, url in urls
        ),
    )
