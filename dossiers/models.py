"""Dossiers (hồ sơ), their files, their history and the working-day calendar."""

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from procedures.constants import StaffRole, UnitKind
from procedures.models import Agency, DossierComponent, Procedure, ProcessStep, Unit

from . import policy
from .constants import (
    CLOCK_STOPPED,
    STATUS_CSS,
    WAITING_FOR_CITIZEN,
    ApologyStatus,
    CalendarDayKind,
    Channel,
    DossierStatus,
    HandOverKind,
    ResultDelivery,
    StepOutcome,
    event_action_label,
)


class CalendarDay(models.Model):
    """An exception to the normal working week: an extra day off or a make-up working day."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=CalendarDayKind)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        ordering = ["-date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("working-day calendar")
        # The calendar moves every agency's due dates: editing it is a duty of its own, never
        # part of a desk officer's group (dossiers/groups.py).
        permissions = [("manage_calendar", _("Can edit the working-day calendar"))]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class DossierCodeSequence(models.Model):
    """Per-agency, per-day counter behind dossier codes; the row is locked while a code is issued."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "day"], name="uniq_code_seq")]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.day}: {self.last}"


class DossierQuerySet(models.QuerySet):
    """Who sees which dossiers is the access policy's (`dossiers.policy`); these filters only
    apply its scopes."""

    def for_citizen(self, user) -> "DossierQuerySet":
        return self.filter(policy.citizen_scope(user))

    def for_staff(self, user) -> "DossierQuerySet":
        """Superusers see every sent dossier; other staff only their agency's; others none;
        no staff member a citizen's unsent draft (`policy.staff_scope`)."""
        return self.filter(policy.staff_scope(user))

    def visible_to(self, user) -> "DossierQuerySet":
        """Whose files and slips `user` may open (`policy.visible_scope`)."""
        return self.filter(policy.visible_scope(user))

    def running(self) -> "DossierQuerySet":
        """Dossiers whose processing clock runs (not waiting on the citizen, not finished)."""
        return self.exclude(status__in=CLOCK_STOPPED)

    def overdue(self, today=None) -> "DossierQuerySet":
        """Past their due date while the clock runs (DESIGN §4)."""
        return self.running().filter(due_date__lt=today or timezone.localdate())

    def waiting_for_citizen(self) -> "DossierQuerySet":
        return self.filter(status__in=WAITING_FOR_CITIZEN)


