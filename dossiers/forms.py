"""Forms of the dossier pages (citizen) and of the staff steps in admin."""

import copy
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.constants import ApplicantType
from accounts.models import citizen_id_validator, phone_validator, tax_code_validator
from core.uploads import RESULT_FILE_TYPES, type_labels
from procedures.constants import FormFieldKind
from procedures.i18n import lang_marked, localized
from procedures.models import DossierComponent, FormField, Procedure

from .constants import (
    APPLICANT_FIELDS,
    DELIVERY_FIELDS,
    SUPPLEMENT_MAX_DAYS,
    Channel,
    DossierStatus,
    ResultDelivery,
)

DATA_PREFIX = "data_"


def declared_field(field: FormField) -> forms.Field:
    """The form field for one of the procedure's declared pieces of information, its label,
    hint and choices in the reader's language (a Vietnamese fallback marked lang="vi")."""
    common: dict[str, Any] = {
        "label": lang_marked(localized(field, "label")),
        "required": field.required,
        "help_text": lang_marked(localized(field, "help")) if field.help else "",
    }
    if field.kind == FormFieldKind.TEXTAREA:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=5000, **common)
    if field.kind == FormFieldKind.NUMBER:
        return forms.DecimalField(max_digits=20, decimal_places=4, **common)
    if field.kind == FormFieldKind.DATE:
        return forms.DateField(
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **common
        )
    if field.kind == FormFieldKind.CHOICE:
        return forms.ChoiceField(choices=[("", "—"), *field.display_choices()], **common)
    return forms.CharField(max_length=500, **common)


