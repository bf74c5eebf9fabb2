"""Staff work on fees in the admin: issue a fee notice, check receipts, review payments.

Every step is a button or action that calls a service; statuses are never edited directly.
Staff see only their own agency's notices and payments (others: 404).
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin_audit import MissingObject404Mixin
from accounts.services import audit_record
from core.numbers import vnd
from dossiers.admin import DossierChoiceField, dossier_choice_label
from dossiers.models import Dossier
from dossiers.services import DossierError

from . import services
from .constants import PaymentMethod, PaymentStatus
from .forms import FeeNoticeAdminForm, FeeNoticeItemFormSet, RejectReceiptForm
from .models import FeeNotice, FeeNoticeItem, Payment, PaymentNotification


def _audit(request, action: str, obj, *, succeeded=True, message="", **changes):
    """The staff audit log (accounts.AuditEntry): each attempt, done or refused. Refusals are
    recorded after the service's transaction rolled back, so they stay."""
    if isinstance(obj, Payment):
        now = Payment.objects.filter(pk=obj.pk).values_list("status", flat=True).first()
        changes["status"] = [obj.status, now]  # as the officer saw it, and now
    audit_record(
        actor=request.user,
        action=action,
        obj=obj,
        changes=changes,
        succeeded=succeeded,
        message=str(message),
        request=request,
    )


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


class AmountDisplay:
    """`amount_vnd`: an amount with the reader's thousands separators ("150.000 đ")."""

    @admin.display(description=_("Amount"), ordering="amount")
    def amount_vnd(self, obj) -> str:
        return vnd(obj.amount)


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
        return obj is None and request.user.has_perm("payments.add_feenotice")

    def has_change_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("payments.view_feenotice") or request.user.has_perm(
            "payments.add_feenotice"
        )


