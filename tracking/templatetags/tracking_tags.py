"""The rating panel of the dossier page (templates/tracking/dossier_panel.html) and the rows of
the public processing history (templates/tracking/dossier_history.html)."""

from collections.abc import Iterable

from django import template
from django.core.exceptions import ObjectDoesNotExist
from django.utils import dateformat, timezone
from django.utils.formats import get_format
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from core.html import status_badge
from dossiers.constants import COMPLETED

from ..forms import RatingForm
from ..selectors import PublicEvent

register = template.Library()


@register.simple_tag(takes_context=True)
def rating_panel(context, dossier) -> dict:
    """What the panel shows for `dossier`: its rating, or the form when the viewer may rate.

    Only a dossier with its result can have a rating: for the others, no query at all; else at
    most one (the dossier's rating), none when it was loaded with the dossier.
    """
    if dossier.status not in COMPLETED:
        return {"rating": None, "can_rate": False, "form": None}
    try:
        rating = dossier.rating
    except ObjectDoesNotExist:
        rating = None
    user = context.get("user") or getattr(context.get("request"), "user", None)
    can_rate = (
        rating is None
        and user is not None
        and user.is_authenticated
        and dossier.applicant_id == user.pk
    )
    return {"rating": rating, "can_rate": can_rate, "form": RatingForm() if can_rate else None}


@register.simple_tag
def history_rows(events: Iterable[PublicEvent]) -> SafeString:
    """The history table's rows: time, handling unit, status badge, public message ("—" for
    what is missing), every value escaped.

    One row per event, and a history can hold hundreds: written with `format_html_join` rather
    than a `{% for %}` loop, whose per-row variable lookups, `date` filter and badge tag were
    most of the page's rendering time. The time is shown as the `date:"SHORT_DATETIME_FORMAT"`
    filter shows it, in the current time zone and language."""
    fmt = get_format("SHORT_DATETIME_FORMAT")
    return format_html_join(
        "\n",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                dateformat.format(timezone.localtime(event.created_at), fmt),
                event.handling_unit or "—",
                status_badge(event.status_css, event.status_label) if event.status_label else "—",
                event.text or "—",
            )
            for event in events
        ),
    )
