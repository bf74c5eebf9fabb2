"""The applicant's side: drafts, files, submission and withdrawal."""

import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.uploads import UploadRejected, check_file, store_file
from procedures.models import DossierComponent, Procedure

from ..constants import (
    APPLICANT_FIELDS,
    DELIVERY_FIELDS,
    DossierStatus,
    HandOverKind,
    ResultDelivery,
    Role,
)
from ..history import Msg
from ..models import Attachment, Dossier, SupplementRequest
from .notify import dossier_notify
from .transitions import DossierError, TransitionResult, dossier_transition
from .workflow import process_close

S = DossierStatus

# Statuses in which the applicant may change files: a draft, or answering a supplement request.
FILES_EDITABLE = (S.DRAFT, S.SUPPLEMENT_REQUESTED)


def applicant_prefill(user) -> dict:
    """The dossier's applicant details as the user's profile has them."""
    return {
        "applicant_name": user.full_name or "",
        "applicant_type": user.applicant_type,
        "organisation_name": user.organisation_name,
        "citizen_id": user.citizen_id,
        "tax_code": user.tax_code,
        "phone": user.phone,
        "email": user.email,
        "address": user.address,
    }


def dossier_draft_open(*, user, procedure: Procedure, form_token: uuid.UUID) -> Dossier:
    """The draft behind one dossier form, created on its first post, returned locked.

    `form_token` is the form's idempotency key: a resent form or a second click finds the same
    dossier (a concurrent creator loses the unique-constraint race and reads the winner's row).
    Preconditions: inside `transaction.atomic()`; `procedure` is published.
    Raises `DossierError` when the token belongs to another user's or procedure's dossier.
    """
    dossier, _created = Dossier.objects.get_or_create(
        form_token=form_token,
        defaults={
            "procedure": procedure,
            "agency_id": procedure.agency_id,
            "applicant": user,
            **applicant_prefill(user),
        },
    )
    if dossier.applicant_id != user.pk or dossier.procedure_id != procedure.pk:
        raise DossierError(_("This form is no longer valid. Please start again."))
    return (
        Dossier.objects.select_for_update(of=("self",))
        .select_related("procedure")
        .get(pk=dossier.pk)
    )


def dossier_lock_for_applicant(*, user, dossier_id: int) -> Dossier:
    """The applicant's own dossier, row-locked. Precondition: inside `transaction.atomic()`.

    Raises `Dossier.DoesNotExist` for someone else's dossier.
    """
    return (
        Dossier.objects.for_citizen(user)
        .select_for_update(of=("self",))
        .select_related("procedure")
        .get(pk=dossier_id)
    )


def dossier_draft_save(
    *, dossier: Dossier, applicant: dict, data: dict, delivery: dict | None = None
) -> Dossier:
    """Store the applicant details, the answers to the procedure's fields and how the result
    is to be delivered (`result_delivery`, `delivery_address`) on a draft.

    Precondition: `dossier` is locked by the caller. Values are stored as given (the form has
    validated them). Raises `DossierError` when the dossier is no longer a draft.
    """
    if dossier.status != S.DRAFT:
        raise DossierError(_("Only a draft can be edited."))
    for name in APPLICANT_FIELDS:
        if name in applicant:
            setattr(dossier, name, applicant[name] or "")
    delivery = delivery or {}
    for name in DELIVERY_FIELDS:
        if name in delivery:
            setattr(dossier, name, delivery[name] or "")
    if not dossier.result_delivery:
        dossier.result_delivery = ResultDelivery.DESK
    dossier.data = data
    dossier.save(update_fields=[*APPLICANT_FIELDS, *DELIVERY_FIELDS, "data", "updated_at"])
    return dossier


