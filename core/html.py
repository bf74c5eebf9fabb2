"""Small pieces of markup every app writes the same way."""

from django.utils.html import format_html
from django.utils.safestring import SafeString


def status_badge(css: str, label: str) -> SafeString:
    """A status as a badge (`.status` in static/css/portal.css, coloured by `css`): the public
    pages, the applicant's pages and the admin write it alike."""
    return format_html('<span class="status {}">{}</span>', css, label)
