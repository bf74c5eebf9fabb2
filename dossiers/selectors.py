"""Reads that pages share (STYLE: selectors): each returns a queryset with what its page needs."""

from django.db.models import Prefetch, QuerySet

from procedures.models import DossierComponent, FormField

from .constants import DossierStatus
from .models import Attachment, Dossier, DossierEvent, SupplementRequest


def dossier_list_for_citizen(user, status: str | None = None) -> QuerySet[Dossier]:
    """Danh sách giao dịch: the user's dossiers, newest first, with their procedure (one query)."""
    qs = Dossier.objects.for_citizen(user).select_related("procedure")
    if status and status in DossierStatus.values:
        qs = qs.filter(status=status)
    return qs.only(
        "id",
        "status",
        "code",
        "created_at",
        "submitted_at",
        "due_date",
        "completed_at",
        "procedure",
        "procedure__id",
        "procedure__name",
        "procedure__slug",
    )


def _detail_queryset(base: QuerySet[Dossier]) -> QuerySet[Dossier]:
    return base.select_related("procedure", "agency", "procedure__agency").prefetch_related(
        Prefetch(
            "attachments",
            queryset=Attachment.objects.select_related("component").order_by(
                "component__order", "component_id", "-version", "-id"
            ),
        ),
        Prefetch(
            "procedure__components", queryset=DossierComponent.objects.order_by("order", "id")
        ),
        Prefetch("procedure__form_fields", queryset=FormField.objects.order_by("order", "id")),
        Prefetch(
            "supplement_requests",
            queryset=SupplementRequest.objects.select_related("created_by").prefetch_related(
                "components"
            ),
        ),
    )


def dossier_detail_for_citizen(user, pk: int) -> Dossier:
    """One of the user's own dossiers with its files, history and requests.

    The history holds only the public events, without internal notes. Raises
    `Dossier.DoesNotExist` for anyone else's dossier (the view answers 404, not 403).
    """
    return (
        _detail_queryset(Dossier.objects.for_citizen(user))
        .prefetch_related(
            Prefetch(
                "events",
                queryset=DossierEvent.objects.filter(is_public=True).defer("internal_note"),
                to_attr="public_events",
            )
        )
        .get(pk=pk)
    )


def dossier_for_file_access(user, pk: int) -> Dossier:
    """A dossier whose files `user` may download: the applicant, staff of its agency, superusers.

    Raises `Dossier.DoesNotExist` otherwise.
    """
    return Dossier.objects.visible_to(user).select_related("procedure", "agency").get(pk=pk)


def dossier_for_slip(user, pk: int) -> Dossier:
    """A dossier with what its slips print (components, fees, supplement requests, officers).

    Same access rule as files. Raises `Dossier.DoesNotExist`.
    """
    return (
        _detail_queryset(Dossier.objects.visible_to(user))
        .select_related("applicant", "received_by")
        .prefetch_related("procedure__fees")
        .get(pk=pk)
    )