def attachment_add(
    *,
    dossier: Dossier,
    component: DossierComponent,
    file,
    user,
    supplement_request: SupplementRequest | None = None,
) -> Attachment:
    """Check one uploaded file by its content and store it as a new version of `component`.

    Preconditions: `dossier` is locked by the caller (versions are numbered under the lock)
    and in a status whose files the applicant may change.
    Side effects: the file is written to private storage under a random name; for a
    single-file component, the previous current version stops being current (kept, never
    overwritten). Raises `UploadRejected` (wrong type or content, too large, empty, too many
    files) or `DossierError`.
    """
    if component.procedure_id != dossier.procedure_id:
        raise DossierError(_("This file does not belong to this procedure."))
    if dossier.status not in FILES_EDITABLE:
        raise DossierError(_("The files of this dossier can no longer be changed."))
    checked = check_file(file, file_types=component.file_types, max_size_mb=component.max_size_mb)
    versions = Attachment.objects.filter(dossier=dossier, component=component)
    current = versions.filter(is_current=True)
    max_files = settings.UPLOAD_MAX_FILES_PER_COMPONENT
    if component.multiple and current.count() >= max_files:
        raise UploadRejected(
            ngettext(
                "At most %(n)s file can be attached here.",
                "At most %(n)s files can be attached here.",
                max_files,
            )
            % {"n": max_files}
        )
    stored = store_file(file, checked=checked, folder=f"dossiers/{dossier.pk}")
    version = (versions.aggregate(m=Max("version"))["m"] or 0) + 1
    if not component.multiple:
        current.update(is_current=False)
    return Attachment.objects.create(
        dossier=dossier,
        component=component,
        version=version,
        file=stored.name,
        original_name=stored.original_name,
        size=stored.size,
        sha256=stored.sha256,
        content_type=stored.content_type,
        uploaded_by=user,
        supplement_request=supplement_request,
    )


def attachment_remove(*, dossier: Dossier, attachment_id: int) -> bool:
    """Take a file out of a draft: it stops being current but its version is kept.

    Precondition: `dossier` is locked by the caller. Returns False when the file was not a
    current file of this dossier. Raises `DossierError` when files can no longer change.
    """
    if dossier.status not in FILES_EDITABLE:
        raise DossierError(_("The files of this dossier can no longer be changed."))
    return bool(
        Attachment.objects.filter(dossier=dossier, pk=attachment_id, is_current=True).update(
            is_current=False
        )
    )


def dossier_missing_components(*, dossier: Dossier) -> list[DossierComponent]:
    """Required components of the procedure with no current file on the dossier."""
    present = set(
        dossier.attachments.filter(is_current=True).values_list("component_id", flat=True)
    )
    return [c for c in dossier.procedure.components.filter(required=True) if c.pk not in present]


def dossier_submit(*, dossier_id: int, actor) -> TransitionResult | None:
    """Send a draft to the agency (draft → submitted). Idempotent.

    Preconditions: `actor` is the applicant; every required component has a current file; the
    applicant's name and a way to contact them are filled in.
    Side effects: the applicant is notified ("dossier sent") and emailed after commit.
    Returns the transition, or None when the dossier was already submitted (a resent form or a
    second click: nothing changes, no second event, no second email). Raises `DossierError` when something
    required is missing, `Dossier.DoesNotExist` for another user's dossier.
    """
    with transaction.atomic():
        dossier = dossier_lock_for_applicant(user=actor, dossier_id=dossier_id)
        if dossier.status != S.DRAFT:
            return None
        missing = dossier_missing_components(dossier=dossier)
        if missing:
            raise DossierError(
                _("Attach the required files: %(names)s.")
                % {"names": "; ".join(c.name for c in missing)}
            )
        if not dossier.applicant_name or not (dossier.phone or dossier.email):
            raise DossierError(_("Fill in the applicant's name and contact details."))

        def stamp(d: Dossier) -> None:
            d.submitted_at = timezone.now()

        result = dossier_transition(
            dossier_id=dossier.pk,
            to_status=S.SUBMITTED,
            role=Role.CITIZEN,
            actor=actor,
            message=Msg.SUBMITTED,
            expected_status=S.DRAFT,
            apply=stamp,
        )
        # The acknowledgement: a notification now, the email after commit (outbox).
        dossier_notify(dossier=result.dossier, template="dossier_submitted")
        return result


def dossier_withdraw(
    *, dossier_id: int, actor, expected_status: str | None = None, reason: str = ""
) -> TransitionResult:
    """The applicant withdraws a dossier that has no result yet (→ withdrawn).

    Raises `TransitionRefused` when the status does not allow it (or changed meanwhile),
    `Dossier.DoesNotExist` for another user's dossier.
    """
    with transaction.atomic():
        dossier = dossier_lock_for_applicant(user=actor, dossier_id=dossier_id)
        result = dossier_transition(
            dossier_id=dossier.pk,
            to_status=S.WITHDRAWN,
            role=Role.CITIZEN,
            actor=actor,
            message=Msg.WITHDRAWN,
            note=reason,
            expected_status=expected_status,
        )
        # The unit holding it stops: its open step ends with the withdrawal.
        process_close(result.dossier, actor=actor, now=timezone.now(), kind=HandOverKind.FINISH)
        return result
