"""The procedure catalogue: agencies, fields (lĩnh vực) and procedures (thủ tục hành chính)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .constants import (
    WORKING_HOURS_PER_DAY,
    DurationUnit,
    FormFieldKind,
    OriginalKind,
    ServiceLevel,
    StaffRole,
    UnitKind,
)
from .i18n import LocalizedText, localized, localized_choices


class Agency(models.Model):
    """A receiving agency (cơ quan tiếp nhận); its code prefixes every dossier code it issues."""

    code = models.CharField(
        _("code"),
        max_length=8,
        unique=True,
        help_text=_("Upper-case letters; the prefix of dossier codes."),
    )
    name = models.CharField(_("name"), max_length=255)
    name_en = models.CharField(_("name (English)"), max_length=255, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("website"), blank=True)
    bank_name = models.CharField(_("bank"), max_length=255, blank=True)
    bank_account_name = models.CharField(_("account holder"), max_length=255, blank=True)
    bank_account_number = models.CharField(_("account number"), max_length=50, blank=True)
    # One person may draft and approve, and act in any role of the agency's process, only where
    # this is switched off (a single-person agency); changing it is recorded in the audit log.
    separation_of_duties = models.BooleanField(
        _("separation of duties"),
        default=True,
        help_text=_(
            "Whoever drafts a result never approves it, only a leader signs, only the desk "
            "receives and returns. Switch off only for an agency with a single officer."
        ),
    )
    require_lookup_secret = models.BooleanField(
        _("require lookup secret"),
        default=False,
        help_text=_(
            "The public lookup shows the history only with the secret printed on the slip."
        ),
    )
    is_sample = models.BooleanField(_("sample data"), default=False)

    # Texts with an English twin (`<name>_en`), read through procedures/i18n.py.
    TRANSLATED_FIELDS = ("name",)

    class Meta:
        ordering = ["name"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> LocalizedText:
        """The agency's name in the reader's language (Vietnamese when not translated)."""
        return localized(self, "name")


class StaffMembership(models.Model):
    """Which agency a staff user works for; staff see only their agency's dossiers."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_membership",
        verbose_name=_("staff user"),
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="staff", verbose_name=_("agency")
    )

    class Meta:
        verbose_name = _("staff membership")
        verbose_name_plural = _("staff memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.agency.code}"


class Unit(models.Model):
    """A unit of an agency: the one-stop desk (Bộ phận tiếp nhận và trả kết quả), a specialist
    unit (phòng chuyên môn) or the leadership (lãnh đạo). An agency has exactly one desk."""

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="units", verbose_name=_("agency")
    )
    name = models.CharField(_("name"), max_length=255)
    name_en = models.CharField(_("name (English)"), max_length=255, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=UnitKind)
    # The fields (lĩnh vực) a specialist unit handles: a dossier of a procedure in one of them
    # goes to this unit when the process names no unit.
    fields = models.ManyToManyField(  # type: ignore[var-annotated]
        "Field", blank=True, related_name="units", verbose_name=_("fields handled")
    )

    TRANSLATED_FIELDS = ("name",)

    class Meta:
        ordering = ["agency", "kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency"],
                condition=Q(kind=UnitKind.DESK),
                name="one_desk_per_agency",
                violation_error_message=_("This agency already has a one-stop desk."),
            ),
            models.UniqueConstraint(fields=["agency", "name"], name="uniq_unit_name_per_agency"),
        ]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        return f"{self.name} ({self.agency.code})"

    @property
    def display_name(self) -> LocalizedText:
        """The unit's name in the reader's language (Vietnamese when not translated)."""
        return localized(self, "name")


class UnitMembership(models.Model):
    """A staff member's role in one unit of their agency; one person may hold several."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="unit_memberships",
        verbose_name=_("staff user"),
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("unit")
    )
    role = models.CharField(_("role"), max_length=16, choices=StaffRole)

    class Meta:
        ordering = ["unit", "role", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "unit", "role"], name="uniq_unit_membership_role"
            )
        ]
        verbose_name = _("unit membership")
        verbose_name_plural = _("unit memberships")

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.unit.name}"

    def clean(self) -> None:
        """A member works for the unit's agency (their staff membership names it)."""
        super().clean()
        if not (self.user_id and self.unit_id):
            return
        agency_id = (
            StaffMembership.objects.filter(user_id=self.user_id)
            .values_list("agency_id", flat=True)
            .first()
        )
        if agency_id != self.unit.agency_id:
            raise ValidationError(
                {"user": _("This person is not a staff member of the unit's agency.")}
            )


