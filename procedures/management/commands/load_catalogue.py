"""Load the procedure catalogue from its versioned JSON file, idempotently.

Running it twice changes nothing: rows are updated only when a value differs, child rows (steps,
components, declared fields, fees) are updated in place by position so their ids stay stable,
and template files are stored only when missing or changed. Components that dossiers reference
are never deleted.

Internal processes (quy trình nội bộ): the file may give an agency's `process` or a procedure's
own `process` (a list of {"unit_kind", "role", "duration", "duration_unit", capabilities}). When
it does not, a sample process is generated (`sample_process`): desk receives → specialist
examines → unit head reviews → leader approves → desk returns, scaled to the processing time.
Each agency gets it for the processing time most of its procedures have; every procedure whose
time differs gets its own, so every procedure's process adds up to its processing time.

Every text the public reads may have its English translation beside it under the same key with
`_en` (`name_en`, `help_en`, `choices_en` …; a step is a string or {"text", "text_en"}); the
models' TRANSLATED_FIELDS name them.
"""

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.db.models import ProtectedError

from procedures.cache import catalogue_changed
from procedures.constants import (
    WORKING_HOURS_PER_DAY,
    DurationUnit,
    FormFieldKind,
    OriginalKind,
    ServiceLevel,
    StaffRole,
    UnitKind,
)
from procedures.models import (
    Agency,
    DossierComponent,
    Fee,
    Field,
    FormField,
    Procedure,
    ProcedureStep,
    ProcessStep,
)

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "data" / "catalogue.json"
TEMPLATE_DIR = "templates"


@dataclass
class Stats:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)
    files_stored: int = 0
    warnings: list[str] = field(default_factory=list)

    def bump(self, kind: str, model: type[models.Model]) -> None:
        counter = getattr(self, kind)
        name = model._meta.model_name
        counter[name] = counter.get(name, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted or self.files_stored)


def english(model: type[models.Model], record: dict[str, Any]) -> dict[str, Any]:
    """The English twins (`<name>_en`) of `model`'s translated texts in a data-file record; a
    missing one is blank (the pages then show the Vietnamese text)."""
    values = {}
    for name in model.TRANSLATED_FIELDS:  # type: ignore[attr-defined]
        blank: Any = [] if isinstance(model._meta.get_field(name), models.JSONField) else ""
        values[f"{name}_en"] = record.get(f"{name}_en") or blank
    return values


def _step(item: str | dict[str, Any]) -> dict[str, Any]:
    """A step is its Vietnamese text, or {"text": ..., "text_en": ...}."""
    record = {"text": item} if isinstance(item, str) else item
    return {"text": record["text"], **english(ProcedureStep, record)}


PROCESS_FLAGS = ("may_request_supplement", "may_issue_fee_notice", "drafts_result", "approves")


def _duration(hours: int) -> tuple[int, str]:
    """Whole working days when the hours make them, working hours otherwise."""
    if hours % WORKING_HOURS_PER_DAY == 0:
        return hours // WORKING_HOURS_PER_DAY, DurationUnit.WORKING_DAYS
    return hours, DurationUnit.WORKING_HOURS


