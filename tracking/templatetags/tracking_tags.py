"""The rating panel of the dossier page (templates/tracking/dossier_panel.html)."""

from django import template
from django.core.exceptions import ObjectDoesNotExist

from dossiers.constants import COMPLETED

from ..forms import RatingForm

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
