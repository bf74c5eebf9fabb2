from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from tracking.ratelimit import rate_limited


@rate_limited(
    "admin-login", limit=lambda: settings.ADMIN_LOGIN_RATE_LIMIT, window=60, template="429.html"
)
def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin signs in through allauth, so its rate limits and the second factor apply.

    This page never authenticates (a POST is only redirected); it is limited per client too.
    """
    target = request.GET.get("next") or reverse("admin:index")
    return HttpResponseRedirect(f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': target})}")
