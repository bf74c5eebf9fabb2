"""Dossiers already in flight are placed at a step of their procedure's internal process.

Before the back office, one officer received, processed, approved and returned a dossier; the
status was all there was. Now a dossier in flight is at a step (`Dossier.current_step`) of the
process (the procedure's own steps, else its agency's default process). This migration places
every dossier that was received and has no result handed over yet, for the agencies that set up
a back office (a one-stop desk and a non-empty process); the others keep the old flow:

- received: the first specialist-unit step, in the unit's pool;
- processing, supplement requested, supplemented, awaiting payment: the first step that drafts
  the result, held by the officer who last acted on the dossier when they have the step's role
  in its unit (a TAKE on the slip), else in the pool; its clock is paused (`paused_at`) while a
  supplement or a fee is outstanding, as the services pause it;
- approved: the desk's return step (the last desk step), in the desk's pool.

The steps before it are written as finished steps with the hand-overs between them, numbered
and shaped as the services write them (dossiers/services/workflow.py): the desk's step runs from
submission to receipt by the receiving officer; a step opens in its unit's pool; steps whose end
the history does not record share the office hours up to the next recorded moment (processing
started, or the approval) in proportion to their durations. A step's deadline is its duration in
office hours from its start; a pause gives back, when processing resumed, the office hours that
were left. Each outcome is measured against that deadline. History events, due dates and
statuses are left as they are.

Dossiers that already have a step are skipped, so the migration can run again; the reverse
leaves the steps in place (they are valid rows of the previous schema). The calendar is read
from the historical `CalendarDay` model (dossiers.calendar queries the current one) with the
same rules: office hours 08:00-12:00 and 13:00-17:00 Asia/Ho_Chi_Minh on working days.
"""

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import migrations

import holidays

AGENCY_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
OFFICE_HOURS = ((time(8, 0), time(12, 0)), (time(13, 0), time(17, 0)))
HOURS_PER_DAY = 8
BATCH = 500

RECEIVED = "received"
APPROVED = "approved"
# Statuses at the step that drafts the result.
AT_DRAFTING = ("processing", "supplement_requested", "supplemented", "awaiting_payment")
# The step's clock stops when a supplement or a fee is asked, until processing resumes (the
# applicant answered and staff continued, or the fee was paid).
PAUSING = ("supplement_requested", "awaiting_payment")
PAUSED = ("supplement_requested", "supplemented", "awaiting_payment")
IN_FLIGHT = (RECEIVED, *AT_DRAFTING, APPROVED)


class Calendar:
    """Working days and office hours, from the calendar exceptions loaded once."""

    def __init__(self, calendar_day_model):
        self.days_off: set[date] = set()
        self.working: set[date] = set()
        for day, kind in calendar_day_model.objects.values_list("date", "kind"):
            (self.days_off if kind == "day_off" else self.working).add(day)
        self._holidays: dict[int, frozenset[date]] = {}

    def is_working_day(self, day: date) -> bool:
        if day in self.working:
            return True
        if day.year not in self._holidays:
            self._holidays[day.year] = frozenset(holidays.country_holidays("VN", years=day.year))
        if day in self.days_off or day in self._holidays[day.year]:
            return False
        return day.weekday() < 5

    @staticmethod
    def periods(day: date) -> list[tuple[datetime, datetime]]:
        return [
            (datetime.combine(day, begin, AGENCY_TZ), datetime.combine(day, end, AGENCY_TZ))
            for begin, end in OFFICE_HOURS
        ]

    def add_hours(self, start: datetime, hours: float) -> datetime:
        """The moment `hours` office hours after `start` (dossiers.calendar.add_working_hours)."""
        current = start.astimezone(AGENCY_TZ)
        left = timedelta(hours=hours)
        day = current.date()
        while True:
            if self.is_working_day(day):
                for begin, end in self.periods(day):
                    begin = max(begin, current)
                    if begin >= end:
                        continue
                    if end - begin >= left:
                        return begin + left
                    left -= end - begin
            day += timedelta(days=1)

    def hours_between(self, start: datetime, end: datetime) -> float:
        """Office hours between two moments (dossiers.calendar.working_hours_between)."""
        if end <= start:
            return 0.0
        first, last = start.astimezone(AGENCY_TZ), end.astimezone(AGENCY_TZ)
        total = timedelta()
        day = first.date()
        while day <= last.date():
            if self.is_working_day(day):
                for begin, finish in self.periods(day):
                    begin, finish = max(begin, first), min(finish, last)
                    if finish > begin:
                        total += finish - begin
            day += timedelta(days=1)
        return total.total_seconds() / 3600


