"""Values every page needs: portal name, contacts, unread notification count."""

from django.conf import settings
from django.http import HttpRequest


def portal_identity() -> dict:
    """The portal's name and contacts: plain settings, for pages rendered without a database
    (the 503 page, portal/views.py) as for every other page."""
    return {
        "PORTAL_NAME": settings.PORTAL_NAME,
        "PORTAL_CONTACT_EMAIL": settings.PORTAL_CONTACT_EMAIL,
        "PORTAL_CONTACT_PHONE": settings.PORTAL_CONTACT_PHONE,
        "PORTAL_CONTACT_ADDRESS": settings.PORTAL_CONTACT_ADDRESS,
        "PORTAL_CONTACT_IS_SAMPLE": settings.PORTAL_CONTACT_IS_SAMPLE,
        "DEV_OUTBOX_ENABLED": settings.DEV_OUTBOX_ENABLED,
    }


def portal(request: HttpRequest) -> dict:
    unread = 0
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        # One cheap indexed COUNT; the header shows it on every page.
        unread = user.notifications.filter(read_at__isnull=True).count()
    return {**portal_identity(), "unread_notifications": unread}
