from typing import cast

from django import forms
from django.forms import BaseInlineFormSet
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dossiers.constants import DossierStatus
from dossiers.models import Dossier

from .constants import RECEIPT_FILE_TYPES, RECEIPT_MAX_SIZE_MB
from .models import FeeNotice


def _receipt_hint() -> str:
    return gettext("PDF, JPG or PNG, at most %(mb)s MB.") % {"mb": RECEIPT_MAX_SIZE_MB}


class ReceiptForm(forms.Form):
    receipt = forms.FileField(
        label=_("Photo or scan of the payment document"),
        # Lazy as a whole: `%` on a lazy string would translate it once, at import.
        help_text=lazy(_receipt_hint, str)(),
        widget=forms.ClearableFileInput(
            attrs={"accept": ",".join(f".{t}" for t in [*RECEIPT_FILE_TYPES, "jpeg"])}
        ),
    )


class OnlinePaymentForm(forms.Form):
    provider = forms.ChoiceField(widget=forms.HiddenInput)
    bank_code = forms.ChoiceField(
        label=_("Choose your bank"),
        required=False,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, providers, **kwargs):
        super().__init__(*args, **kwargs)
        provider = cast(forms.ChoiceField, self.fields["provider"])
        provider.choices = [(p.identifier, p.verbose_name) for p in providers]
        if providers:
            provider.initial = providers[0].identifier
        if len(providers) > 1:
            provider.widget = forms.RadioSelect()
            provider.label = _("Payment gateway")
        banks = providers[0].bank_choices() if providers else []
        bank_code = cast(forms.ChoiceField, self.fields["bank_code"])
        bank_code.choices = [("", _("Choose at the payment gateway")), *banks]
        bank_code.initial = ""


class RejectReceiptForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (the applicant reads it)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
    )


# --- Admin: issuing a fee notice ---------------------------------------------------------------


class FeeNoticeAdminForm(forms.ModelForm):
    class Meta:
        model = FeeNotice
        fields = ["dossier", "note"]

    def clean_dossier(self):
        dossier: Dossier = self.cleaned_data["dossier"]
        if dossier.status != DossierStatus.PROCESSING:
            raise forms.ValidationError(
                _("A fee notice can be issued only while the dossier is being processed.")
            )
        return dossier


class FeeNoticeItemFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        rows = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if not rows or sum(row.get("amount") or 0 for row in rows) <= 0:
            raise forms.ValidationError(
                _("A fee notice needs at least one item and a total above zero.")
            )