def outcome(finished: datetime, deadline: datetime) -> str:
    """Late after the deadline, early on a day before the deadline's day, else on time."""
    if finished > deadline:
        return "late"
    if finished.astimezone(AGENCY_TZ).date() < deadline.astimezone(AGENCY_TZ).date():
        return "early"
    return "on_time"


class Organisation:
    """Every agency's units, the fields they handle, their members and the processes."""

    def __init__(self, apps):
        unit_model = apps.get_model("procedures", "Unit")
        self.units: dict[int, list] = defaultdict(list)
        for unit in unit_model.objects.order_by("name", "id"):
            self.units[unit.agency_id].append(unit)
        self.unit_fields: dict[int, set[int]] = defaultdict(set)
        for unit_id, field_id in unit_model.fields.through.objects.values_list(
            "unit_id", "field_id"
        ):
            self.unit_fields[unit_id].add(field_id)
        self.members = set(
            apps.get_model("procedures", "UnitMembership").objects.values_list(
                "user_id", "unit_id", "role"
            )
        )
        self.own: dict[int, list] = defaultdict(list)
        self.default: dict[int, list] = defaultdict(list)
        steps = apps.get_model("procedures", "ProcessStep").objects.order_by("order", "id")
        for step in steps:
            if step.procedure_id is not None:
                self.own[step.procedure_id].append(step)
            else:
                self.default[step.agency_id].append(step)

    def has_desk(self, agency_id: int) -> bool:
        return any(unit.kind == "desk" for unit in self.units[agency_id])

    def process(self, procedure_id: int, agency_id: int) -> list:
        return self.own.get(procedure_id) or self.default.get(agency_id) or []

    def unit_for(self, step, agency_id: int, field_id: int) -> int | None:
        """The unit a step names, else the agency's unit of its kind (for a specialist step the
        one handling the procedure's field first), the first by name."""
        if step.unit_id:
            return step.unit_id
        units = [unit for unit in self.units[agency_id] if unit.kind == step.unit_kind]
        if step.unit_kind == "specialist":
            handling = [unit for unit in units if field_id in self.unit_fields[unit.pk]]
            units = handling or units
        return units[0].pk if units else None


def _first(process: list, test) -> int | None:
    return next((i for i, step in enumerate(process) if test(step)), None)


def target_index(process: list, status: str) -> int | None:
    """Where a dossier in `status` stands in `process` (an index past the desk's first step)."""
    if status == RECEIVED:
        index = _first(process, lambda s: s.unit_kind == "specialist")
    elif status in AT_DRAFTING:
        index = _first(process, lambda s: s.drafts_result)
        if index is None:
            index = _first(process, lambda s: s.unit_kind == "specialist")
    else:
        desk = [i for i, step in enumerate(process) if step.unit_kind == "desk"]
        index = desk[-1] if desk else None
    return index if index else None


def hours_of(step) -> int:
    return step.duration * HOURS_PER_DAY if step.duration_unit == "days" else step.duration


