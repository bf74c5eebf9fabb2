"""The agencies' back offices and every generated dossier's way through its internal process.

Each agency gets a one-stop desk, two specialist units (the agency's fields shared between them)
and its leadership. Its two generated officers (`staff1/2.<code>@bench.example`, who receive the
simulated dossiers) are the desk officers; each specialist unit gets two specialists and a unit
head, the leadership a leader. The busiest agency, whose queues `benchmarks/queues.py` measures,
has more: four desk officers, six specialists and two unit heads per unit, two leaders, and
`staff@bench.example` is one of its desk officers and a specialist of its licensing unit.

Accounts: `desk<n>.<code>`, `specialist<n>.u<1|2>.<code>`, `head<n>.u<1|2>.<code>`,
`leader<n>.<code>` at bench.example (lower-case agency code), password as every account.

A dossier's steps follow its simulated timeline: the desk's step ends at receipt and hands over
to the first specialist step; the steps up to the leader's share the office hours from receipt
to the approval in proportion to their durations; the desk's return step ends when the result is
returned (a FINISH hand-over). A dossier in flight has one open step, its current step: received
ones wait at the first specialist step (in the pool or assigned), those in processing at the
drafting step, or further on (the unit head's review, the leader's signature) as far as the
time since receipt takes them; approved ones at the desk's return step. A step's deadline is its
duration in office hours from its start plus the office hours it waited on the applicant; a
rejected or withdrawn dossier's last step ends then. The simulation's staff actions are
attributed to the people of those steps (the specialist processes, the leader approves).
"""

import random
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta

from django.db import connection

from dossiers.calendar import AGENCY_TZ, is_working_day
from dossiers.history import Msg
from dossiers.models import CalendarDay, DossierEvent, DossierStep, HandOver
from procedures.constants import WORKING_HOURS_PER_DAY as DAY
from procedures.models import Agency, Procedure, ProcessStep, Unit, UnitMembership

from .copying import copy_rows, log, reset_sequences
from .people import STAFF_EMAIL, People

UNITS = [
    ("desk", "Bộ phận tiếp nhận và trả kết quả", "One-stop desk"),
    ("specialist", "Phòng Cấp phép", "Licensing Division"),
    ("specialist", "Phòng Thẩm định", "Appraisal Division"),
    ("leadership", "Lãnh đạo", "Leadership"),
]
# People per role: desk officers and leaders per agency, specialists and heads per unit.
STAFFING = {"desk_officer": 2, "specialist": 2, "unit_head": 1, "leader": 1}
BUSIEST_STAFFING = {"desk_officer": 4, "specialist": 6, "unit_head": 2, "leader": 2}
STAFF_NAME = "Lê Thị Cán Bộ"
AT_DRAFTING = ("processing", "supplement_requested", "supplemented", "awaiting_payment")
# As the services pause a step: from a supplement request or fee notice until processing resumes.
PAUSING = ("supplement_requested", "awaiting_payment")
PAUSED = ("supplement_requested", "supplemented", "awaiting_payment")
# Simulated staff actions after receipt and the role whose person now makes them.
SPECIALIST_ACTIONS = {
    "start_processing",
    "continue_processing",
    "request_supplement",
    "request_payment",
}
LEADER_ACTIONS = {"approve", "reject"}

# The history of each hand-over (dossiers/services/workflow.py `_record`).
STEP_ACTIONS = {
    "forward": "step_forward",
    "take": "step_take",
    "assign": "step_assign",
    "finish": "step_finish",
}
STEP_MESSAGES = {
    "forward": Msg.STEP_FORWARD,
    "take": Msg.STEP_TAKE,
    "assign": Msg.STEP_ASSIGN,
    "finish": "",
}
EVENT_COLUMNS = [
    "dossier_id",
    "created_at",
    "action",
    "from_status",
    "to_status",
    "is_public",
    "actor_id",
    "handling_unit",
    "message",
    "params",
    "internal_note",
    "handover_id",
]
STEP_COLUMNS = [
    "id",
    "dossier_id",
    "process_step_id",
    "order",
    "unit_kind",
    "role",
    "hours",
    "may_request_supplement",
    "may_issue_fee_notice",
    "drafts_result",
    "approves",
    "unit_id",
    "assignee_id",
    "started_at",
    "deadline",
    "paused_at",
    "finished_at",
    "outcome",
    "hours_used",
]
HANDOVER_COLUMNS = [
    "id",
    "dossier_id",
    "kind",
    "created_at",
    "from_step_id",
    "to_step_id",
    "from_user_id",
    "from_unit_id",
    "to_unit_id",
    "to_user_id",
    "step_deadline",
    "outcome",
    "reason",
]


