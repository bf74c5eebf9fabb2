"""The procedure catalogue: agencies, fields (lĩnh vực) and procedures (thủ tục hành chính)."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .constants import FormFieldKind, OriginalKind, ServiceLevel
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