def _stored(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


class DossierForm(forms.Form):
    """Applicant details (pre-filled from the profile) and the procedure's declared fields.

    With `draft=True` nothing is required (a draft may be incomplete) but every value given
    must still be well-formed. Files are not part of this form: the view stores each valid
    upload at once, so a failed validation never loses one.
    """

    form_token = forms.UUIDField(widget=forms.HiddenInput)
    applicant_type = forms.ChoiceField(
        label=_("You apply as"), choices=ApplicantType.choices, widget=forms.RadioSelect
    )
    applicant_name = forms.CharField(
        label=_("Full name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    organisation_name = forms.CharField(
        label=_("Organisation name"),
        max_length=255,
        required=False,
        help_text=_("Only when you apply for an organisation."),
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    citizen_id = forms.CharField(
        label=_("Citizen ID number (CCCD)"),
        max_length=12,
        required=False,
        validators=[citizen_id_validator],
        help_text=_("12 digits. Required when you apply as an individual."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    tax_code = forms.CharField(
        label=_("Tax code"),
        max_length=14,
        required=False,
        validators=[tax_code_validator],
        help_text=_("Required when you apply for an organisation."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=20,
        validators=[phone_validator],
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    email = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    address = forms.CharField(
        label=_("Address"),
        max_length=255,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    result_delivery = forms.ChoiceField(
        label=_("How do you want to receive the result?"),
        choices=ResultDelivery.choices,
        initial=ResultDelivery.DESK,
        # Not posted (an older page, a client without it): at the desk, as before.
        required=False,
        widget=forms.RadioSelect(attrs={"data-delivery-choice": ""}),
    )
    delivery_address = forms.CharField(
        label=_("Postal address for the result"),
        max_length=255,
        required=False,
        help_text=_("Required when the result is sent by post."),
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )

    def __init__(self, *args, procedure: Procedure, draft: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.draft = draft
        self.declared: list[tuple[FormField, str]] = []
        for field in procedure.form_fields.all():
            name = DATA_PREFIX + field.key
            self.fields[name] = declared_field(field)
            self.declared.append((field, name))
        if draft:
            for name, form_field in self.fields.items():
                if name != "form_token":
                    form_field.required = False

    @property
    def applicant_fields(self):
        return [self[name] for name in APPLICANT_FIELDS]

    @property
    def data_fields(self):
        return [self[name] for _field, name in self.declared]

    def clean(self):
        data = super().clean() or {}
        kind = data.get("applicant_type") or ApplicantType.PERSON
        data["applicant_type"] = kind
        data["result_delivery"] = data.get("result_delivery") or ResultDelivery.DESK
        if not self.draft:
            if data["result_delivery"] == ResultDelivery.POST and not data.get("delivery_address"):
                self.add_error(
                    "delivery_address",
                    _(
                        "Enter the postal address the result should be sent to, or choose another way to receive it."
                    ),
                )
            missing_id = not data.get("citizen_id") and "citizen_id" not in self.errors
            if kind == ApplicantType.PERSON and missing_id:
                self.add_error("citizen_id", _("Enter your citizen ID number (12 digits)."))
            if kind == ApplicantType.ORGANISATION:
                if not data.get("organisation_name"):
                    self.add_error("organisation_name", _("An organisation needs its name."))
                if not data.get("tax_code") and "tax_code" not in self.errors:
                    self.add_error("tax_code", _("Enter the organisation's tax code."))
        return data

    def applicant(self) -> dict:
        """The applicant details to store, after validation: a field with an error is left out
        (the draft keeps what it had), so a form with errors still gives its valid answers."""
        return {
            name: (self.cleaned_data.get(name) or "")
            if name != "applicant_type"
            else self.cleaned_data["applicant_type"]
            for name in APPLICANT_FIELDS
            if name not in self.errors
        }

    def delivery(self) -> dict:
        """How the applicant wants the result, to store after validation (a field with an
        error is left out, as in `applicant`)."""
        return {
            name: self.cleaned_data.get(name) or ""
            for name in DELIVERY_FIELDS
            if name not in self.errors
        }

    def declared_data(self, previous: dict | None = None) -> dict:
        """The answers to the procedure's fields to store, after validation; a field with an
        error keeps its `previous` answer."""
        previous = previous or {}
        return {
            field.key: previous.get(field.key, "")
            if name in self.errors
            else _stored(self.cleaned_data.get(name))
            for field, name in self.declared
        }

    @staticmethod
    def initial_for(dossier_or_profile: dict, data: dict, token) -> dict:
        initial = {"form_token": token, **dossier_or_profile}
        # The postal address for the result starts as the applicant's own address.
        initial["delivery_address"] = initial.get("delivery_address") or initial.get("address", "")
        for key, value in (data or {}).items():
            initial[DATA_PREFIX + key] = value
        return initial


class SupplementForm(forms.Form):
    """The applicant's answer to a supplement request: only the information it names.

    Each requested applicant detail or declared field appears with the dossier form's own
    field (same name, label and checks), pre-filled with the current value; nothing else is in
    the form, so nothing else can be posted into the dossier. With `draft=True` (saving without
    sending) nothing is required, but every value given must still be well-formed. Files are
    not part of this form: the view stores each upload at once.
    """

    def __init__(self, *args, dossier, supplement, draft: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.dossier = dossier
        self.draft = draft
        declared = {f.key: f for f in dossier.procedure.form_fields.all()}
        # (key in the request, form field name, is a declared field)
        self.requested: list[tuple[str, str, bool]] = []
        for key in supplement.fields:
            if key in APPLICANT_LABELS:
                name, field, is_declared = key, copy.deepcopy(DossierForm.base_fields[key]), False
            elif key in declared:
                name, field, is_declared = DATA_PREFIX + key, declared_field(declared[key]), True
            else:
                continue
            if draft:
                field.required = False
            self.fields[name] = field
            self.requested.append((key, name, is_declared))

    @classmethod
    def initial_for(cls, dossier) -> dict:
        data = dossier.data or {}
        initial = {name: getattr(dossier, name) for name in APPLICANT_LABELS}
        initial |= {DATA_PREFIX + key: value for key, value in data.items()}
        return initial

    def clean(self):
        data = super().clean() or {}
        if self.draft:
            return data
        kind = self.dossier.applicant_type
        needed = []
        if kind == ApplicantType.PERSON:
            needed.append(("citizen_id", _("Enter your citizen ID number (12 digits).")))
        if kind == ApplicantType.ORGANISATION:
            needed += [
                ("organisation_name", _("An organisation needs its name.")),
                ("tax_code", _("Enter the organisation's tax code.")),
            ]
        for name, message in needed:
            if name in self.fields and not data.get(name) and name not in self.errors:
                self.add_error(name, message)
        return data

    def values(self) -> dict:
        """The corrected values by request key, stored as the dossier form stores them."""
        values = {}
        for key, name, is_declared in self.requested:
            value = self.cleaned_data.get(name)
            values[key] = _stored(value) if is_declared else (value or "")
        return values


class StepForm(forms.Form):
    """What every staff step posts: the status the officer saw (two officers cannot both win)."""

    expected_status = forms.ChoiceField(choices=DossierStatus.choices, widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Note to the applicant (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SupplementRequestForm(StepForm):
    note = None  # type: ignore[assignment]
    message = forms.CharField(
        label=_("What must be supplemented, and why"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("The applicant reads this, and it is printed on the supplement request slip."),
    )
    components = forms.ModelMultipleChoiceField(
        label=_("Files to replace or add"),
        queryset=DossierComponent.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    info_fields = forms.MultipleChoiceField(
        label=_("Information to correct"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    deadline_days = forms.IntegerField(
        label=_("Deadline (working days)"),
        min_value=1,
        max_value=SUPPLEMENT_MAX_DAYS,
        initial=10,
    )

    takes_dossier = True

    def __init__(self, *args, dossier, **kwargs):
        super().__init__(*args, **kwargs)
        components = cast(forms.ModelMultipleChoiceField, self.fields["components"])
        components.queryset = dossier.procedure.components.all()
        applicant = [(name, DossierForm.base_fields[name].label) for name in APPLICANT_LABELS]
        declared = [(f.key, f.label) for f in dossier.procedure.form_fields.all()]
        cast(forms.MultipleChoiceField, self.fields["info_fields"]).choices = applicant + declared


APPLICANT_LABELS = (
    "applicant_name",
    "organisation_name",
    "citizen_id",
    "tax_code",
    "phone",
    "email",
    "address",
)


class ApproveForm(StepForm):
    result_file = forms.FileField(label=_("Result document"))
    note = forms.CharField(
        label=_("Note to the applicant (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    takes_dossier = True

    def __init__(self, *args, dossier=None, **kwargs):
        super().__init__(*args, **kwargs)
        types = _("Accepted types: %(types)s.") % {"types": type_labels(RESULT_FILE_TYPES)}
        self.fields["result_file"].help_text = types
        if dossier is not None and dossier.draft_file:
            # The leader approves the draft the specialist wrote and the unit head reviewed.
            self.fields["result_file"].required = False
            self.fields["result_file"].help_text = format_lazy(
                "{} {}",
                _("Leave empty to approve the draft “%(name)s”.") % {"name": dossier.draft_name},
                types,
            )


class ProcessStepForm(forms.Form):
    """What every step of the internal process posts: the step the officer saw (a stale screen
    is refused)."""

    expected_step = forms.IntegerField(required=False, widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Note for the next step (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AssignForm(ProcessStepForm):
    note = None  # type: ignore[assignment]
    assignee: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Specialist"), queryset=None)
    takes_dossier = True

    def __init__(self, *args, dossier=None, **kwargs):
        from procedures.models import UnitMembership

        super().__init__(*args, **kwargs)
        step = dossier.current_step if dossier is not None else None
        people = get_user_model().objects.none()
        if step is not None:
            members = UnitMembership.objects.filter(unit_id=step.unit_id, role=step.role)
            people = (
                get_user_model()
                .objects.filter(pk__in=members.values("user_id"), is_active=True)
                .order_by("full_name")
            )
        field = cast(forms.ModelChoiceField, self.fields["assignee"])
        field.queryset = people
        field.label_from_instance = lambda u: u.full_name or u.email  # type: ignore[assignment,method-assign]


class DraftForm(ProcessStepForm):
    draft_file = forms.FileField(label=_("Draft result"))
    note = forms.CharField(
        label=_("Note for the reviewer (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["draft_file"].help_text = _("Accepted types: %(types)s.") % {
            "types": type_labels(RESULT_FILE_TYPES)
        }


class SendBackForm(ProcessStepForm):
    note = None  # type: ignore[assignment]
    reason = forms.CharField(label=_("Why it goes back"), widget=forms.Textarea(attrs={"rows": 4}))


class RejectForm(StepForm):
    note = None  # type: ignore[assignment]
    reason = forms.CharField(
        label=_("Reason for the rejection"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("The applicant reads it; it is printed on the rejection slip."),
    )


class CounterIntakeForm(DossierForm):
    """The desk's registration of a dossier brought in person or sent by post: the applicant
    details, the procedure's declared fields and one scanned file per paper component."""

    channel = forms.ChoiceField(
        label=_("Received"),
        choices=[(Channel.COUNTER, Channel.COUNTER.label), (Channel.POST, Channel.POST.label)],
        initial=Channel.COUNTER,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note to the applicant"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, procedure: Procedure, **kwargs):
        super().__init__(*args, procedure=procedure, **kwargs)
        self.fields["applicant_type"].label = _("Applies as")
        self.components: list[tuple[DossierComponent, str]] = []
        for component in procedure.components.all():
            name = f"file_{component.pk}"
            self.fields[name] = forms.FileField(
                label=component.name,
                required=component.required,
                help_text=_("Scanned copy: %(types)s, at most %(size)s MB.")
                % {"types": type_labels(component.file_types), "size": component.max_size_mb},
            )
            self.components.append((component, name))

    def files_by_component(self) -> dict[int, list]:
        """The scanned files to store, by component id, after validation."""
        return {
            component.pk: [self.cleaned_data[name]]
            for component, name in self.components
            if self.cleaned_data.get(name)
        }


class ReturnForm(StepForm):
    """The desk hands the result over: how it was delivered and, by post, the tracking number."""

    delivered_via = forms.ChoiceField(
        label=_("How the result was delivered"),
        choices=ResultDelivery.choices,
        # Not posted: the way the applicant chose (the service decides).
        required=False,
        widget=forms.RadioSelect,
    )
    waybill_number = forms.CharField(
        label=_("Postal tracking number"),
        max_length=64,
        required=False,
        help_text=_("Required when the result is sent by post; the applicant sees it."),
    )

    def clean(self):
        data = super().clean() or {}
        data["waybill_number"] = (data.get("waybill_number") or "").strip()
        if data.get("delivered_via") == ResultDelivery.POST and not data["waybill_number"]:
            self.add_error(
                "waybill_number",
                _("Enter the postal tracking number of the result sent by post."),
            )
        return data
