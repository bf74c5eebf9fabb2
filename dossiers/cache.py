"""Page-cache tags of dossier data (see core/cache.py), and the one place this app declares which
of its models move them.

Every change to a dossier, its history or its supplement requests gives new tokens to the tags
of the pages that show it: the public lookup and history of its code, its citizen's
transaction list and its agency's admin queue (and the all-agency queue superusers see).
"""

from core.cache import tags_moved_by
from procedures.models import Unit, UnitMembership

from .models import CalendarDay, Dossier, DossierEvent, DossierStep, HandOver, SupplementRequest

ALL_AGENCIES_TAG = "pagetag:dossiers:all"
# The working-day calendar: due-soon and overdue marks are counted on it.
CALENDAR_TAG = "pagetag:dossiers:calendar"


def code_tag(code: str) -> str:
    return f"pagetag:dossier:{code}"


def citizen_tag(user_id: int) -> str:
    return f"pagetag:dossiers:citizen:{user_id}"


def agency_tag(agency_id: int) -> str:
    return f"pagetag:dossiers:agency:{agency_id}"


def queue_tags(user) -> list[str]:
    """The tags of the admin dossier queue `user` sees (DossierQuerySet.for_staff), and of the
    working-day calendar its deadline marks are counted on."""
    if user.is_superuser:
        return [ALL_AGENCIES_TAG, CALENDAR_TAG]
    membership = getattr(user, "staff_membership", None)
    return [agency_tag(membership.agency_id), CALENDAR_TAG] if membership is not None else []


def dossier_tags(*, code: str | None, applicant_id: int | None, agency_id: int | None) -> list[str]:
    """The tags of every page that shows a dossier with this code, applicant and agency."""
    tags = [ALL_AGENCIES_TAG]
    if code:
        tags.append(code_tag(code))
    if applicant_id:
        tags.append(citizen_tag(applicant_id))
    if agency_id:
        tags.append(agency_tag(agency_id))
    return tags


def _tags_of_dossier(dossier: Dossier) -> list[str]:
    return dossier_tags(
        code=dossier.code, applicant_id=dossier.applicant_id, agency_id=dossier.agency_id
    )


def _tags_of_part(
    instance: DossierEvent | SupplementRequest | DossierStep | HandOver,
) -> list[str]:
    """A part of a dossier moves its dossier's tags."""
    # The dossier is usually loaded already (the services pass it); else one small query.
    if type(instance).dossier.is_cached(instance):
        return _tags_of_dossier(instance.dossier)
    values = (
        Dossier.objects.filter(pk=instance.dossier_id)
        .values("code", "applicant_id", "agency_id")
        .first()
    )
    return dossier_tags(**values) if values else []


tags_moved_by(Dossier, tags=_tags_of_dossier)
tags_moved_by(DossierEvent, SupplementRequest, DossierStep, HandOver, tags=_tags_of_part)


def _tags_of_membership(membership: UnitMembership) -> list[str]:
    """A unit role given or taken changes the work queues its agency's staff see."""
    agency_id = Unit.objects.filter(pk=membership.unit_id).values_list("agency_id", flat=True)
    found = agency_id.first()
    # The unit itself is going (a cascade): its own deletion moves the catalogue tag.
    return [agency_tag(found)] if found is not None else [ALL_AGENCIES_TAG]


tags_moved_by(UnitMembership, tags=_tags_of_membership)
tags_moved_by(CalendarDay, tags=lambda day: [CALENDAR_TAG])
