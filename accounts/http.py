"""The request of a view behind `login_required`, for the type checker."""

from django.http import HttpRequest

from .models import User


class AuthenticatedRequest(HttpRequest):
    """An HttpRequest whose user is signed in: `login_required` has let it through."""

    user: User
