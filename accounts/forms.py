from django import forms
from django.contrib.auth import password_validation
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


class StaffInvitationForm(forms.Form):
    """The one flow in which a new officer claims the account: a password and the first code of
    the authenticator app, both or nothing (accounts.services.staff_invitation_accept)."""

    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters, not only digits, not a common password."),
    )
    password2 = forms.CharField(
        label=_("Password (again)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    code = forms.CharField(
        label=_("Code from the authenticator app"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text=_("The 6 digits the app shows after you scanned the QR code."),
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password2(self) -> str:
        first, second = self.cleaned_data.get("password1"), self.cleaned_data["password2"]
        if first and first != second:
            raise forms.ValidationError(_("The two passwords differ."))
        password_validation.validate_password(second, self.user)
        return second

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split())


class StaffCreationForm(forms.ModelForm):
    """The admin's "add user": a staff account without a password. The officer claims it
    through the emailed invitation (accounts.services.staff_invitation_send)."""

    class Meta:
        model = User
        fields = ["email", "full_name", "language"]
        widgets = {"language": forms.Select(choices=[("vi", "Tiếng Việt"), ("en", "English")])}
        help_texts = {"language": _("The language of the invitation email and of later emails.")}

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this email address already exists."))
        return email
