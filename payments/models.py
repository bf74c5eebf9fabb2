"""Fee notices (thông báo phí, lệ phí), payments and the gateway notification log."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from core.numbers import vnd
from dossiers.models import Dossier

from .constants import PAYMENT_STATUS_CSS, PaymentMethod, PaymentStatus


class FeeNotice(models.Model):
    """A fee notice staff issue for a dossier: what is owed, item by item, in whole VND."""

    dossier = models.ForeignKey(
        Dossier, on_delete=models.PROTECT, related_name="fee_notices", verbose_name=_("dossier")
    )
    total = models.PositiveBigIntegerField(_("total (VND)"))
    note = models.TextField(_("note for the applicant"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("issued by"),
    )
    created_at = models.DateTimeField(_("issued"), auto_now_add=True)
    # Set once, under the notice's row lock, by the first confirmed payment.
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("fee notice")
        verbose_name_plural = _("fee notices")

    def __str__(self) -> str:
        return _("Fee notice for %(dossier)s") % {"dossier": self.dossier}

    @property
    def is_paid(self) -> bool:
        return self.paid_at is not None


class FeeNoticeItem(models.Model):
    """One line of a fee notice, copied from the fee schedule and possibly edited by staff."""

    fee_notice = models.ForeignKey(FeeNotice, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveIntegerField(_("order"), default=0)
    name = models.CharField(_("item"), max_length=255)
    # The fee schedule's English name, when the item keeps the schedule's Vietnamese one
    # (procedures/i18n.py reads it for English readers).
    name_en = models.CharField(_("item (English)"), max_length=255, blank=True, editable=False)
    amount = models.PositiveBigIntegerField(_("amount (VND)"))

    TRANSLATED_FIELDS = ("name",)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("fee item")
        verbose_name_plural = _("fee items")

    def __str__(self) -> str:
        return f"{self.name}: {vnd(self.amount)}"


def receipt_upload_to(instance: "Payment", filename: str) -> str:
    """Stored under a random name: the applicant's file name is never part of a path."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"payments/receipts/{uuid.uuid4().hex}.{ext}"


def confirmation_upload_to(instance: "Payment", filename: str) -> str:
    return f"payments/confirmations/{uuid.uuid4().hex}.pdf"


class PaymentQuerySet(models.QuerySet):
    def for_citizen(self, user) -> "PaymentQuerySet":
        return self.filter(fee_notice__dossier__applicant=user)

    def for_staff(self, user) -> "PaymentQuerySet":
        return self.filter(fee_notice__dossier__in=Dossier.objects.for_staff(user))


class Payment(models.Model):
    """One way of paying a fee notice: an offline receipt checked by staff or an online attempt.

    Only `payments.services` change the status. A rejected receipt or a failed online attempt is
    kept as it is; paying again creates a new payment for the same notice.
    """

    fee_notice = models.ForeignKey(
        FeeNotice, on_delete=models.PROTECT, related_name="payments", verbose_name=_("fee notice")
    )
    method = models.CharField(_("method"), max_length=10, choices=PaymentMethod, blank=True)
    provider = models.CharField(_("gateway"), max_length=40, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=PaymentStatus, default=PaymentStatus.PENDING
    )
    amount = models.PositiveBigIntegerField(_("amount (VND)"))
    # The order reference sent to the gateway (vnp_TxnRef); also the offline reference.
    txn_ref = models.CharField(_("order reference"), max_length=40, unique=True)
    # The gateway's own transaction number (vnp_TransactionNo).
    provider_reference = models.CharField(
        _("gateway transaction number"), max_length=64, blank=True
    )
    bank_code = models.CharField(_("bank"), max_length=20, blank=True)
    response_code = models.CharField(_("gateway response code"), max_length=8, blank=True)
    initiated_at = models.DateTimeField(_("started"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    flagged_for_review = models.BooleanField(_("needs staff review"), default=False)
    flag_reason = models.TextField(_("review reason"), blank=True)

    # Offline: the photo or scan of the payment document.
    receipt_file = models.FileField(
        _("payment receipt"), upload_to=receipt_upload_to, max_length=255, blank=True
    )
    receipt_name = models.CharField(_("file name"), max_length=255, blank=True)
    receipt_size = models.PositiveBigIntegerField(_("size (bytes)"), null=True, blank=True)
    receipt_sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    receipt_content_type = models.CharField(_("content type"), max_length=100, blank=True)
    receipt_uploaded_at = models.DateTimeField(_("receipt uploaded"), null=True, blank=True)
    reject_reason = models.TextField(_("rejection reason"), blank=True)

    # The payment confirmation (biên nhận thanh toán), rendered once after confirmation.
    confirmation_pdf = models.FileField(
        _("payment confirmation"), upload_to=confirmation_upload_to, max_length=255, blank=True
    )

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One gateway transaction can confirm one payment only, however often it is reported.
            models.UniqueConstraint(
                fields=["provider", "provider_reference"],
                condition=~Q(provider_reference=""),
                name="uniq_payment_provider_reference",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "expires_at"]),
            models.Index(fields=["fee_notice", "status"]),
            models.Index(fields=["flagged_for_review", "status"]),
        ]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self) -> str:
        return self.txn_ref

    @property
    def status_css(self) -> str:
        return PAYMENT_STATUS_CSS.get(self.status, "")

    @property
    def is_confirmed(self) -> bool:
        return self.status == PaymentStatus.CONFIRMED


class PaymentNotification(models.Model):
    """Append-only log of every server-to-server notification (IPN) the gateway sent."""

    provider = models.CharField(_("gateway"), max_length=40)
    payment = models.ForeignKey(
        Payment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("payment"),
    )
    received_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)
    params = models.JSONField(_("parameters"), default=dict)
    params_omitted = models.PositiveIntegerField(
        _("parameters left out"),
        default=0,
        help_text=_("Parameters beyond what the log keeps of one notification."),
    )
    remote_addr = models.CharField(_("from address"), max_length=64, blank=True)
    result_code = models.CharField(_("our answer"), max_length=4)
    result_message = models.CharField(_("message"), max_length=100, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("gateway notification")
        verbose_name_plural = _("gateway notifications")

    def __str__(self) -> str:
        when = formats.date_format(timezone.localtime(self.received_at), "SHORT_DATETIME_FORMAT")
        return f"{self.provider} {when} → {self.result_code}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Gateway notifications are append-only.")
        super().save(*args, **kwargs)


__all__ = [
    "FeeNotice",
    "FeeNoticeItem",
    "Payment",
    "PaymentNotification",
]
