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
from django.views.decorators.http import require_POST

from . import services
from .forms import ProfileForm
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