class Dossier(models.Model):
    """A dossier (hồ sơ) an applicant submits for one procedure."""

    procedure = models.ForeignKey(
        Procedure, on_delete=models.PROTECT, related_name="dossiers", verbose_name=_("procedure")
    )
    # Copied from the procedure at creation: the receiving agency never changes under a dossier.
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="dossiers", verbose_name=_("agency")
    )
    # The applicant's account; empty for a dossier the desk registered for someone without one
    # (counter intake): the typed applicant details below are then the only record.
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dossiers",
        verbose_name=_("applicant"),
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel, default=Channel.ONLINE, db_index=True
    )
    status = models.CharField(
        _("status"), max_length=24, choices=DossierStatus, default=DossierStatus.DRAFT
    )
    code = models.CharField(_("dossier code"), max_length=32, unique=True, null=True, blank=True)
    # Short secret printed on the receipt slip; an agency may require it for the public history.
    lookup_secret = models.CharField(_("lookup secret"), max_length=8, blank=True)
    # Idempotency key of the submit form: a double click or a resent form finds the same dossier.
    form_token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    # Applicant details for this dossier (pre-filled from the profile, editable per dossier).
    applicant_name = models.CharField(_("applicant name"), max_length=150)
    applicant_type = models.CharField(_("applicant type"), max_length=20, default="person")
    organisation_name = models.CharField(_("organisation name"), max_length=255, blank=True)
    citizen_id = models.CharField(_("citizen ID number (CCCD)"), max_length=12, blank=True)
    tax_code = models.CharField(_("tax code"), max_length=14, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    # How the applicant wants the result (chosen at submission) and, by post, where to.
    result_delivery = models.CharField(
        _("result delivery"), max_length=8, choices=ResultDelivery, default=ResultDelivery.DESK
    )
    delivery_address = models.CharField(
        _("postal address for the result"), max_length=255, blank=True
    )
    # How the desk actually delivered the result, and the postal tracking number when by post.
    delivered_via = models.CharField(
        _("result delivered"), max_length=8, choices=ResultDelivery, blank=True
    )
    waybill_number = models.CharField(_("postal tracking number"), max_length=64, blank=True)
    # Answers to the procedure's declared fields, by key.
    data = models.JSONField(_("dossier information"), default=dict, blank=True)

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    # The new date of the latest signed apology letter (Phiếu xin lỗi và hẹn lại ngày trả kết
    # quả): what the applicant and the public are told to expect. `due_date` stays the original
    # one, against which statistics count the dossier late.
    appointment_date = models.DateField(_("new appointment"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    # The officer who received the dossier: signs the receipt slip.
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("received by"),
    )
    result_file = models.FileField(
        _("result file"), upload_to="results/%Y/%m/", blank=True, max_length=255
    )
    result_name = models.CharField(_("result file name"), max_length=255, blank=True)
    result_sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    result_note = models.TextField(_("result note"), blank=True)
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    # Processing stopped (dừng giải quyết): the reason the notice gives, and the leader who
    # signed it (the time is `completed_at`).
    stop_reason = models.TextField(_("reason for stopping"), blank=True)
    stopped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("stopped by"),
    )
    # The step of the internal process the dossier is at (None: not received yet, finished, or
    # an agency that has not set up its back office).
    current_step = models.ForeignKey(
        "DossierStep",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("current step"),
    )
    # The result as the specialist drafted it, until the leader approves (it then becomes the
    # result above) or the unit head sends it back.
    draft_file = models.FileField(
        _("draft result"), upload_to="drafts/%Y/%m/", blank=True, max_length=255
    )
    draft_name = models.CharField(_("draft file name"), max_length=255, blank=True)
    draft_sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    draft_note = models.TextField(_("draft note"), blank=True)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("drafted by"),
    )
    drafted_at = models.DateTimeField(_("drafted"), null=True, blank=True)

    objects = DossierQuerySet.as_manager()

    # The status label the transaction list resolves once per request for its rows.
    status_label: str

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["applicant", "-created_at"]),
            models.Index(fields=["applicant", "status"]),
            models.Index(fields=["agency", "status", "-created_at"]),
            models.Index(fields=["agency", "-created_at"]),
            models.Index(fields=["status", "due_date"]),
            # The admin queue's counts by status and overdue, per agency, from the index alone.
            models.Index(fields=["agency", "status", "due_date"]),
            models.Index(fields=["agency", "received_at"]),
            models.Index(fields=["procedure", "received_at"]),
        ]
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        permissions = [
            ("receive_dossier", _("Can receive dossiers, ask for supplements and return results")),
            ("process_dossier", _("Can process, approve and reject dossiers")),
        ]

    def __str__(self) -> str:
        return self.code or _("Dossier #%(id)s (no code yet)") % {"id": self.pk}

    def get_absolute_url(self) -> str:
        return reverse("dossiers:detail", args=[self.pk])

    @property
    def waiting_for_citizen(self) -> bool:
        return self.status in WAITING_FOR_CITIZEN

    @property
    def status_css(self) -> str:
        return STATUS_CSS.get(self.status, "")

    @property
    def expected_date(self):
        """The date the applicant is told to expect the result: the new appointment of a signed
        apology letter, else the due date."""
        return self.appointment_date or self.due_date

    @property
    def is_overdue(self) -> bool:
        return bool(
            self.due_date
            and self.status not in CLOCK_STOPPED
            and self.due_date < timezone.localdate()
        )