class Field(models.Model):
    """A field (lĩnh vực) that groups procedures."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=255)
    name_en = models.CharField(_("name (English)"), max_length=255, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    TRANSLATED_FIELDS = ("name",)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("field")
        verbose_name_plural = _("fields")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("procedures:field", args=[self.slug])

    @property
    def display_name(self) -> LocalizedText:
        """The field's name in the reader's language (Vietnamese when not translated)."""
        return localized(self, "name")


class ProcedureQuerySet(models.QuerySet):
    def published(self) -> "ProcedureQuerySet":
        return self.filter(is_published=True)


class Procedure(models.Model):
    """An administrative procedure (thủ tục hành chính) with everything a citizen reads first."""

    national_code = models.CharField(_("national code"), max_length=32, unique=True)
    slug = models.SlugField(_("URL code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=500)
    name_en = models.CharField(_("name (English)"), max_length=500, blank=True)
    # Accent-folded lower-case name + code, for search that works without diacritics; and the
    # folded English name, which English readers' searches also look in.
    search_text = models.TextField(editable=False, blank=True, default="")
    search_text_en = models.TextField(editable=False, blank=True, default="")
    field = models.ForeignKey(
        Field, on_delete=models.PROTECT, related_name="procedures", verbose_name=_("field")
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="procedures", verbose_name=_("agency")
    )
    service_level = models.CharField(
        _("service level"), max_length=10, choices=ServiceLevel, default=ServiceLevel.FULL
    )
    applicant_types = models.JSONField(_("applicant types"), default=list, blank=True)
    applicants = models.TextField(_("who may apply"), blank=True)
    applicants_en = models.TextField(_("who may apply (English)"), blank=True)
    content = models.TextField(_("content"), blank=True)
    content_en = models.TextField(_("content (English)"), blank=True)
    conditions = models.TextField(_("conditions"), blank=True)
    conditions_en = models.TextField(_("conditions (English)"), blank=True)
    processing_days = models.PositiveIntegerField(_("processing time (working days)"), default=1)
    result = models.TextField(_("result"), blank=True)
    result_en = models.TextField(_("result (English)"), blank=True)
    legal_basis = models.TextField(_("legal basis"), blank=True)
    legal_basis_en = models.TextField(_("legal basis (English)"), blank=True)
    is_published = models.BooleanField(_("published"), default=True)
    is_sample = models.BooleanField(_("sample data"), default=False)
    popularity = models.PositiveIntegerField(_("popularity"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProcedureQuerySet.as_manager()

    TRANSLATED_FIELDS = ("name", "applicants", "content", "conditions", "result", "legal_basis")

    class Meta:
        ordering = ["field__order", "name"]
        indexes = [
            models.Index(fields=["is_published", "field"]),
            models.Index(fields=["is_published", "-popularity"]),
        ]
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        from .search import fold

        self.search_text = fold(f"{self.name} {self.national_code}")
        self.search_text_en = fold(self.name_en)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text", "search_text_en"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("procedures:detail", args=[self.slug])

    @property
    def display_name(self) -> LocalizedText:
        """The procedure's name in the reader's language (Vietnamese when not translated)."""
        return localized(self, "name")

    @property
    def total_fee(self) -> int:
        return sum(fee.amount for fee in self.fees.all())


class ProcedureStep(models.Model):
    """One step of the sequence (trình tự thực hiện)."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveIntegerField(_("order"), default=0)
    text = models.TextField(_("text"))
    text_en = models.TextField(_("text (English)"), blank=True)

    TRANSLATED_FIELDS = ("text",)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("step")
        verbose_name_plural = _("steps")

    def __str__(self) -> str:
        return self.text[:60]