class Placement:
    """The steps and hand-overs of one dossier, computed from its history."""

    def __init__(self, dossier, process, units, events, calendar, organisation):
        self.dossier = dossier
        self.process = process
        self.units = units
        self.calendar = calendar
        self.organisation = organisation
        received = dossier.received_at
        self.events = [e for e in events if e["created_at"] >= received]
        self.staff_events = [
            e
            for e in self.events
            if e["actor_id"] is not None and e["actor_id"] != dossier.applicant_id
        ]
        # Spans the step's clock stood still, as the services pause it: from a supplement
        # request or a fee notice until processing resumes; the last may still be open.
        self.pauses: list[tuple[datetime, datetime | None]] = []
        waiting_since = None
        for event in self.events:
            if event["to_status"] in PAUSING and waiting_since is None:
                waiting_since = event["created_at"]
            elif event["to_status"] == "processing" and waiting_since is not None:
                self.pauses.append((waiting_since, event["created_at"]))
                waiting_since = None
        if dossier.status in PAUSED:
            self.pauses.append((waiting_since or dossier.updated_at, None))

    def deadline(self, start: datetime, hours: int, end: datetime | None) -> datetime:
        """The step's deadline as the services keep it: `hours` office hours from its start;
        each pause gives back, when the clock resumes, the office hours that were left."""
        deadline = self.calendar.add_hours(start, hours)
        for begin, resumed in self.pauses:
            if resumed is None or resumed <= start or (end is not None and resumed > end):
                continue
            left = self.calendar.hours_between(max(begin, start), deadline)
            deadline = self.calendar.add_hours(resumed, left)
        return deadline

    def span_end(self, target: int) -> datetime:
        """When the steps between the desk's receipt and the target step ended."""
        dossier, received = self.dossier, self.dossier.received_at
        if dossier.status == APPROVED:
            approvals = [e["created_at"] for e in self.events if e["to_status"] == APPROVED]
            end = dossier.completed_at or (approvals[-1] if approvals else received)
        elif dossier.status in AT_DRAFTING and target > 1:
            started = [e["created_at"] for e in self.events if e["to_status"] == "processing"]
            end = started[0] if started else received
        else:
            end = received
        return max(end, received)

    def actor_of(self, to_status: str, before: datetime) -> int | None:
        actors = [
            e["actor_id"]
            for e in self.staff_events
            if e["to_status"] == to_status and e["created_at"] <= before
        ]
        return actors[-1] if actors else None

    def taken_at(self, officer: int, start: datetime) -> datetime:
        """When `officer` took the step: their first action on the dossier after it began."""
        moments = [
            e["created_at"]
            for e in self.staff_events
            if e["actor_id"] == officer and e["created_at"] >= start
        ]
        return moments[0] if moments else start

    def plan(self, target: int) -> list[dict]:
        """Each step up to the target: start, finish (None for the target), deadline, who holds
        it (`assignee`, taken at `taken_at`) and who handed it over (`actor`)."""
        dossier, calendar = self.dossier, self.calendar
        received = dossier.received_at
        first = self.process[0]
        # As at receipt: the desk's step runs from submission to receipt, by the receiver.
        opened = min(dossier.submitted_at or received, received)
        plans = [
            {
                "step": first,
                "started_at": opened,
                "finished_at": received,
                "deadline": self.deadline(opened, hours_of(first), received),
                "assignee_id": dossier.received_by_id,
                "actor_id": dossier.received_by_id,
                "taken_at": None,
            }
        ]
        middle = self.process[1:target]
        end = self.span_end(target)
        office = calendar.hours_between(received, end)
        total = sum(hours_of(step) for step in middle) or 1
        done, start = 0, received
        for position, step in enumerate(middle):
            done += hours_of(step)
            if position == len(middle) - 1:
                finish = end
            else:
                finish = min(max(calendar.add_hours(received, office * done / total), start), end)
            assignee = actor = None
            if step.approves:
                actor = self.actor_of(APPROVED, finish)
            elif step.drafts_result:
                assignee = actor = self.actor_of("processing", finish)
            plans.append(
                {
                    "step": step,
                    "started_at": start,
                    "finished_at": finish,
                    "deadline": self.deadline(start, hours_of(step), finish),
                    "assignee_id": assignee,
                    "actor_id": actor,
                    "taken_at": self.taken_at(assignee, start) if assignee else None,
                }
            )
            start = finish
        step = self.process[target]
        assignee = None
        if dossier.status in AT_DRAFTING and self.staff_events:
            officer = self.staff_events[-1]["actor_id"]
            if (officer, self.units[target], step.role) in self.organisation.members:
                assignee = officer
        paused_at = None
        if dossier.status in PAUSED:
            paused_at = max(self.pauses[-1][0], start)
        plans.append(
            {
                "step": step,
                "started_at": start,
                "finished_at": None,
                "deadline": self.deadline(start, hours_of(step), None),
                "assignee_id": assignee,
                "actor_id": None,
                "taken_at": self.taken_at(assignee, start) if assignee else None,
                "paused_at": paused_at,
            }
        )
        return plans


def _step_row(step_model, dossier, plan: dict, unit_id: int, order: int):
    step = plan["step"]
    finished = plan["finished_at"]
    return step_model(
        dossier_id=dossier.pk,
        process_step_id=step.pk,
        order=order,
        unit_kind=step.unit_kind,
        role=step.role,
        hours=hours_of(step),
        may_request_supplement=step.may_request_supplement,
        may_issue_fee_notice=step.may_issue_fee_notice,
        drafts_result=step.drafts_result,
        approves=step.approves,
        unit_id=unit_id,
        assignee_id=plan["assignee_id"],
        started_at=plan["started_at"],
        deadline=plan["deadline"],
        paused_at=plan.get("paused_at"),
        finished_at=finished,
        outcome=outcome(finished, plan["deadline"]) if finished else "",
    )


