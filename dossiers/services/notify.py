"""Telling the applicant about their dossier: a notification and an email (DESIGN §7)."""

from django.conf import settings
from django.urls import reverse

from accounts.services import user_notify

from ..models import Dossier


def dossier_urls(dossier: Dossier) -> dict[str, str]:
    """Absolute links used in emails and slips (stable public URLs, DESIGN §2)."""
    base = settings.SITE_URL
    urls = {
        "detail_url": base + reverse("dossiers:detail", args=[dossier.pk]),
        "list_url": base + reverse("dossiers:list"),
    }
    if dossier.code:
        urls["lookup_url"] = f"{base}/lookup/?code={dossier.code}"
        urls["receipt_slip_url"] = base + reverse("dossiers:slip", args=[dossier.pk, "receipt"])
    return urls


def dossier_notify(*, dossier: Dossier, template: str, context: dict | None = None) -> None:
    """Notify the applicant with `templates/emails/<template>*` about `dossier`.

    Precondition: called inside the transaction that changed the dossier. Side effects: one
    `Notification` and one outbox email row, written in that transaction; the email is handed
    to Celery only after commit (never sent for a rolled-back change).
    """
    user_notify(
        user=dossier.applicant,
        template=template,
        context={"dossier": dossier, **dossier_urls(dossier), **(context or {})},
        link=reverse("dossiers:detail", args=[dossier.pk]),
    )
