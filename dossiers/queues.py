"""The staff's work queues (issue 17, item 5): which dossiers wait on whom, by unit role.

A queue is a filter on the dossiers a staff member sees (`DossierQuerySet.for_staff`), built
from their unit memberships (read in one query) and the dossier's current step; the open steps
(`DossierStep.finished_at` empty) carry the partial indexes these filters use. Which queues a
person has depends on their roles only:

- my_work ("My work"): open steps assigned to me, and the pool of the units where I am a
  specialist (open specialist steps nobody has taken yet) — everyone with a unit role;
- unit_work ("My unit's work"): open steps of the units where I am unit head;
- to_sign ("To sign"): open approving steps of the leadership units where I am a leader;
- to_receive ("To receive"): my agency's submitted dossiers, and those supplemented before
  receipt — desk officers;
- to_return ("To return"): open steps of my agency's desk whose dossier is approved — desk
  officers.

The counts of all a person's queues come from one aggregate query.
"""

import operator
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import reduce

from django.db.models import Count, Q
from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from procedures.constants import WORKING_HOURS_PER_DAY, StaffRole, UnitKind
from procedures.models import UnitMembership

from .calendar import add_working_hours
from .constants import DossierStatus

S = DossierStatus

# In the order they are offered; the first one a person has is where they start.
QUEUES: dict[str, Promise] = {
    "my_work": pgettext_lazy("work queue", "My work"),
    "unit_work": pgettext_lazy("work queue", "My unit's work"),
    "to_sign": pgettext_lazy("work queue", "To sign"),
    "to_receive": pgettext_lazy("work queue", "To receive"),
    "to_return": pgettext_lazy("work queue", "To return"),
}

# The queues whose dossiers are at a step of the process (sorted by the step's deadline).
STEP_QUEUES = ("my_work", "unit_work", "to_sign", "to_return")

OPEN_STEP = Q(current_step__isnull=False, current_step__finished_at__isnull=True)


@dataclass
class StaffUnits:
    """A staff member's units by role, and the agency of their units."""

    user_id: int | None
    # role -> ids of the units where the person holds it (leaders: leadership units only).
    units: dict[str, set[int]] = field(default_factory=dict)
    agency_ids: set[int] = field(default_factory=set)

    def of(self, role: str) -> set[int]:
        return self.units.get(role, set())

    @property
    def has_roles(self) -> bool:
        return any(self.units.values())


def staff_units(user) -> StaffUnits:
    """The units where `user` holds each role (one query; none for an anonymous user)."""
    result = StaffUnits(user_id=getattr(user, "pk", None))
    if result.user_id is None or not getattr(user, "is_staff", False):
        return result
    units: dict[str, set[int]] = defaultdict(set)
    rows = UnitMembership.objects.filter(user_id=result.user_id).values_list(
        "unit_id", "role", "unit__kind", "unit__agency_id"
    )
    for unit_id, role, kind, agency_id in rows:
        if role == StaffRole.LEADER and kind != UnitKind.LEADERSHIP:
            continue
        if role == StaffRole.DESK_OFFICER and kind != UnitKind.DESK:
            continue
        units[role].add(unit_id)
        result.agency_ids.add(agency_id)
    result.units = dict(units)
    return result


def queue_names(units: StaffUnits) -> list[str]:
    """The queues a person's unit roles give, in the order they are offered."""
    if not units.has_roles:
        return []
    names = ["my_work"]
    if units.of(StaffRole.UNIT_HEAD):
        names.append("unit_work")
    if units.of(StaffRole.LEADER):
        names.append("to_sign")
    if units.of(StaffRole.DESK_OFFICER):
        names += ["to_receive", "to_return"]
    return names


def queue_filter(name: str, units: StaffUnits) -> Q:
    """The dossiers of queue `name` for the person of `units` (a `Dossier` filter; combine it
    with the staff scope). Raises KeyError for a queue the person does not have."""
    if name not in queue_names(units):
        raise KeyError(name)
    if name == "my_work":
        pool = Q(
            current_step__assignee__isnull=True,
            current_step__unit__in=units.of(StaffRole.SPECIALIST),
            current_step__role=StaffRole.SPECIALIST,
        )
        return OPEN_STEP & (Q(current_step__assignee_id=units.user_id) | pool)
    if name == "unit_work":
        return OPEN_STEP & Q(current_step__unit__in=units.of(StaffRole.UNIT_HEAD))
    if name == "to_sign":
        return OPEN_STEP & Q(
            current_step__approves=True, current_step__unit__in=units.of(StaffRole.LEADER)
        )
    if name == "to_receive":
        # A staff member works for one agency: their units' (StaffMembership names it too).
        waiting = Q(status=S.SUBMITTED) | Q(status=S.SUPPLEMENTED, received_at__isnull=True)
        return waiting & Q(agency_id__in=units.agency_ids)
    desk = units.of(StaffRole.DESK_OFFICER)
    return OPEN_STEP & Q(status=S.APPROVED, current_step__unit__in=desk)


@dataclass(frozen=True)
class QueueCount:
    name: str
    label: Promise
    count: int


def queue_counts(queryset, units: StaffUnits) -> list[QueueCount]:
    """How many dossiers of `queryset` (the person's staff scope) are in each of their queues:
    one aggregate query for the queues of open steps, one for the desk's dossiers to receive
    (none when they have no queue)."""
    names = queue_names(units)
    if not names:
        return []
    counts: dict[str, int] = {}
    # The queues of open steps in one query (joined to the steps, through their partial
    # indexes), the desk's "to receive" in another (the dossiers' agency and status index):
    # together they would join every dossier of the agency to its step.
    for group in (
        [name for name in names if name in STEP_QUEUES],
        [name for name in names if name not in STEP_QUEUES],
    ):
        if not group:
            continue
        filters = {name: queue_filter(name, units) for name in group}
        counts |= (
            queryset.filter(reduce(operator.or_, filters.values()))
            .order_by()
            .aggregate(**{name: Count("pk", filter=q) for name, q in filters.items()})
        )
    return [QueueCount(name, QUEUES[name], counts[name] or 0) for name in names]


def due_soon_limit(now: datetime) -> datetime:
    """Steps whose deadline falls before this moment (one working day of office hours from
    `now`) are due soon."""
    return add_working_hours(now, WORKING_HOURS_PER_DAY)
