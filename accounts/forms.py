from django import forms
from django.utils.translation import gettext_lazy as _

from .constants import ApplicantType
from .models import User


class SignupForm(forms.Form):
    """Extra fields on allauth's sign-up form (Đăng ký tài khoản)."""

    full_name = forms.CharField(label=_("Full name"), max_length=150)
    applicant_type = forms.ChoiceField(label=_("You register as"), choices=ApplicantType.choices)

    def signup(self, request, user: User) -> None:
        user.full_name = self.cleaned_data["full_name"]
        user.applicant_type = self.cleaned_data["applicant_type"]
        user.save(update_fields=["full_name", "applicant_type"])


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = [
            "full_name",
            "applicant_type",
            "phone",
            "date_of_birth",
            "citizen_id",
            "address",
            "organisation_name",
            "tax_code",
            "language",
        ]
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "language": forms.Select(choices=[("vi", "Tiếng Việt"), ("en", "English")]),
        }

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("applicant_type") == "organisation" and not data.get("organisation_name"):
            self.add_error("organisation_name", _("An organisation needs its name."))
        return data