class Attachment(models.Model):
    """One uploaded file version for a dossier component; never overwritten, only superseded."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="attachments")
    component = models.ForeignKey(
        DossierComponent,
        on_delete=models.PROTECT,
        related_name="attachments",
        verbose_name=_("component"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    file = models.FileField(_("file"), upload_to="dossiers/%Y/%m/", max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField("SHA-256", max_length=64)
    content_type = models.CharField(_("content type"), max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    # False once superseded by a newer version or removed from the dossier.
    is_current = models.BooleanField(_("current"), default=True)
    supplement_request = models.ForeignKey(
        "SupplementRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attachments",
    )

    class Meta:
        ordering = ["component__order", "component_id", "-version", "-id"]
        indexes = [models.Index(fields=["dossier", "component", "is_current"])]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return f"{self.original_name} (v{self.version})"


class DossierEvent(models.Model):
    """Append-only history: every status change and notable step of a dossier."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    action = models.CharField(_("action"), max_length=40)
    from_status = models.CharField(_("from"), max_length=24, blank=True)
    to_status = models.CharField(_("to"), max_length=24, blank=True)
    # What the portal says about the step, composed when read in the reader's language
    # (dossiers.history): a message id and its parameters (dates, amounts, the agency's id).
    message = models.CharField(_("message"), max_length=60, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    # Free text a person wrote (a reason, a note to the applicant): the applicant and staff
    # read it, the public lookup never does.
    note = models.TextField(_("note to the applicant"), blank=True)
    # Only staff read this.
    internal_note = models.TextField(_("internal note"), blank=True)
    # The unit's name as recorded at the time; pages show the agency of `params` by its name in
    # the reader's language, and this only for older events that have none.
    handling_unit = models.CharField(_("handling unit"), max_length=255, blank=True)
    # Whether the public lookup lists the step (its status, unit, time and public message).
    is_public = models.BooleanField(_("shown in public lookup"), default=True)
    # The hand-over of the processing-control slip this event records, if any.
    handover = models.ForeignKey(
        "HandOver",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("hand-over"),
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["dossier", "created_at"])]
        verbose_name = _("history event")
        verbose_name_plural = _("history")

    def __str__(self) -> str:
        return f"{timezone.localtime(self.created_at):%d/%m/%Y %H:%M} {self.action_label}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Dossier events are append-only.")
        super().save(*args, **kwargs)

    @property
    def action_label(self) -> str:
        return event_action_label(self.action)

    @property
    def to_status_label(self) -> str:
        return str(DossierStatus(self.to_status).label) if self.to_status in DossierStatus else ""

    @property
    def from_status_label(self) -> str:
        status = self.from_status
        return str(DossierStatus(status).label) if status in DossierStatus else ""

    @property
    def to_status_css(self) -> str:
        return STATUS_CSS.get(self.to_status, "")


