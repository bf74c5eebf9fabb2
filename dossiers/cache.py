"""Page-cache tags of dossier data (see portal/cache.py).

Every change to a dossier, its history or its supplement requests gives new tokens to the tags
of the pages that show it: the public lookup and history of its code, its citizen's
transaction list and its agency's admin queue (and the all-agency queue superusers see).
"""

from portal.cache import tags_changed

ALL_AGENCIES_TAG = "pagetag:dossiers:all"


def code_tag(code: str) -> str:
    return f"pagetag:dossier:{code}"


def citizen_tag(user_id: int) -> str:
    return f"pagetag:dossiers:citizen:{user_id}"


def agency_tag(agency_id: int) -> str:
    return f"pagetag:dossiers:agency:{agency_id}"


def queue_tags(user) -> list[str]:
    """The tags of the admin dossier queue `user` sees (DossierQuerySet.for_staff)."""
    if user.is_superuser:
        return [ALL_AGENCIES_TAG]
    membership = getattr(user, "staff_membership", None)
    return [agency_tag(membership.agency_id)] if membership is not None else []


def dossier_changed(*, code: str | None, applicant_id: int | None, agency_id: int | None) -> None:
    tags = [ALL_AGENCIES_TAG]
    if code:
        tags.append(code_tag(code))
    if applicant_id:
        tags.append(citizen_tag(applicant_id))
    if agency_id:
        tags.append(agency_tag(agency_id))
    tags_changed(*tags)