class OfficeClock:
    """Office hours (08-12, 13-17 agency time on working days) as a number line, so that adding
    hours to a moment is a lookup; the same answers as `dossiers.calendar.add_working_hours`
    for a positive duration, without a query per call."""

    def __init__(self, first: date, last: date):
        days_off: set[date] = set()
        working: set[date] = set()
        for day, kind in CalendarDay.objects.values_list("date", "kind"):
            (days_off if kind == "day_off" else working).add(day)
        self.days = [
            first + timedelta(days=n)
            for n in range((last - first).days + 1)
            if is_working_day(first + timedelta(days=n), days_off, working)
        ]
        self.ordinals = [day.toordinal() for day in self.days]

    def hours(self, moment: datetime) -> float:
        local = moment.astimezone(AGENCY_TZ)
        index = bisect_left(self.ordinals, local.date().toordinal())
        within = 0.0
        if index < len(self.days) and self.ordinals[index] == local.date().toordinal():
            h = local.hour + local.minute / 60 + local.second / 3600 + local.microsecond / 3.6e9
            within = min(max(h - 8, 0), 4) + min(max(h - 13, 0), 4)
        return index * DAY + within

    def moment(self, hours: float) -> datetime:
        index, rest = divmod(hours, DAY)
        index = int(index)
        if rest == 0 and index > 0:
            index, rest = index - 1, DAY
        day = self.days[index]
        if rest <= DAY / 2:
            return datetime.combine(day, time(8), AGENCY_TZ) + timedelta(hours=rest)
        return datetime.combine(day, time(13), AGENCY_TZ) + timedelta(hours=rest - DAY / 2)

    def add(self, start: datetime, hours: float) -> datetime:
        return max(self.moment(self.hours(start) + hours), start)

    def between(self, start: datetime, end: datetime) -> float:
        return max(self.hours(end) - self.hours(start), 0.0)


def outcome(finished: datetime, deadline: datetime) -> str:
    if finished > deadline:
        return "late"
    if finished.astimezone(AGENCY_TZ).date() < deadline.astimezone(AGENCY_TZ).date():
        return "early"
    return "on_time"


