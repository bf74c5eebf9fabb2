from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.uploads import MB, sniff


def verify_max_size_mb() -> int:
    return settings.VERIFY_MAX_SIZE_MB


class VerifyForm(forms.Form):
    """The one field of the verification page: the PDF to check (never stored)."""

    document = forms.FileField(
        label=_("PDF document"),
        error_messages={
            "required": _("Choose the PDF file to check."),
            "empty": _("The file is empty."),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].help_text = _(
            "The signed PDF file exactly as you received it, up to %(mb)s MB. "
            "The file is checked and then discarded: it is not stored."
        ) % {"mb": verify_max_size_mb()}
        self.fields["document"].widget.attrs.update({"accept": ".pdf,application/pdf"})

    def clean_document(self):
        file = self.cleaned_data["document"]
        limit = verify_max_size_mb()
        if file.size > limit * MB:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB.") % {"mb": limit}, code="too_big"
            )
        if sniff(file) != "pdf":
            raise forms.ValidationError(
                _("This file is not a PDF document. Only PDF files can be checked here."),
                code="not_pdf",
            )
        return file

    def read(self) -> bytes:
        """The uploaded bytes; the upload (a temporary file on disk for a large one) is closed
        and so deleted at once."""
        file = self.cleaned_data["document"]
        try:
            file.seek(0)
            return file.read()
        finally:
            file.close()
