"""What the portal issued: one row per document, the identity its QR code carries."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from .constants import DocumentKind


class IssuedDocument(models.Model):
    """A document the portal issued (văn bản đã phát hành): a result or a slip.

    `reference` is the identity printed in the QR code (`/verify/<reference>/`); `sha256` is the
    hash of the exact bytes handed out (signed, or unsigned when signing is off), so the
    verification page can tell whether an uploaded file is one the portal issued. Nothing
    personal is kept here besides the dossier code.
    """

    reference = models.UUIDField(_("reference"), unique=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=32, choices=DocumentKind.choices)
    dossier_code = models.CharField(_("dossier code"), max_length=32, db_index=True)
    # Null until the file exists (unique ignores NULLs).
    sha256 = models.CharField(
        _("SHA-256"), max_length=64, unique=True, null=True, blank=True, db_index=True
    )
    # What it was issued for ("receipt:<dossier id>", "supplement:<request id>"…): a second
    # issue under the same key returns the first document.
    issue_key = models.CharField(
        _("issued for"), max_length=100, unique=True, null=True, blank=True, editable=False
    )
    signed = models.BooleanField(_("signed"), default=False)
    signer_name = models.CharField(_("signer name"), max_length=200, blank=True)
    signer_title = models.CharField(_("signer title"), max_length=200, blank=True)
    organisation = models.CharField(_("organisation"), max_length=255)
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    # Private storage, like the dossier files: reached only through permission-checked views.
    file = models.FileField(_("file"), upload_to="issued/%Y/%m/", max_length=255, blank=True)

    class Meta:
        verbose_name = _("issued document")
        verbose_name_plural = _("issued documents")
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.dossier_code} ({self.reference})"