def _handovers(handover_model, dossier, rows: list, plans: list[dict]) -> list:
    """FORWARD from each step to the next (which opens in its unit's pool), and TAKE where
    someone held a step after the desk's, as the services record them."""
    handovers = []
    for position, row in enumerate(rows):
        plan = plans[position]
        if position and row.assignee_id is not None:
            handovers.append(
                handover_model(
                    dossier_id=dossier.pk,
                    kind="take",
                    created_at=plan["taken_at"],
                    from_step_id=row.pk,
                    to_step_id=row.pk,
                    from_user_id=row.assignee_id,
                    from_unit_id=row.unit_id,
                    to_unit_id=row.unit_id,
                    to_user_id=row.assignee_id,
                    step_deadline=row.deadline,
                )
            )
        if position + 1 < len(rows):
            after = rows[position + 1]
            handovers.append(
                handover_model(
                    dossier_id=dossier.pk,
                    kind="forward",
                    created_at=row.finished_at,
                    from_step_id=row.pk,
                    to_step_id=after.pk,
                    from_user_id=plan["actor_id"],
                    from_unit_id=row.unit_id,
                    to_unit_id=after.unit_id,
                    step_deadline=row.deadline,
                    outcome=row.outcome,
                )
            )
    return handovers


def place_dossiers_in_flight(apps, schema_editor) -> int:
    """Place every received dossier without a result handed over at a step; the number placed."""
    dossier_model = apps.get_model("dossiers", "Dossier")
    step_model = apps.get_model("dossiers", "DossierStep")
    handover_model = apps.get_model("dossiers", "HandOver")
    event_model = apps.get_model("dossiers", "DossierEvent")
    organisation = Organisation(apps)
    # An agency without a desk keeps the old flow; a procedure without a process is skipped below.
    agencies = [agency_id for agency_id in organisation.units if organisation.has_desk(agency_id)]
    if not agencies:
        return 0
    calendar = Calendar(apps.get_model("dossiers", "CalendarDay"))
    candidates = list(
        dossier_model.objects.filter(
            agency_id__in=agencies,
            status__in=IN_FLIGHT,
            received_at__isnull=False,
            current_step__isnull=True,
        )
        .exclude(pk__in=step_model.objects.values("dossier_id"))
        .select_related("procedure")
        .order_by("pk")
        .only(
            "pk",
            "agency_id",
            "applicant_id",
            "status",
            "received_at",
            "received_by_id",
            "submitted_at",
            "completed_at",
            "updated_at",
            "procedure__field_id",
        )
    )
    placed = 0
    for offset in range(0, len(candidates), BATCH):
        batch = candidates[offset : offset + BATCH]
        events = defaultdict(list)
        for event in (
            event_model.objects.filter(dossier_id__in=[d.pk for d in batch])
            .order_by("created_at", "id")
            .values("dossier_id", "created_at", "action", "from_status", "to_status", "actor_id")
        ):
            events[event["dossier_id"]].append(event)
        plans = []
        for dossier in batch:
            process = organisation.process(dossier.procedure_id, dossier.agency_id)
            target = target_index(process, dossier.status) if process else None
            if target is None:
                continue
            field_id = dossier.procedure.field_id
            units = [
                organisation.unit_for(step, dossier.agency_id, field_id)
                for step in process[: target + 1]
            ]
            if None in units:
                continue
            placement = Placement(
                dossier, process, units, events[dossier.pk], calendar, organisation
            )
            plans.append((dossier, units, placement.plan(target)))
        steps = step_model.objects.bulk_create(
            [
                # Orders count from 1, the desk's receiving step, as the services number them.
                _step_row(step_model, dossier, plan, units[index], index + 1)
                for dossier, units, dossier_plans in plans
                for index, plan in enumerate(dossier_plans)
            ]
        )
        handovers = []
        current = []
        position = 0
        for dossier, _units, dossier_plans in plans:
            rows = steps[position : position + len(dossier_plans)]
            position += len(dossier_plans)
            handovers += _handovers(handover_model, dossier, rows, dossier_plans)
            dossier.current_step_id = rows[-1].pk
            current.append(dossier)
        handover_model.objects.bulk_create(handovers)
        dossier_model.objects.bulk_update(current, ["current_step"])
        placed += len(current)
    return placed


def forwards(apps, schema_editor):
    place_dossiers_in_flight(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("dossiers", "0011_apology_letters_and_stop"),
        ("procedures", "0006_agency_separation_of_duties_unit_fields"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
