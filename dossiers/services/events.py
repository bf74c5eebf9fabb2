"""History entries that are not status changes, written for the apps that plug into a dossier."""

from ..models import Dossier, DossierEvent


def dossier_history_add(
    *,
    dossier: Dossier,
    action: str,
    message: str,
    actor=None,
    params: dict | None = None,
    note: str = "",
    internal_note: str = "",
    is_public: bool = False,
) -> DossierEvent:
    """Add a history entry that leaves the status as it is (a fee receipt sent or refused…).

    `message` is a composed message id (see `dossiers.history` and the apps' own `history`
    modules) with its `params`; `note` is free text a person wrote for the applicant,
    `internal_note` one for staff only. The entry is for the applicant and staff, not the public
    lookup, unless `is_public` (the lookup then shows its composed message, never the free text).
    An entry by staff or the system
    (`actor` None or staff) names the dossier's agency as the handling unit.
    Preconditions: the caller holds the dossier in its transaction (the entry is written with
    whatever else the caller writes, and rolled back with it). Pass a dossier loaded with its
    agency (`select_related("agency")`) to spare a query. Side effects: one `DossierEvent`.
    """
    by_agency = actor is None or actor.is_staff
    return DossierEvent.objects.create(
        dossier=dossier,
        actor=actor,
        action=action,
        from_status=dossier.status,
        to_status=dossier.status,
        message=message,
        params={**(params or {}), **({"agency": dossier.agency_id} if by_agency else {})},
        note=note,
        internal_note=internal_note,
        handling_unit=dossier.agency.name if by_agency else "",
        is_public=is_public,
    )
