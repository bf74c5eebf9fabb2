"""Staff must have a second factor (TOTP) before any page shows them agency data.

The rule is deny by default: a signed-in staff member or superuser without an active TOTP
authenticator reaches only the pages named in `STAFF_SECOND_FACTOR_EXEMPT_VIEWS` (the public
catalogue, lookup and statistics, the language switch, the health check, the staff invitation)
and allauth's own account pages (sign-in, sign-out, re-authentication, the TOTP enrolment
itself). Every other page — the admin, and the citizen pages that also serve staff (a dossier's
files, result and slips, payments and receipts) — redirects to the TOTP enrolment. A page added
later is therefore guarded without anyone having to remember it.
"""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled


class StaffMFARequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if (
            not settings.STAFF_MFA_REQUIRED
            or user is None
            or not user.is_authenticated
            or not (user.is_staff or user.is_superuser)
            or second_factor_exempt(request, view_func)
            or totp_enabled(user)
        ):
            return None
        messages.warning(
            request,
            _(
                "Staff accounts must turn on two-factor authentication with an authenticator "
                "app before they can open agency pages, dossiers, files or payments."
            ),
        )
        return redirect("mfa_activate_totp")


def second_factor_exempt(request, view_func) -> bool:
    """Whether this page shows no agency data, so staff reach it before enrolling TOTP."""
    if getattr(view_func, "__module__", "").startswith("allauth."):
        return True  # the user's own account pages, the enrolment among them
    match = getattr(request, "resolver_match", None)
    return match is not None and match.view_name in settings.STAFF_SECOND_FACTOR_EXEMPT_VIEWS


def totp_enabled(user) -> bool:
    """Whether the staff user has an active TOTP authenticator, as the cached signed-in user
    knows it (accounts/backends.py), else from the database."""
    known = getattr(user, "cached_mfa_enabled", None)
    if known is None:
        return is_mfa_enabled(user, [Authenticator.Type.TOTP])
    return known
