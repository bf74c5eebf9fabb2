"""Fee notices in the admin: issued once through the service, then read-only with their payments."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import MissingObject404Mixin
from core.numbers import vnd
from dossiers.admin import DossierChoiceField, dossier_choice_label
from dossiers.models import Dossier

from .. import policy, services
from ..forms import FeeNoticeAdminForm, FeeNoticeItemFormSet
from ..models import FeeNotice, FeeNoticeItem, Payment
from .common import STEP_REFUSALS, AmountDisplay


def _fee_schedule(request) -> list[dict]:
    """The fee schedule of the dossier named in `?dossier=`, if this staff member sees it."""
    if not hasattr(request, "_payments_fee_schedule"):
        schedule: list[dict] = []
        dossier_id = request.GET.get("dossier", "")
        if dossier_id.isdigit():
            dossier = (
                Dossier.objects.for_staff(request.user)
                .select_related("procedure")
                .filter(pk=int(dossier_id))
                .first()
            )
            if dossier is not None:
                schedule = [
                    {"name": fee.name, "amount": fee.amount} for fee in dossier.procedure.fees.all()
                ]
        request._payments_fee_schedule = schedule
    return request._payments_fee_schedule


class FeeNoticeItemForm(forms.ModelForm):
    class Meta:
        model = FeeNoticeItem
        fields = ["name", "amount"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A tabular inline shows labels only as column headers: name each input for screen readers.
        for field in self.fields.values():
            field.widget.attrs.setdefault("aria-label", str(field.label))

    def has_changed(self) -> bool:
        # A row prefilled from the fee schedule counts even when staff leave it as it is.
        return bool(self.initial) or super().has_changed()


class FeeNoticeItemInline(AmountDisplay, admin.TabularInline):
    model = FeeNoticeItem
    form = FeeNoticeItemForm
    formset = FeeNoticeItemFormSet
    fields = ["name", "amount"]
    readonly_fields = ["amount_vnd"]
    min_num = 0

    def get_fields(self, request, obj=None):
        # Issued items are read-only: their amounts are shown grouped by thousands.
        return self.fields if obj is None else ["name", "amount_vnd"]

    def get_extra(self, request, obj=None, **kwargs):
        if obj is not None:
            return 0
        return max(1, len(_fee_schedule(request)))

    # Items belong to their notice: whoever may issue a notice may write its items, once.
    def has_add_permission(self, request, obj=None):
        return obj is None and policy.may_handle(request.user, "fee_notice_issue")

    def has_change_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("payments.view_feenotice") or policy.may_handle(
            request.user, "fee_notice_issue"
        )


PAYMENT_INLINE_FIELDS = (
    "txn_ref_link",
    "method",
    "status",
    "amount_vnd",
    "flagged_for_review",
    "created_at",
)


class PaymentInline(AmountDisplay, admin.TabularInline):
    model = Payment
    fields = PAYMENT_INLINE_FIELDS
    readonly_fields = PAYMENT_INLINE_FIELDS
    extra = 0
    can_delete = False
    show_change_link = False

    @admin.display(description=_("order reference"))
    def txn_ref_link(self, obj):
        url = reverse("admin:payments_payment_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.txn_ref)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(FeeNotice)
class FeeNoticeAdmin(MissingObject404Mixin, admin.ModelAdmin):
    form = FeeNoticeAdminForm
    list_display = ["dossier", "total_vnd", "created_by", "created_at", "paid_at"]
    list_filter = [("paid_at", admin.EmptyFieldListFilter)]
    search_fields = ["dossier__code", "dossier__applicant_name"]
    # Searched among the officer's agency's dossiers only (DossierAdmin.get_queryset), shown
    # by code and applicant: a raw id field would print any agency's dossier code.
    autocomplete_fields = ["dossier"]
    readonly_fields = ["dossier_summary", "total_vnd", "created_by", "created_at", "paid_at"]
    list_select_related = ["dossier", "created_by"]
    date_hierarchy = "created_at"

    def get_inlines(self, request, obj):
        return [PaymentInline, FeeNoticeItemInline] if obj is not None else [FeeNoticeItemInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(dossier__in=Dossier.objects.for_staff(request.user))
        )

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["dossier", "note"]
        return ["dossier_summary", "note", "total_vnd", "created_by", "created_at", "paid_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["dossier_summary", "note", "total_vnd", "created_by", "created_at", "paid_at"]

    @admin.display(description=_("dossier"))
    def dossier_summary(self, obj: FeeNotice) -> str:
        url = reverse("admin:dossiers_dossier_change", args=[obj.dossier_id])
        return format_html('<a href="{}">{}</a>', url, dossier_choice_label(obj.dossier))

    @admin.display(description=_("Total"), ordering="total")
    def total_vnd(self, obj):
        return vnd(obj.total)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "dossier":
            # Only this officer's agency's dossiers; the form then says which are not payable.
            kwargs["queryset"] = Dossier.objects.for_staff(request.user)
            kwargs["form_class"] = DossierChoiceField
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, FeeNoticeItemInline) and obj.pk is None and request.method == "GET":
            kwargs["initial"] = _fee_schedule(request)
        return kwargs

    def has_add_permission(self, request):
        return policy.may_handle(request.user, "fee_notice_issue")

    def has_change_permission(self, request, obj=None):
        # An issued notice is a record: it is never edited (issue a new one instead).
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except STEP_REFUSALS as exc:
            # The whole add was rolled back; show why and the form again. The service recorded
            # its refusal; one raised before it ran is recorded here.
            if not services.was_recorded(exc):
                services.payment_audit(
                    action="fee_notice_issue",
                    obj=None,
                    actor=request.user,
                    succeeded=False,
                    message=str(exc),
                    request=request,
                    changes={"dossier": request.POST.get("dossier", "")},
                )
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        """Nothing here: the service creates the notice with its items in `save_related`."""

    def save_related(self, request, form, formsets, change):
        items = []
        for formset in formsets:
            for item_form in formset.forms:
                data = item_form.cleaned_data
                if data and not data.get("DELETE") and data.get("name"):
                    items.append((data["name"], int(data["amount"])))
        notice = services.fee_notice_issue(
            dossier_id=form.cleaned_data["dossier"].pk,
            items=items,
            actor=request.user,
            note=form.cleaned_data.get("note", ""),
            request=request,
        )
        # The admin logs and redirects with the object it built: make it the issued notice.
        form.instance.pk = notice.pk
        form.instance.total = notice.total
        form.instance.created_at = notice.created_at
        form.instance.created_by = notice.created_by

    def construct_change_message(self, request, form, formsets, add=False):
        """The admin history of an issued notice names the items the service wrote: the item
        formsets saved nothing themselves."""
        if not add:
            return super().construct_change_message(request, form, formsets, add)
        with translation.override(None):
            return [{"added": {}}] + [
                {"added": {"name": str(item._meta.verbose_name), "object": str(item)}}
                for item in form.instance.items.all()
            ]

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(
            request,
            _("Fee notice issued: the dossier now awaits payment and the applicant was told."),
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:payments_feenotice_change", args=[obj.pk]))
