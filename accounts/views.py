import base64

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.totp.internal.auth import generate_totp_secret

from . import services
from .forms import ProfileForm, StaffInvitationForm
from .http import AuthenticatedRequest
from .models import Notification, OutgoingEmail, notifications_titled


@login_required
def me(request: AuthenticatedRequest) -> HttpResponse:
    """Trang cá nhân: the profile, the latest notifications and the way to the transactions."""
    notifications = notifications_titled(request.user.notifications.all()[:5])
    return render(request, "accounts/user_detail.html", {"notifications": notifications})


@login_required
def profile_edit(request: AuthenticatedRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile was saved."))
        return redirect("accounts:me")
    return render(request, "accounts/user_form.html", {"form": form})


@login_required
def notification_list(request: AuthenticatedRequest) -> HttpResponse:
    page = Paginator(request.user.notifications.all(), 20).get_page(request.GET.get("page"))
    page.object_list = notifications_titled(page.object_list)
    return render(request, "accounts/notification_list.html", {"page": page})


@login_required
@require_POST
def notification_read(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    try:
        notification = services.notification_mark_read(user=request.user, notification_id=pk)
    except Notification.DoesNotExist as exc:
        raise Http404 from exc
    target = notification.link
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("accounts:notifications")


def dev_outbox(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Development only: read every email the portal sent, to follow links without a mail server.

    Every email means every citizen's links (confirmation, password reset): only a signed-in
    superuser reads them. Enabled in production, `check --deploy` fails (accounts/checks.py).
    """
    if not settings.DEV_OUTBOX_ENABLED:
        raise Http404
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not request.user.is_superuser:
        raise PermissionDenied
    if pk is not None:
        email = OutgoingEmail.objects.filter(pk=pk).first()
        if email is None:
            raise Http404
        return render(request, "accounts/outgoingemail_detail.html", {"email": email})
    emails = OutgoingEmail.objects.only("id", "to", "subject", "created_at", "status")[:100]
    return render(request, "accounts/outgoingemail_list.html", {"emails": emails})


def _invitation_refused(request: HttpRequest, reason: str) -> HttpResponse:
    status = 404 if reason == "unknown" else 410
    return render(
        request, "accounts/staffinvitation_invalid.html", {"reason": reason}, status=status
    )


@never_cache
@require_http_methods(["GET", "POST"])
def staff_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """A new officer's one-time link: set the password and enrol TOTP, in one form.

    The TOTP secret stays in the session between showing the QR code and the submission, so the
    code typed proves the app holds the secret shown. Unknown link: 404; expired or used: 410.
    """
    try:
        invitation = services.staff_invitation_open(token=token)
    except services.InvitationInvalid as exc:
        return _invitation_refused(request, exc.reason)
    secret_key = f"staff_invitation_totp:{invitation.pk}"
    secret = request.session.get(secret_key) or generate_totp_secret()
    request.session[secret_key] = secret
    form = StaffInvitationForm(request.POST or None, user=invitation.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_invitation_accept(
                token=token,
                password=form.cleaned_data["password1"],
                totp_secret=secret,
                code=form.cleaned_data["code"],
            )
        except services.InvitationInvalid as exc:
            return _invitation_refused(request, exc.reason)
        except services.InvitationCodeInvalid:
            form.add_error(
                "code",
                _("This code does not match. Enter the code the authenticator app shows now."),
            )
        else:
            del request.session[secret_key]
            messages.success(
                request,
                _(
                    "Your staff account is ready. Sign in with your email address, your "
                    "password and a code from the authenticator app."
                ),
            )
            return redirect("account_login")
    adapter = get_mfa_adapter()
    svg = adapter.build_totp_svg(adapter.build_totp_url(invitation.user, secret))
    qr_code = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    return render(
        request,
        "accounts/staffinvitation_form.html",
        {"invitation": invitation, "form": form, "secret": secret, "qr_code": qr_code},
    )