PAYMENT_INLINE_FIELDS = (
    "txn_ref_link",
    "method",
    "status",
    "amount_vnd",
    "flagged_for_review",
    "created_at",
)
NOTIFICATION_INLINE_FIELDS = (
    "received_at",
    "result_code",
    "result_message",
    "remote_addr",
    "params",
    "params_omitted",
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

    def has_change_permission(self, request, obj=None):
        # An issued notice is a record: it is never edited (issue a new one instead).
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (services.PaymentError, DossierError) as exc:
            # The whole add was rolled back; show why and the form again.
            dossier_id = request.POST.get("dossier", "")
            _audit(
                request, "fee_notice_issue", None, succeeded=False, message=exc, dossier=dossier_id
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
        )
        # The admin logs and redirects with the object it built: make it the issued notice.
        form.instance.pk = notice.pk
        form.instance.total = notice.total
        form.instance.created_at = notice.created_at
        form.instance.created_by = notice.created_by
        _audit(
            request,
            "fee_notice_issue",
            notice,
            dossier=notice.dossier_id,
            items=[[name, amount] for name, amount in items],
            total=notice.total,
        )

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


class PaymentNotificationInline(admin.TabularInline):
    model = PaymentNotification
    fields = NOTIFICATION_INLINE_FIELDS
    readonly_fields = NOTIFICATION_INLINE_FIELDS
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        # Part of the payment's record: whoever may see the payment sees its notifications.
        return request.user.has_perm("payments.view_payment")


@admin.register(Payment)
class PaymentAdmin(MissingObject404Mixin, AmountDisplay, admin.ModelAdmin):
    list_display = [
        "txn_ref",
        "dossier_code",
        "method",
        "provider",
        "status",
        "amount_vnd",
        "flagged_for_review",
        "created_at",
    ]
    list_filter = ["status", "method", "flagged_for_review", "provider"]
    search_fields = ["txn_ref", "provider_reference", "fee_notice__dossier__code"]
    list_select_related = ["fee_notice__dossier"]
    date_hierarchy = "created_at"
    inlines = [PaymentNotificationInline]
    actions = ["confirm_receipts"]
    change_form_template = "payments/admin/payment_change_form.html"
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "fee_notice",
                    "dossier_code",
                    "method",
                    "provider",
                    "status",
                    "amount_vnd",
                )
            },
        ),
        (
            _("Gateway"),
            {
                "fields": (
                    "txn_ref",
                    "provider_reference",
                    "bank_code",
                    "response_code",
                    "initiated_at",
                    "expires_at",
                )
            },
        ),
        (
            _("Receipt"),
            {
                "fields": (
                    "receipt_link",
                    "receipt_size",
                    "receipt_sha256",
                    "receipt_uploaded_at",
                    "reject_reason",
                )
            },
        ),
        (
            _("Outcome"),
            {"fields": ("confirmed_at", "confirmed_by", "flagged_for_review", "flag_reason")},
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        return [name for fieldset in self.fieldsets for name in fieldset[1]["fields"]]

    def get_queryset(self, request):
        return Payment.objects.for_staff(request.user).select_related("fee_notice__dossier")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("dossier code"), ordering="fee_notice__dossier__code")
    def dossier_code(self, obj):
        return obj.fee_notice.dossier.code or obj.fee_notice.dossier_id

    @admin.display(description=_("payment receipt"))
    def receipt_link(self, obj):
        if not obj.receipt_file:
            return "—"
        url = reverse("admin:payments_payment_receipt", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.receipt_name or _("download"))

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:object_id>/receipt/",
                wrap(self.receipt_view),
                name="payments_payment_receipt",
            ),
            path(
                "<int:object_id>/confirm-receipt/",
                wrap(self.confirm_receipt_view),
                name="payments_payment_confirm_receipt",
            ),
            path(
                "<int:object_id>/reject-receipt/",
                wrap(self.reject_receipt_view),
                name="payments_payment_reject_receipt",
            ),
            path(
                "<int:object_id>/confirm-reviewed/",
                wrap(self.confirm_reviewed_view),
                name="payments_payment_confirm_reviewed",
            ),
            *super().get_urls(),
        ]

    def _payment_or_404(self, request, object_id, *, act: bool) -> Payment:
        payment = self.get_queryset(request).filter(pk=object_id).first()
        if payment is None:
            raise Http404
        if act and not self.has_change_permission(request, payment):
            raise PermissionDenied
        return payment

    def change_view(self, request, object_id, form_url="", extra_context=None):
        payment = self._payment_or_404(request, object_id, act=False)
        can_act = self.has_change_permission(request, payment)
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
            "can_confirm_receipt": can_act and payment.status == PaymentStatus.RECEIPT_SUBMITTED,
            "can_confirm_reviewed": can_act
            and payment.method == PaymentMethod.ONLINE
            and payment.flagged_for_review
            and payment.status == PaymentStatus.INITIATED,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def receipt_view(self, request, object_id):
        payment = self._payment_or_404(request, object_id, act=False)
        if not payment.receipt_file:
            raise Http404
        return FileResponse(
            payment.receipt_file.open("rb"),
            as_attachment=True,
            filename=payment.receipt_name or payment.txn_ref,
            content_type=payment.receipt_content_type or "application/octet-stream",
        )

    def _action_page(self, request, payment, *, title, template, form=None, question=""):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "payment": payment,
            "title": title,
            "form": form,
            "question": question,
            "change_url": reverse("admin:payments_payment_change", args=[payment.pk]),
        }
        return TemplateResponse(request, template, context)

    def _back(self, payment):
        return HttpResponseRedirect(reverse("admin:payments_payment_change", args=[payment.pk]))

    def _confirm_view(self, request, object_id, *, confirm, action, done, title, question):
        """A confirmation page; on POST, run `confirm` and audit the attempt, done or refused."""
        payment = self._payment_or_404(request, object_id, act=True)
        if request.method == "POST":
            try:
                confirm(payment_id=payment.pk, actor=request.user)
            except (services.PaymentError, DossierError) as exc:
                _audit(request, action, payment, succeeded=False, message=exc)
                self.message_user(request, str(exc), messages.ERROR)
            else:
                _audit(request, action, payment)
                self.message_user(request, done, messages.SUCCESS)
            return self._back(payment)
        return self._action_page(
            request,
            payment,
            title=title,
            template="payments/admin/payment_action.html",
            question=question,
        )

    def confirm_receipt_view(self, request, object_id):
        return self._confirm_view(
            request,
            object_id,
            confirm=services.payment_receipt_confirm,
            action="payment_receipt_confirm",
            done=_("Payment confirmed: the dossier is back in processing."),
            title=_("Confirm the payment receipt"),
            question=_(
                "Confirm that the money for this fee notice arrived? The dossier returns to "
                "processing and the applicant is told."
            ),
        )

    def confirm_reviewed_view(self, request, object_id):
        return self._confirm_view(
            request,
            object_id,
            confirm=services.payment_confirm,
            action="payment_confirm_reviewed",
            done=_("Payment confirmed after review."),
            title=_("Confirm the payment after review"),
            question=_(
                "The gateway held this payment or reported a different amount. Confirm only "
                "when the agency's account shows the money."
            ),
        )

    def reject_receipt_view(self, request, object_id):
        payment = self._payment_or_404(request, object_id, act=True)
        form = RejectReceiptForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            reason = form.cleaned_data["reason"]
            try:
                services.payment_receipt_reject(
                    payment_id=payment.pk, actor=request.user, reason=reason
                )
            except services.PaymentError as exc:
                _audit(request, "payment_receipt_reject", payment, succeeded=False, message=exc)
                self.message_user(request, str(exc), messages.ERROR)
            else:
                _audit(request, "payment_receipt_reject", payment, message=reason)
                self.message_user(
                    request,
                    _("Receipt rejected: the applicant was told the reason."),
                    messages.SUCCESS,
                )
            return self._back(payment)
        return self._action_page(
            request,
            payment,
            title=_("Reject the payment receipt"),
            template="payments/admin/payment_action.html",
            form=form,
        )

    @admin.action(description=_("Confirm the selected payment receipts"), permissions=["change"])
    def confirm_receipts(self, request, queryset):
        done = 0
        for payment in queryset.filter(status=PaymentStatus.RECEIPT_SUBMITTED):
            try:
                if services.payment_receipt_confirm(
                    payment_id=payment.pk, actor=request.user
                ).changed:
                    done += 1
            except (services.PaymentError, DossierError) as exc:
                _audit(request, "payment_receipt_confirm", payment, succeeded=False, message=exc)
                self.message_user(request, f"{payment.txn_ref}: {exc}", messages.ERROR)
            else:
                _audit(request, "payment_receipt_confirm", payment)
        self.message_user(request, _("%(n)s payment(s) confirmed.") % {"n": done}, messages.SUCCESS)


@admin.register(PaymentNotification)
class PaymentNotificationAdmin(MissingObject404Mixin, admin.ModelAdmin):
    list_display = ["received_at", "provider", "payment", "result_code", "remote_addr"]
    list_filter = ["result_code", "provider"]
    search_fields = ["payment__txn_ref"]
    readonly_fields = [
        "received_at",
        "provider",
        "payment",
        "result_code",
        "result_message",
        "remote_addr",
        "params",
    ]
    list_select_related = ["payment"]
    date_hierarchy = "received_at"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(payment__in=Payment.objects.for_staff(request.user))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
