"""Telling the applicant about their dossier (DESIGN §7), and the officer in charge about the
applicant's answer: a notification and an email."""

from django.conf import settings
from django.urls import reverse

from accounts.services import user_notify

from ..history import notification_message
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


def dossier_notify(
    *, dossier: Dossier, template: str, context: dict | None = None, link: str = ""
) -> None:
    """Notify the applicant with `templates/emails/<template>*` about `dossier`; the
    notification opens `link` (default: the dossier's page).

    Precondition: called inside the transaction that changed the dossier. Side effects: one
    `Notification` and one outbox email row, written in that transaction; the email is handed
    to Celery only after commit (never sent for a rolled-back change). The notification's
    title is composed when read, in the reader's language (`notification_message`).
    """
    if dossier.applicant is None:
        # Registered at the desk for someone without an account: the slip is their record.
        return
    context = context or {}
    message, params = notification_message(template, dossier, context)
    user_notify(
        user=dossier.applicant,
        template=template,
        context={"dossier": dossier, **dossier_urls(dossier), **context},
        link=link or reverse("dossiers:detail", args=[dossier.pk]),
        message=message,
        params=params,
    )


def applicant_language(dossier: Dossier) -> str:
    """The language the applicant reads: their account's, else the portal's default."""
    applicant = dossier.applicant
    return applicant.language if applicant is not None else settings.LANGUAGE_CODE


def officer_notify(
    *,
    officer,
    dossier: Dossier,
    template: str,
    context: dict | None = None,
    admin_path: str | None = None,
) -> None:
    """Tell the officer who asked for something (a supplement, a fee) that the applicant has
    answered, with `templates/emails/<template>*` in the officer's language; the notification
    and the email link to `admin_path` (default: the dossier's admin page). Nobody is told when
    that account is no longer active. Same transaction rules as `dossier_notify`.
    """
    if not officer.is_active or not officer.email:
        return
    admin_path = admin_path or reverse("admin:dossiers_dossier_change", args=[dossier.pk])
    context = context or {}
    message, params = notification_message(template, dossier, context)
    user_notify(
        user=officer,
        template=template,
        context={
            "dossier": dossier,
            "admin_url": settings.SITE_URL + admin_path,
            **context,
        },
        link=admin_path,
        message=message,
        params=params,
    )