def sample_process(days: int) -> list[dict[str, Any]]:
    """The generated (sample) internal process for a processing time of `days` working days.

    The rule: the desk receives and returns in half a day each (2 hours for 2 days, 1 hour for
    1 day); from 5 days the leader has one day to approve and the unit head one day per 5 days
    to review, below that as long as the desk; the specialist has all the rest. The durations
    always add up to `days` × 8 working hours.
    """
    total = max(days, 1) * WORKING_HOURS_PER_DAY
    desk = 4 if days >= 3 else (2 if days == 2 else 1)
    leader = WORKING_HOURS_PER_DAY if days >= 5 else desk
    head = WORKING_HOURS_PER_DAY * max(1, days // 5) if days >= 5 else desk
    specialist = total - 2 * desk - leader - head
    plan = [
        (UnitKind.DESK, StaffRole.DESK_OFFICER, desk, ()),
        (
            UnitKind.SPECIALIST,
            StaffRole.SPECIALIST,
            specialist,
            ("may_request_supplement", "may_issue_fee_notice", "drafts_result"),
        ),
        (UnitKind.SPECIALIST, StaffRole.UNIT_HEAD, head, ()),
        (UnitKind.LEADERSHIP, StaffRole.LEADER, leader, ("approves",)),
        (UnitKind.DESK, StaffRole.DESK_OFFICER, desk, ()),
    ]
    steps = []
    for kind, role, hours, flags in plan:
        duration, unit = _duration(hours)
        steps.append(
            {
                "unit_kind": kind,
                "role": role,
                "duration": duration,
                "duration_unit": unit,
                **{flag: flag in flags for flag in PROCESS_FLAGS},
                "sample": True,
            }
        )
    return steps


def _process_step(record: dict[str, Any]) -> dict[str, Any]:
    if record["unit_kind"] not in UnitKind.values or record["role"] not in StaffRole.values:
        raise CommandError(f"unknown unit kind or role in process step {record!r}")
    unit = record.get("duration_unit", DurationUnit.WORKING_DAYS)
    if unit not in DurationUnit.values:
        raise CommandError(f"unknown duration unit {unit!r}")
    return {
        "unit_kind": record["unit_kind"],
        "role": record["role"],
        "duration": int(record["duration"]),
        "duration_unit": unit,
        **{flag: bool(record.get(flag, False)) for flag in PROCESS_FLAGS},
        "is_sample": bool(record.get("sample", False)),
    }


def _hours(steps: list[dict[str, Any]]) -> int:
    return sum(
        s["duration"] * (WORKING_HOURS_PER_DAY if s["duration_unit"] == "days" else 1)
        for s in steps
    )


def _assign(obj: models.Model, values: dict[str, Any]) -> bool:
    """Set the values that differ; True when something changed."""
    changed = False
    for name, value in values.items():
        current = getattr(obj, name)
        if name == "template":
            current = current.name or ""
        if current != value:
            setattr(obj, name, value)
            changed = True
    return changed


class Loader:
    def __init__(self, path: Path, stats: Stats) -> None:
        self.path = path
        self.template_dir = path.parent / "templates"
        self.stats = stats
        self._stored_templates: dict[str, str] = {}

    # --- generic helpers -----------------------------------------------------------------------
    def upsert(self, model: type[models.Model], lookup: dict[str, Any], values: dict[str, Any]):
        """update_or_create that writes nothing (and keeps auto_now fields) when nothing differs."""
        obj = model._default_manager.filter(**lookup).first()
        if obj is None:
            obj = model._default_manager.create(**lookup, **values)
            self.stats.bump("created", model)
        elif _assign(obj, values):
            obj.save()
            self.stats.bump("updated", model)
        return obj

    def sync_children(
        self,
        model: type[models.Model],
        existing: list[models.Model],
        wanted: list[dict[str, Any]],
        procedure: Procedure,
    ) -> list[models.Model]:
        """Make the ordered children match `wanted`, updating rows in place by position."""
        result = []
        for position, values in enumerate(wanted):
            values = {**values, "order": position}
            if position < len(existing):
                obj = existing[position]
                if _assign(obj, values):
                    obj.save()
                    self.stats.bump("updated", model)
            else:
                obj = model._default_manager.create(procedure=procedure, **values)
                self.stats.bump("created", model)
            result.append(obj)
        for extra in existing[len(wanted) :]:
            try:
                # A savepoint: a refused delete must not spoil the surrounding transaction.
                with transaction.atomic():
                    extra.delete()
            except ProtectedError:
                self.stats.warnings.append(
                    f"{procedure.national_code}: kept {model._meta.verbose_name} "
                    f"“{extra}” (id {extra.pk}) because dossiers refer to it"
                )
                continue
            self.stats.bump("deleted", model)
        return result

    # --- templates -----------------------------------------------------------------------------
    def store_template(self, filename: str) -> str:
        """The storage name of a template file, stored under templates/ only when missing or changed."""
        if filename in self._stored_templates:
            return self._stored_templates[filename]
        if Path(filename).name != filename:
            raise CommandError(f"template file name must not contain a path: {filename!r}")
        source = self.template_dir / filename
        if not source.is_file():
            raise CommandError(f"template file not found: {source}")
        content = source.read_bytes()
        name = f"{TEMPLATE_DIR}/{filename}"
        if default_storage.exists(name):
            with default_storage.open(name, "rb") as stored:
                same = hashlib.sha256(stored.read()).digest() == hashlib.sha256(content).digest()
            if not same:
                default_storage.delete(name)
        else:
            same = False
        if not same:
            saved = default_storage.save(name, ContentFile(content))
            if saved != name:
                raise CommandError(f"storage renamed {name} to {saved}")
            self.stats.files_stored += 1
        self._stored_templates[filename] = name
        return name

    # --- catalogue -----------------------------------------------------------------------------
    def load(self, data: dict[str, Any]) -> None:
        agencies = {
            a["code"]: self.upsert(
                Agency,
                {"code": a["code"]},
                {
                    "name": a["name"],
                    **english(Agency, a),
                    "address": a.get("address", ""),
                    "phone": a.get("phone", ""),
                    "email": a.get("email", ""),
                    "website": a.get("website", ""),
                    "bank_name": a.get("bank_name", ""),
                    "bank_account_name": a.get("bank_account_name", ""),
                    "bank_account_number": a.get("bank_account_number", ""),
                    "is_sample": bool(a.get("sample", False)),
                },
            )
            for a in data.get("agencies", [])
        }
        fields = {
            f["slug"]: self.upsert(
                Field,
                {"slug": f["slug"]},
                {"name": f["name"], **english(Field, f), "order": f.get("order", 0)},
            )
            for f in data.get("fields", [])
        }
        # The processing time most of each agency's procedures have, for its default process.
        usual_days: dict[str, Counter[int]] = {}
        for p in data.get("procedures", []):
            usual_days.setdefault(p["agency"], Counter())[int(p.get("processing_days", 1))] += 1
        self.default_days: dict[int, int] = {}
        for a in data.get("agencies", []):
            agency = agencies[a["code"]]
            days = usual_days.get(a["code"], Counter({1: 1})).most_common(1)[0][0]
            process = [_process_step(s) for s in a.get("process") or sample_process(days)]
            self.default_days[agency.pk] = _hours(process) // WORKING_HOURS_PER_DAY
            self.sync_process(ProcessStep.objects.filter(agency=agency), process, agency=agency)
        seen_slugs: set[str] = set()
        for p in data.get("procedures", []):
            self.load_procedure(p, agencies, fields, seen_slugs)

    def sync_process(self, existing, wanted: list[dict[str, Any]], **owner: Any) -> None:
        """Make a process match `wanted`, in place by position (like the other child rows)."""
        rows = list(existing.order_by("order", "id"))
        for position, values in enumerate(wanted):
            values = {**values, "order": position}
            if position < len(rows):
                if _assign(rows[position], values):
                    rows[position].save()
                    self.stats.bump("updated", ProcessStep)
            else:
                ProcessStep.objects.create(**owner, **values)
                self.stats.bump("created", ProcessStep)
        for extra in rows[len(wanted) :]:
            extra.delete()
            self.stats.bump("deleted", ProcessStep)

    def load_procedure(
        self,
        p: dict[str, Any],
        agencies: dict[str, Agency],
        fields: dict[str, Field],
        seen_slugs: set[str],
    ) -> None:
        code = p["national_code"]
        if p["slug"] in seen_slugs:
            raise CommandError(f"{code}: duplicate slug {p['slug']!r}")
        seen_slugs.add(p["slug"])
        try:
            agency = agencies.get(p["agency"]) or Agency.objects.get(code=p["agency"])
            field_ = fields.get(p["field"]) or Field.objects.get(slug=p["field"])
        except (Agency.DoesNotExist, Field.DoesNotExist) as exc:
            raise CommandError(f"{code}: unknown agency or field ({exc})") from exc
        level = p.get("service_level", ServiceLevel.FULL)
        if level not in ServiceLevel.values:
            raise CommandError(f"{code}: unknown service level {level!r}")

        procedure = self.upsert(
            Procedure,
            {"national_code": code},
            {
                "slug": p["slug"],
                "name": p["name"],
                "field_id": field_.pk,
                "agency_id": agency.pk,
                "service_level": level,
                "applicant_types": list(p.get("applicant_types", [])),
                "applicants": p.get("applicants", ""),
                "content": p.get("content", ""),
                "conditions": p.get("conditions", ""),
                "processing_days": int(p.get("processing_days", 1)),
                "result": p.get("result", ""),
                "legal_basis": p.get("legal_basis", ""),
                **english(Procedure, p),
                "is_sample": bool(p.get("sample", False)),
                "popularity": int(p.get("popularity", 0)),
            },
        )

        self.sync_children(
            ProcedureStep,
            list(procedure.steps.order_by("order", "id")),
            [_step(item) for item in p.get("steps", [])],
            procedure,
        )
        self.load_process(procedure, p)
        self.sync_children(
            DossierComponent,
            list(procedure.components.order_by("order", "id")),
            [self.component_values(code, c) for c in p.get("components", [])],
            procedure,
        )
        self.sync_form_fields(procedure, p.get("form_fields", []))
        self.sync_children(
            Fee,
            list(procedure.fees.order_by("order", "id")),
            [
                {"name": f["name"], **english(Fee, f), "amount": int(f.get("amount", 0))}
                for f in p.get("fees", [])
            ],
            procedure,
        )

    def load_process(self, procedure: Procedure, p: dict[str, Any]) -> None:
        """The procedure's own process: from the file, else generated when the agency's default
        does not add up to its processing time, else none (the default applies)."""
        days = procedure.processing_days
        if p.get("process"):
            wanted = [_process_step(s) for s in p["process"]]
        elif self.default_days.get(procedure.agency_id) != days:
            wanted = [_process_step(s) for s in sample_process(days)]
        else:
            wanted = []
        if wanted and _hours(wanted) != days * WORKING_HOURS_PER_DAY:
            raise CommandError(
                f"{procedure.national_code}: the process adds up to {_hours(wanted)} working "
                f"hours, not {days} working days"
            )
        self.sync_process(
            ProcessStep.objects.filter(procedure=procedure), wanted, procedure=procedure
        )

    def component_values(self, code: str, c: dict[str, Any]) -> dict[str, Any]:
        kind = c.get("original_kind", OriginalKind.ORIGINAL)
        if kind not in OriginalKind.values:
            raise CommandError(f"{code}: unknown original_kind {kind!r}")
        template = c.get("template")
        return {
            "name": c["name"],
            "description": c.get("description", ""),
            **english(DossierComponent, c),
            "required": bool(c.get("required", True)),
            "copies": int(c.get("copies", 1)),
            "original_kind": kind,
            "file_types": [t.lower().lstrip(".") for t in c.get("file_types", [])],
            "max_size_mb": int(c.get("max_size_mb", 10)),
            "multiple": bool(c.get("multiple", False)),
            "template": self.store_template(template) if template else "",
        }

    def sync_form_fields(self, procedure: Procedure, wanted: list[dict[str, Any]]) -> None:
        """Declared fields are matched by key (unique per procedure), so dossier data keeps its keys."""
        existing = {f.key: f for f in procedure.form_fields.all()}
        keys = []
        for position, f in enumerate(wanted):
            kind = f.get("kind", FormFieldKind.TEXT)
            if kind not in FormFieldKind.values:
                raise CommandError(f"{procedure.national_code}: unknown field kind {kind!r}")
            values = {
                "order": position,
                "label": f["label"],
                "kind": kind,
                "required": bool(f.get("required", False)),
                "choices": list(f.get("choices", [])),
                "help": f.get("help", ""),
                **english(FormField, f),
            }
            if values["choices_en"] and len(values["choices_en"]) != len(values["choices"]):
                raise CommandError(
                    f"{procedure.national_code}: field {f['key']!r} has "
                    f"{len(values['choices_en'])} English choices for {len(values['choices'])}"
                )
            keys.append(f["key"])
            obj = existing.get(f["key"])
            if obj is None:
                FormField.objects.create(procedure=procedure, key=f["key"], **values)
                self.stats.bump("created", FormField)
            elif _assign(obj, values):
                obj.save()
                self.stats.bump("updated", FormField)
        if len(set(keys)) != len(keys):
            raise CommandError(f"{procedure.national_code}: duplicate form field keys")
        for key, obj in existing.items():
            if key not in keys:
                obj.delete()
                self.stats.bump("deleted", FormField)


def load_catalogue(path: Path | str = DEFAULT_PATH) -> Stats:
    """Load the catalogue file in one transaction; returns what changed.

    Raises CommandError on a missing or malformed file (nothing is written then).
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CommandError(f"catalogue file not found: {path}") from exc
    except json.JSONDecodeError as exc:
        raise CommandError(f"{path} is not valid JSON: {exc}") from exc
    stats = Stats()
    try:
        with transaction.atomic():
            Loader(path, stats).load(data)
            # Bulk writes send no signals: drop every cached catalogue read once it commits.
            catalogue_changed()
    except KeyError as exc:
        raise CommandError(f"{path}: missing key {exc}") from exc
    return stats


class Command(BaseCommand):
    help = "Load (or update) the procedure catalogue from a JSON file; safe to run repeatedly."

    def add_arguments(self, parser):
        parser.add_argument(
            "path", nargs="?", default=str(DEFAULT_PATH), help="catalogue JSON file"
        )

    def handle(self, *args, **options):
        stats = load_catalogue(options["path"])
        for warning in stats.warnings:
            self.stderr.write(self.style.WARNING(warning))
        if not stats.changed:
            self.stdout.write("Catalogue already up to date.")
            return
        parts = []
        for label, counter in (
            ("created", stats.created),
            ("updated", stats.updated),
            ("deleted", stats.deleted),
        ):
            if counter:
                parts.append(f"{label} " + ", ".join(f"{n} {m}" for m, n in counter.items()))
        if stats.files_stored:
            parts.append(f"stored {stats.files_stored} template files")
        self.stdout.write(self.style.SUCCESS("Catalogue loaded: " + "; ".join(parts)))
