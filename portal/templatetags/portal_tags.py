"""Template helpers shared by every app."""

from django import template
from django.utils.html import format_html

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
    return format_html('<span class="status {}">{}</span>', css, label)