class SupplementRequest(models.Model):
    """A request to supplement (yêu cầu bổ sung): what to correct and by when."""

    dossier = models.ForeignKey(
        Dossier,
        on_delete=models.CASCADE,
        related_name="supplement_requests",
        verbose_name=_("dossier"),
    )
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("asked by"),
    )
    message = models.TextField(_("message"))
    components = models.ManyToManyField(
        DossierComponent,
        blank=True,
        related_name="+",
        verbose_name=_("components to replace or add"),
    )
    fields = models.JSONField(_("information fields to correct"), default=list, blank=True)
    # Status when asked: decides whether the answer goes back to receipt or to processing.
    asked_in_status = models.CharField(max_length=24)
    deadline = models.DateField(_("deadline"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    # Answer snapshot: the applicant fields and data before the answer, to show what changed.
    before = models.JSONField(default=dict, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)
    overdue_flagged_at = models.DateTimeField(_("flagged overdue at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["answered_at", "deadline"])]
        verbose_name = _("supplement request")
        verbose_name_plural = _("supplement requests")

    def __str__(self) -> str:
        return f"{self.dossier} — {self.created_at:%Y-%m-%d}"


class DossierStep(models.Model):
    """One pass of a dossier through one step of its internal process (quy trình nội bộ).

    What the process said when the step began is copied here (unit kind, role, duration,
    capabilities), so editing a process never changes a dossier already on its way. A step sent
    back is passed again as a new row. The open steps (`finished_at` empty) are the staff's work
    queues."""

    dossier = models.ForeignKey(
        Dossier, on_delete=models.CASCADE, related_name="steps", verbose_name=_("dossier")
    )
    process_step = models.ForeignKey(
        ProcessStep,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("process step"),
    )
    order = models.PositiveIntegerField(_("order"))
    unit_kind = models.CharField(_("unit kind"), max_length=12, choices=UnitKind)
    role = models.CharField(_("acting role"), max_length=16, choices=StaffRole)
    hours = models.PositiveIntegerField(_("duration (working hours)"))
    may_request_supplement = models.BooleanField(_("may request a supplement"), default=False)
    may_issue_fee_notice = models.BooleanField(_("may issue a fee notice"), default=False)
    drafts_result = models.BooleanField(_("drafts the result"), default=False)
    approves = models.BooleanField(_("approves"), default=False)
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="dossier_steps", verbose_name=_("unit")
    )
    # Empty: in the unit's pool (a specialist takes it, or the unit head assigns it).
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="dossier_steps",
        verbose_name=_("assigned to"),
    )
    started_at = models.DateTimeField(_("started"))
    deadline = models.DateTimeField(_("deadline"))
    # While the dossier waits on the applicant (supplement, fee) the step's clock stops.
    paused_at = models.DateTimeField(_("paused"), null=True, blank=True)
    # Set once, the day before the deadline, when the people concerned were warned.
    warned_at = models.DateTimeField(_("lateness warning sent"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=8, choices=StepOutcome, blank=True)
    # The office hours the finished step took, the applicant's time (clock stopped) left out:
    # computed once when it finishes, so statistics add them up in the database.
    hours_used = models.FloatField(_("office hours used"), null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [
            models.Index(fields=["dossier", "started_at"]),
            # The work queues: open steps of a unit, of a person, by deadline.
            models.Index(
                fields=["unit", "deadline"],
                condition=models.Q(finished_at__isnull=True),
                name="dossierstep_open_unit",
            ),
            models.Index(
                fields=["assignee", "deadline"],
                condition=models.Q(finished_at__isnull=True),
                name="dossierstep_open_assignee",
            ),
            # A unit's pool ("My work" of its specialists): stays small as finished steps grow.
            models.Index(
                fields=["unit", "deadline"],
                condition=models.Q(finished_at__isnull=True, assignee__isnull=True),
                name="dossierstep_open_pool",
            ),
            # Statistics per unit and step over a period.
            models.Index(fields=["unit", "finished_at"]),
        ]
        verbose_name = _("processing step")
        verbose_name_plural = _("processing steps")

    def __str__(self) -> str:
        return f"{self.order}. {self.get_role_display()} — {self.unit.name}"

    @property
    def is_open(self) -> bool:
        return self.finished_at is None


class HandOver(models.Model):
    """A line of the processing-control slip: who handed the dossier to whom, when, and how the
    step handed over ended against its deadline. Separate from the status history, which links
    to it (`DossierEvent.handover`)."""

    dossier = models.ForeignKey(
        Dossier, on_delete=models.CASCADE, related_name="handovers", verbose_name=_("dossier")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=HandOverKind)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    from_step = models.ForeignKey(
        DossierStep,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="handovers_out",
        verbose_name=_("from step"),
    )
    to_step = models.ForeignKey(
        DossierStep,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="handovers_in",
        verbose_name=_("to step"),
    )
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handed over by"),
    )
    from_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("from unit"),
    )
    to_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("to unit"),
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("received by"),
    )
    # The deadline of the step handed over, and how it ended against it.
    step_deadline = models.DateTimeField(_("step deadline"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=8, choices=StepOutcome, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["dossier", "created_at"])]
        verbose_name = _("hand-over")
        verbose_name_plural = _("processing-control slip")

    def __str__(self) -> str:
        return f"{self.dossier} {self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Hand-overs are append-only.")
        super().save(*args, **kwargs)


class ApologyLetter(models.Model):
    """An apology letter and new appointment (Phiếu xin lỗi và hẹn lại ngày trả kết quả, Circular
    01/2018 form 04): the unit handling a dossier that will miss its date drafts it with the
    reason and a new date; a leader of the agency signs it, and only then is the applicant told
    and the new date shown (`Dossier.appointment_date`)."""

    dossier = models.ForeignKey(
        Dossier, on_delete=models.CASCADE, related_name="apology_letters", verbose_name=_("dossier")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ApologyStatus, default=ApologyStatus.DRAFT
    )
    reason = models.TextField(_("reason for the delay"))
    # The date the letter replaces (the due date, or an earlier letter's new date).
    previous_date = models.DateField(_("date promised before"))
    new_date = models.DateField(_("new date for the result"))
    # The unit that drafted it (the dossier's current step's, when the back office is set up).
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("unit"),
    )
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("drafted by"),
    )
    drafted_at = models.DateTimeField(_("drafted"), default=timezone.now)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signed by"),
    )
    signed_at = models.DateTimeField(_("signed"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        ordering = ["drafted_at", "id"]
        constraints = [
            # One letter at a time waits for a signature.
            models.UniqueConstraint(
                fields=["dossier"],
                condition=models.Q(status=ApologyStatus.DRAFT),
                name="one_draft_apology_per_dossier",
            ),
        ]
        verbose_name = _("apology letter")
        verbose_name_plural = _("apology letters")

    def __str__(self) -> str:
        return f"{self.dossier} → {self.new_date:%d/%m/%Y} ({self.get_status_display()})"