class DossierComponent(models.Model):
    """A dossier component (thành phần hồ sơ) the applicant attaches."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="components")
    order = models.PositiveIntegerField(_("order"), default=0)
    name = models.CharField(_("name"), max_length=500)
    name_en = models.CharField(_("name (English)"), max_length=500, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    required = models.BooleanField(_("required"), default=True)
    copies = models.PositiveIntegerField(_("number of copies"), default=1)
    original_kind = models.CharField(
        _("kind"), max_length=20, choices=OriginalKind, default=OriginalKind.ORIGINAL
    )
    file_types = models.JSONField(_("accepted file types"), default=list)
    max_size_mb = models.PositiveIntegerField(_("maximum size (MB)"), default=10)
    multiple = models.BooleanField(_("several files allowed"), default=False)
    template = models.FileField(_("template"), upload_to="templates/", blank=True)

    TRANSLATED_FIELDS = ("name", "description")

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("dossier component")
        verbose_name_plural = _("dossier components")

    def __str__(self) -> str:
        return self.name


class FormField(models.Model):
    """A piece of dossier information the form asks for (declared field)."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="form_fields")
    order = models.PositiveIntegerField(_("order"), default=0)
    key = models.SlugField(_("key"), max_length=64)
    label = models.CharField(_("label"), max_length=255)
    label_en = models.CharField(_("label (English)"), max_length=255, blank=True)
    kind = models.CharField(
        _("kind"), max_length=10, choices=FormFieldKind, default=FormFieldKind.TEXT
    )
    required = models.BooleanField(_("required"), default=False)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    choices_en = models.JSONField(
        _("choices (English)"),
        default=list,
        blank=True,
        help_text=_("The English labels of the choices, in the same order."),
    )
    help = models.CharField(_("help"), max_length=500, blank=True)
    help_en = models.CharField(_("help (English)"), max_length=500, blank=True)

    TRANSLATED_FIELDS = ("label", "help", "choices")

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "key"], name="uniq_form_field_key")
        ]
        verbose_name = _("form field")
        verbose_name_plural = _("form fields")

    def __str__(self) -> str:
        return self.label

    def display_choices(self) -> list[tuple[str, str]]:
        """(stored value, label in the reader's language) pairs of a choice field."""
        return localized_choices(self)

    def display_value(self, value: object) -> str:
        """A stored answer as the reader reads it: a choice's label in their language."""
        if value in (None, ""):
            return ""
        return dict(self.display_choices()).get(str(value), str(value))


class Fee(models.Model):
    """An item of the fee schedule, in whole VND (phí, lệ phí)."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="fees")
    order = models.PositiveIntegerField(_("order"), default=0)
    name = models.CharField(_("name"), max_length=255)
    name_en = models.CharField(_("name (English)"), max_length=255, blank=True)
    amount = models.PositiveBigIntegerField(_("amount (VND)"), default=0)

    TRANSLATED_FIELDS = ("name",)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("fee")
        verbose_name_plural = _("fees")

    def __str__(self) -> str:
        return f"{self.name}: {self.amount}"


class ProcessStep(models.Model):
    """One step of an internal process (quy trình nội bộ): who acts, for how long, and what the
    step may do. A procedure's own steps (`procedure` set) or, when it has none, its agency's
    default process (`agency` set) apply; the selector `process_for` picks one."""

    procedure = models.ForeignKey(
        Procedure,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="process_steps",
        verbose_name=_("procedure"),
    )
    agency = models.ForeignKey(
        Agency,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="default_process_steps",
        verbose_name=_("agency (default process)"),
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    unit_kind = models.CharField(_("unit kind"), max_length=12, choices=UnitKind)
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="process_steps",
        verbose_name=_("unit"),
        help_text=_("Leave empty to let any unit of this kind act."),
    )
    role = models.CharField(_("acting role"), max_length=16, choices=StaffRole)
    duration = models.PositiveIntegerField(_("duration"))
    duration_unit = models.CharField(
        _("duration unit"), max_length=8, choices=DurationUnit, default=DurationUnit.WORKING_DAYS
    )
    may_request_supplement = models.BooleanField(_("may request a supplement"), default=False)
    may_issue_fee_notice = models.BooleanField(_("may issue a fee notice"), default=False)
    drafts_result = models.BooleanField(_("drafts the result"), default=False)
    approves = models.BooleanField(_("approves"), default=False)
    is_sample = models.BooleanField(_("sample data"), default=False)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(procedure__isnull=False, agency__isnull=True)
                | Q(procedure__isnull=True, agency__isnull=False),
                name="process_step_procedure_or_agency",
                violation_error_message=_(
                    "A process step belongs either to a procedure or to an agency's default "
                    "process."
                ),
            ),
            models.CheckConstraint(
                condition=Q(duration__gt=0), name="process_step_duration_positive"
            ),
        ]
        verbose_name = _("process step")
        verbose_name_plural = _("internal process")

    def __str__(self) -> str:
        return f"{self.order}. {self.get_unit_kind_display()} — {self.get_role_display()}"

    @property
    def working_hours(self) -> int:
        """The step's duration in working hours (a working day counts 8)."""
        if self.duration_unit == DurationUnit.WORKING_DAYS:
            return self.duration * WORKING_HOURS_PER_DAY
        return self.duration

    def clean(self) -> None:
        """A chosen unit must be of the step's kind and, for a procedure, of its agency."""
        super().clean()
        unit = self.unit
        if unit is None:
            return
        if unit.kind != self.unit_kind:
            raise ValidationError({"unit": _("The unit is not of the step's unit kind.")})
        agency_id = self.procedure.agency_id if self.procedure is not None else self.agency_id
        if agency_id is not None and unit.agency_id != agency_id:
            raise ValidationError({"unit": _("The unit belongs to another agency.")})


def process_hours(steps) -> int:
    """The working hours a list of process steps adds up to."""
    return sum(step.working_hours for step in steps)
