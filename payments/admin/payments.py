"""Payments in the admin: receipts checked, held payments confirmed after review, the IPN log."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import MissingObject404Mixin, take_admin_step

from .. import policy, services
from ..constants import PaymentMethod, PaymentStatus
from ..forms import RejectReceiptForm
from ..models import Payment, PaymentNotification
from .common import STEP_REFUSALS, AmountDisplay

NOTIFICATION_INLINE_FIELDS = (
    "received_at",
    "result_code",
    "result_message",
    "remote_addr",
    "params",
    "params_omitted",
)


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

    def has_change_permission(self, request, obj=None):
        # The staff steps on a payment (its only changes): the access policy's permission.
        return policy.may_handle(request.user, "payment_receipt_confirm")

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

    def _confirm_view(self, request, object_id, *, confirm, done, title, question):
        """A confirmation page; on POST, the service `confirm` takes the step (and audits it)."""
        payment = self._payment_or_404(request, object_id, act=True)
        if request.method == "POST":
            take_admin_step(
                request,
                lambda: confirm(payment_id=payment.pk, actor=request.user, request=request),
                done=done,
                refused=STEP_REFUSALS,
            )
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
            confirm=services.payment_confirm_reviewed,
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
            take_admin_step(
                request,
                lambda: services.payment_receipt_reject(
                    payment_id=payment.pk,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    request=request,
                ),
                done=_("Receipt rejected: the applicant was told the reason."),
                refused=STEP_REFUSALS,
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
                result = services.payment_receipt_confirm(
                    payment_id=payment.pk, actor=request.user, request=request
                )
            except STEP_REFUSALS as exc:  # recorded by the service
                self.message_user(request, f"{payment.txn_ref}: {exc}", messages.ERROR)
            else:
                done += result.changed
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
