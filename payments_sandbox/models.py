"""The sandbox bank's ledger: what the pretend gateway knows about each order it was sent."""

import uuid

from django.db import models


class SandboxTransaction(models.Model):
    """One order the sandbox gateway received from a merchant, and how the customer ended it."""

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tmn_code = models.CharField(max_length=20)
    txn_ref = models.CharField(max_length=100)
    # Exactly as received: amount ×100, dates yyyyMMddHHmmss in GMT+7.
    amount = models.CharField(max_length=20)
    order_info = models.CharField(max_length=255)
    create_date = models.CharField(max_length=14)
    expire_date = models.CharField(max_length=14, blank=True)
    return_url = models.URLField(max_length=500)
    ip_addr = models.CharField(max_length=64)
    locale = models.CharField(max_length=5, default="vn")
    bank_code = models.CharField(max_length=20, blank=True)
    card_type = models.CharField(max_length=20, blank=True)
    # Empty until the customer finishes at the bank.
    response_code = models.CharField(max_length=2, blank=True)
    transaction_status = models.CharField(max_length=2, blank=True)
    bank_tran_no = models.CharField(max_length=40, blank=True)
    pay_date = models.CharField(max_length=14, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ipn_attempts = models.PositiveIntegerField(default=0)
    ipn_last_answer = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tmn_code", "txn_ref"], name="uniq_sandbox_txn_ref")
        ]
        verbose_name = "sandbox bank transaction"

    def __str__(self) -> str:
        return f"{self.tmn_code}/{self.txn_ref}"

    @property
    def transaction_no(self) -> str:
        """The gateway's transaction number (vnp_TransactionNo): numeric, unique."""
        return str(14_000_000 + self.pk)

    @property
    def is_finished(self) -> bool:
        return bool(self.response_code)
