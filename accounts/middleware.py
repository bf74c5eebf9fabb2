"""Staff must have a second factor (TOTP) before they can use the admin."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from allauth.mfa.utils import is_mfa_enabled


class StaffMFARequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            settings.STAFF_MFA_REQUIRED
            and request.path.startswith("/admin/")
            and user is not None
            and user.is_authenticated
            and user.is_staff
            and not _mfa_enabled(user)
        ):
            messages.warning(
                request,
                _("Staff accounts must turn on two-factor authentication to use the admin."),
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)


def _mfa_enabled(user) -> bool:
    """Whether the staff user has a second factor, as the cached signed-in user knows it
    (accounts/backends.py), else from the database."""
    known = getattr(user, "cached_mfa_enabled", None)
    return is_mfa_enabled(user) if known is None else known