class BackOffice:
    """Units, staff per role and every dossier's steps and hand-overs, for COPY."""

    def __init__(self, seed: int, people: People, gen):
        self.rng = random.Random(seed)
        self.people = people
        self.gen = gen
        self.now = gen.now
        self.busiest = Counter(row[2] for row in gen.dossiers).most_common(1)[0][0]
        self.clock = OfficeClock(
            (self.now - timedelta(days=400)).date(), (self.now + timedelta(days=400)).date()
        )
        self.steps: list[tuple] = []
        self.handovers: list[tuple] = []
        self.memberships: list[UnitMembership] = []
        self.events: list[tuple] = []
        self.agency_names = dict(Agency.objects.values_list("id", "name"))
        self._units()
        self._staff()
        self._processes()

    # --- Organisation ---------------------------------------------------------------------------

    def _units(self) -> None:
        agencies = sorted(self.people.staff_by_agency)
        units = Unit.objects.bulk_create(
            [
                Unit(agency_id=agency, kind=kind, name=name, name_en=name_en)
                for agency in agencies
                for kind, name, name_en in UNITS
            ]
        )
        self.units: dict[int, list[Unit]] = defaultdict(list)
        for unit in units:
            self.units[unit.agency_id].append(unit)
        # The agency's fields, shared in turn between its two specialist units.
        through = Unit.fields.through
        links = []
        self.field_unit: dict[tuple[int, int], int] = {}
        pairs = sorted(set(Procedure.objects.values_list("agency_id", "field_id")))
        turn: Counter = Counter()
        for agency_id, field_id in pairs:
            specialist_units = [u for u in self.units[agency_id] if u.kind == "specialist"]
            if not specialist_units:
                continue
            unit = specialist_units[turn[agency_id] % len(specialist_units)]
            turn[agency_id] += 1
            links.append(through(unit_id=unit.pk, field_id=field_id))
            self.field_unit[(agency_id, field_id)] = unit.pk
        through.objects.bulk_create(links)

    def _staff(self) -> None:
        """People per role; the generated officers who received the dossiers are desk officers."""
        people = self.people
        codes = dict(Agency.objects.values_list("id", "code"))
        self.members: dict[tuple[int, str], list[int]] = defaultdict(list)
        for agency_id, officers in people.staff_by_agency.items():
            code = codes[agency_id].lower()
            staffing = BUSIEST_STAFFING if agency_id == self.busiest else STAFFING
            desk, first, second, leadership = self.units[agency_id]
            added: list[int] = []

            def person(email: str, unit: Unit, role: str, user_id: int | None = None) -> None:
                if user_id is None:
                    user_id = people._add(email, people._person_name(), staff=True)
                    added.append(user_id)  # noqa: B023 (called in this iteration only)
                self.members[(unit.pk, role)].append(user_id)
                self.memberships.append(UnitMembership(user_id=user_id, unit=unit, role=role))

            for n in range(staffing["desk_officer"]):
                existing = officers[n] if n < len(officers) else None
                person(f"desk{n + 1}.{code}@bench.example", desk, "desk_officer", existing)
            for k, unit in enumerate((first, second), start=1):
                for n in range(staffing["specialist"]):
                    person(f"specialist{n + 1}.u{k}.{code}@bench.example", unit, "specialist")
                for n in range(staffing["unit_head"]):
                    person(f"head{n + 1}.u{k}.{code}@bench.example", unit, "unit_head")
            for n in range(staffing["leader"]):
                person(f"leader{n + 1}.{code}@bench.example", leadership, "leader")
            if agency_id == self.busiest:
                staff = people._add(STAFF_EMAIL, STAFF_NAME, staff=True)
                added.append(staff)
                person("", desk, "desk_officer", staff)
                person("", first, "specialist", staff)
            officers.extend(added)

    def _processes(self) -> None:
        """Each procedure's process with the unit of each step resolved."""
        own: dict[int, list[ProcessStep]] = defaultdict(list)
        default: dict[int, list[ProcessStep]] = defaultdict(list)
        for step in ProcessStep.objects.order_by("order", "id"):
            if step.procedure_id is not None:
                own[step.procedure_id].append(step)
            else:
                default[step.agency_id].append(step)
        self.processes: dict[int, list[tuple]] = {}
        for pk, agency_id, field_id in Procedure.objects.values_list("pk", "agency_id", "field_id"):
            resolved = []
            for step in own.get(pk) or default.get(agency_id) or []:
                unit_id = step.unit_id or self._unit_of_kind(agency_id, field_id, step.unit_kind)
                hours = step.duration * (DAY if step.duration_unit == "days" else 1)
                resolved.append(
                    (
                        step.pk,
                        step.unit_kind,
                        step.role,
                        hours,
                        step.may_request_supplement,
                        step.may_issue_fee_notice,
                        step.drafts_result,
                        step.approves,
                        unit_id,
                    )
                )
            self.processes[pk] = resolved

    def _unit_of_kind(self, agency_id: int, field_id: int, kind: str) -> int:
        if kind == "specialist" and (agency_id, field_id) in self.field_unit:
            return self.field_unit[(agency_id, field_id)]
        return next(u.pk for u in self.units[agency_id] if u.kind == kind)

    # --- Dossiers ---------------------------------------------------------------------------

    def build(self) -> None:
        """Steps and hand-overs of every received dossier; the simulated staff actions after
        receipt are attributed to the people of those steps."""
        events = self.gen.events
        by_dossier: dict[int, list[int]] = defaultdict(list)
        for index, event in enumerate(events):
            by_dossier[event[0]].append(index)
        for row in self.gen.dossiers:
            if row[20] is not None:
                self._dossier(row, by_dossier.get(row[0], []))
        log(
            f"{len(self.steps):,} steps ({sum(1 for s in self.steps if s[16] is None):,} open), "
            f"{len(self.handovers):,} hand-overs"
        )

    def _dossier(self, row: list, event_ids: list[int]) -> None:
        rng, clock, now = self.rng, self.clock, self.now
        pk, proc_id, agency_id, status, received = row[0], row[1], row[2], row[4], row[20]
        process = self.processes.get(proc_id)
        if not process or len(process) < 2:
            return
        events = [self.gen.events[i] for i in event_ids if self.gen.events[i][1] >= received]
        pauses: list[tuple[datetime, datetime | None]] = []
        waiting = None
        for event in events:
            if event[4] in PAUSING and waiting is None:
                waiting = event[1]
            elif event[4] == "processing" and waiting is not None:
                pauses.append((waiting, event[1]))
                waiting = None
        if waiting is not None and status in PAUSED:
            pauses.append((waiting, None))

        def first(test, default: int) -> int:
            return next((i for i, s in enumerate(process) if i and test(s)), default)

        drafting = first(lambda s: s[6], first(lambda s: s[1] == "specialist", 1))
        approving = first(lambda s: s[7], len(process) - 2)
        desk_steps = [i for i, s in enumerate(process) if s[1] == "desk" and i]
        returning = desk_steps[-1] if desk_steps and desk_steps[-1] > approving else None
        moment = {e[4]: e[1] for e in events}  # the last time each status was entered

        # (index, finished at or None) of each step the dossier went through, in order.
        path: list[tuple[int, datetime | None]] = [(0, received)]
        if status in ("approved", "returned") and "approved" in moment:
            approved = moment["approved"]
            path += self._share(process, range(1, approving + 1), received, approved)
            if returning is not None:
                path += [(i, approved) for i in range(approving + 1, returning)]
                path.append((returning, moment.get("returned") if status == "returned" else None))
        elif status in ("rejected", "withdrawn") and status in moment:
            last = approving if status == "rejected" else drafting
            path += self._share(process, range(1, last + 1), received, moment[status])
        elif status == "received":
            target = first(lambda s: s[1] == "specialist", 1)
            path += [(i, received) for i in range(1, target)] + [(target, None)]
        elif status in AT_DRAFTING:
            target = drafting
            if status == "processing":
                # As far as the office hours since receipt take it, short of the approval.
                spent = clock.between(received, now) - sum(
                    clock.between(a, b or now) for a, b in pauses
                )
                progress = spent * rng.uniform(0.6, 2.5)
                done = sum(process[i][3] for i in range(1, drafting + 1))
                while target < approving and progress > done:
                    target += 1
                    done += process[target][3]
            if target > drafting:
                latest = max(e[1] for e in events)
                start = latest + (now - latest) * rng.random()
            else:
                start = moment.get("processing", received) if target > 1 else received
            path += self._share(process, range(1, target), received, max(start, received))
            path.append((target, None))
        else:
            return

        specialist_unit = process[drafting][8]
        specialist = rng.choice(self.members[(specialist_unit, "specialist")])
        head = rng.choice(self.members.get((process[drafting][8], "unit_head")) or [None])
        leadership = next(u.pk for u in self.units[agency_id] if u.kind == "leadership")
        leader = rng.choice(self.members[(leadership, "leader")])
        returner = next((e[6] for e in events if e[4] == "returned"), row[23])
        # The simulation's staff actions, now by the person of each step.
        for i in event_ids:
            event = self.gen.events[i]
            if event[1] < received or event[6] is None or event[6] == row[3]:
                continue
            if event[2] in SPECIALIST_ACTIONS:
                actor = specialist
            elif event[2] in LEADER_ACTIONS:
                actor = leader
            else:
                continue
            if actor != event[6]:
                self.gen.events[i] = (*event[:6], actor, *event[7:])

        rows = []
        start = min(row[19] or received, received)  # the desk's step: submission to receipt
        for position, (index, finished) in enumerate(path):
            step = process[index]
            is_open = finished is None
            role = step[2]
            # Who holds the step (assignee) and who hands it on (actor); new steps open in
            # their unit's pool, as the services open them.
            assignee = actor = None
            if position == 0:
                assignee = actor = row[23]
            elif role == "specialist":
                # Received and open: in the pool until the head assigns it or someone takes it.
                pooled = is_open and status == "received" and rng.random() < 0.5
                assignee = actor = None if pooled else specialist
            elif role == "unit_head":
                actor = head
            elif role == "leader":
                actor = leader
            elif not is_open:
                actor = returner
            deadline = clock.add(start, step[3])
            for begin, resumed in pauses:
                if resumed is None or resumed <= start or (finished and resumed > finished):
                    continue
                deadline = clock.add(resumed, clock.between(max(begin, start), deadline))
            paused_at = None
            if is_open and pauses and pauses[-1][1] is None:
                paused_at = max(pauses[-1][0], start)
            step_id = len(self.steps) + 1
            self.steps.append(
                (
                    step_id,
                    pk,
                    step[0],
                    index + 1,  # the services number a dossier's steps from 1
                    step[1],
                    role,
                    step[3],
                    step[4],
                    step[5],
                    step[6],
                    step[7],
                    step[8],
                    assignee,
                    start,
                    deadline,
                    paused_at,
                    finished,
                    outcome(finished, deadline) if finished else "",
                    # As the services store it: the duration, less the office hours left
                    # before the deadline or plus those past it.
                    round(max(step[3] + clock.hours(finished) - clock.hours(deadline), 0.0), 2)
                    if finished
                    else None,
                )
            )
            rows.append((self.steps[-1], actor))
            if finished is not None:
                start = finished
        first_handover = len(self.handovers)
        for position, (step_row, actor) in enumerate(rows):
            holder = step_row[12]
            if position and holder is not None:
                # The unit head assigns it, or the specialist takes it from the pool.
                taken = step_row[13] + timedelta(hours=rng.uniform(0.1, 3))
                taken = min(taken, step_row[16] or now)
                by = head if head is not None and rng.random() < 0.6 else holder
                kind = "take" if by == holder else "assign"
                self._handover(pk, kind, taken, step_row, step_row, by, holder, open_=True)
            if position + 1 < len(rows):
                after = rows[position + 1][0]
                self._handover(pk, "forward", step_row[16], step_row, after, actor, None)
        last, actor = rows[-1]
        if last[16] is not None and status in ("returned", "rejected", "withdrawn"):
            # The return ends the process; a rejection or withdrawal closes the open step.
            by = {"returned": actor, "rejected": leader, "withdrawn": row[3]}[status]
            reason = row[28] if status == "rejected" else ""
            self._handover(pk, "finish", last[16], last, None, by, None, reason=reason)
        self._events(row, event_ids, self.handovers[first_handover:])

    def _events(self, row: list, event_ids: list[int], handovers: list[tuple]) -> None:
        """The history event of each hand-over, linked to it, as the services write them: the
        dossier's status at the time, the unit and expected date of the step handed to."""
        timeline = [self.gen.events[i] for i in event_ids]
        times = [event[1] for event in timeline]
        steps = self.steps
        for handover in handovers:
            kind, when, from_step, to_step = handover[2], handover[3], handover[4], handover[5]
            at = bisect_right(times, when)
            status = timeline[at - 1][4] if at else row[4]
            params: dict = {"agency": row[2]}
            if to_step is not None:
                target = steps[to_step - 1]
                params["unit"] = target[11]
                params["date"] = target[14].astimezone(AGENCY_TZ).date().isoformat()
            action = STEP_ACTIONS[kind]
            if kind == "forward" and steps[from_step - 1][9]:
                action = "draft_result"  # the specialist's draft hands the dossier on
            self.events.append(
                (
                    row[0],
                    when,
                    action,
                    status,
                    status,
                    kind == "forward",
                    handover[6],
                    self.agency_names[row[2]],
                    STEP_MESSAGES[kind],
                    params,
                    handover[12],
                    handover[0],
                )
            )

    def _share(self, process, indices, start: datetime, end: datetime):
        """Steps ending one after the other from `start` to `end`, in proportion to their
        office hours; the last ends at `end`."""
        indices = list(indices)
        clock = self.clock
        total = sum(process[i][3] for i in indices) or 1
        span = clock.between(start, end)
        base = clock.hours(start)
        done, result, previous = 0, [], start
        for n, index in enumerate(indices):
            done += process[index][3]
            if n == len(indices) - 1:
                finish = end
            else:
                finish = min(max(clock.moment(base + span * done / total), previous), end)
            result.append((index, finish))
            previous = finish
        return result

    def _handover(
        self, pk, kind, when, before, after, from_user, to_user, *, open_=False, reason=""
    ) -> None:
        """A hand-over row; `open_`: the step stays open (assign, take): no outcome yet."""
        self.handovers.append(
            (
                len(self.handovers) + 1,
                pk,
                kind,
                when,
                before[0] if before else None,
                after[0] if after else None,
                from_user,
                before[11] if before else None,
                after[11] if after else None,
                to_user,
                before[14] if before else None,
                before[17] if before and not open_ else "",
                reason,
            )
        )

    # --- Writing ----------------------------------------------------------------------------

    def write(self) -> None:
        """After the users and dossiers: memberships, steps, hand-overs, current steps."""
        UnitMembership.objects.bulk_create(self.memberships, batch_size=2000)
        log(f"COPY {len(self.steps):,} steps, {len(self.handovers):,} hand-overs")
        copy_rows(DossierStep, STEP_COLUMNS, self.steps)
        copy_rows(HandOver, HANDOVER_COLUMNS, self.handovers)
        # Their history events, after the simulation's (numbered from 1 by generate.py).
        log(f"COPY {len(self.events):,} hand-over history events")
        first = len(self.gen.events) + 1
        copy_rows(
            DossierEvent,
            ["id", *EVENT_COLUMNS],
            ((n, *event) for n, event in enumerate(self.events, start=first)),
        )
        reset_sequences(DossierStep, HandOver, DossierEvent)
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE dossiers_dossier d SET current_step_id = s.id
                FROM dossiers_dossierstep s
                WHERE s.dossier_id = d.id AND s.finished_at IS NULL
                """
            )
