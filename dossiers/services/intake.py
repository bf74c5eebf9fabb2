"""Counter intake: the desk registers a dossier brought in person or sent by post (DESIGN §10).

The dossier then follows the same flow as one submitted online: it is created, its scanned
paper components are checked and stored like the citizen's uploads, it is sent and received
at once (code, due date, history events) by `dossier_receive`.
"""

import uuid
from collections.abc import Mapping, Sequence

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import audit_record
from core.uploads import UploadRejected, check_file, uploads_undone_on_error
from procedures.models import Procedure

from .. import policy
from ..constants import (
    APPLICANT_FIELDS,
    DELIVERY_FIELDS,
    Channel,
    DossierStatus,
    ResultDelivery,
    Role,
)
from ..history import Msg
from ..models import Dossier
from .drafts import attachment_add, dossier_missing_components
from .processing import dossier_receive
from .transitions import DossierError, StepForbidden, dossier_transition

S = DossierStatus
INTAKE_CHANNELS = (Channel.COUNTER, Channel.POST)
AUDIT_ACTION = "dossier_counter_intake"


def applicant_account(*, email: str = "", citizen_id: str = ""):
    """The citizen account with this email, else with this citizen ID number, or None.

    Staff accounts are never matched: a dossier belongs to an applicant."""
    users = get_user_model().objects.filter(is_staff=False, is_active=True)
    if email:
        found = users.filter(email__iexact=email.strip()).first()
        if found is not None:
            return found
    if citizen_id:
        return users.filter(citizen_id=citizen_id.strip()).first()
    return None


def _audit(*, actor, obj, procedure: Procedure, channel: str, ok: bool, message="", request=None):
    audit_record(
        actor=actor,
        action=AUDIT_ACTION,
        obj=obj,
        changes={"procedure": procedure.pk, "channel": channel},
        succeeded=ok,
        message=message,
        request=request,
    )


def dossier_counter_intake(
    *,
    actor,
    procedure: Procedure,
    applicant: Mapping[str, str],
    data: Mapping[str, str],
    files: Mapping[int, Sequence],
    channel: str,
    form_token: uuid.UUID | None = None,
    note: str = "",
    delivery: Mapping[str, str] | None = None,
    request=None,
) -> Dossier:
    """Register and receive a dossier for an applicant who came to the desk or wrote by post.

    `applicant` holds the applicant details (`APPLICANT_FIELDS`), `data` the answers to the
    procedure's declared fields, `files` the scanned components by component id, `delivery`
    how the applicant wants the result (`DELIVERY_FIELDS`; at the desk when not given). The
    dossier is linked to the citizen account with the same email or citizen ID number, if
    there is one (it then appears in their transaction list); otherwise only the typed details
    record the applicant. A resent form (same `form_token`) returns the dossier already registered.
    Runs in its own transaction: every file is checked before anything is written, and a
    refusal leaves nothing behind (no dossier, no stored file). The attempt, done or refused,
    goes to the staff audit log.
    Raises `StepForbidden` (no desk permission, another agency's procedure), `UploadRejected`
    (a file refused by `core.uploads`) or `DossierError` (a required component missing, a
    channel that is not the desk's, a result by post without a postal address).
    """
    seen = {"actor": actor, "procedure": procedure, "channel": channel, "request": request}
    refusal = policy.intake_refusal(actor, procedure)
    if refusal is not None:
        _audit(**seen, obj=procedure, ok=False, message=refusal.audit)
        raise StepForbidden(refusal.message, audit=refusal.audit)
    if form_token is not None:
        done = Dossier.objects.filter(form_token=form_token, procedure=procedure).first()
        if done is not None and done.status != S.DRAFT:
            return done
    try:
        with uploads_undone_on_error(), transaction.atomic():
            dossier = _register(
                actor, procedure, applicant, data, files, channel, form_token, delivery or {}
            )
            dossier_receive(
                dossier_id=dossier.pk,
                actor=actor,
                expected_status=S.SUBMITTED,
                note=note,
                request=request,
            )
    except (DossierError, UploadRejected) as exc:
        message = exc.audit if isinstance(exc, StepForbidden) else str(exc)
        _audit(**seen, obj=procedure, ok=False, message=message)
        raise
    dossier.refresh_from_db()
    _audit(**seen, obj=dossier, ok=True)
    return dossier


def _register(
    actor, procedure, applicant, data, files, channel, form_token, delivery: Mapping[str, str]
) -> Dossier:
    """Create the dossier with its files and send it (draft → submitted), in the caller's
    transaction."""
    if channel not in INTAKE_CHANNELS:
        raise DossierError(_("The desk registers dossiers brought in person or sent by post."))
    components = {c.pk: c for c in procedure.components.all()}
    # Every file is judged before anything is written: a bad one changes nothing.
    for component_id, uploads in files.items():
        component = components.get(component_id)
        if component is None:
            raise DossierError(_("This file does not belong to this procedure."))
        for upload in uploads:
            check_file(upload, file_types=component.file_types, max_size_mb=component.max_size_mb)
            upload.seek(0)
    details = {name: applicant.get(name) or "" for name in APPLICANT_FIELDS}
    details["applicant_type"] = details["applicant_type"] or "person"
    choice = {name: (delivery.get(name) or "").strip() for name in DELIVERY_FIELDS}
    choice["result_delivery"] = choice["result_delivery"] or ResultDelivery.DESK
    if choice["result_delivery"] == ResultDelivery.POST and not choice["delivery_address"]:
        raise DossierError(
            _(
                "Enter the postal address the result should be sent to, or choose another way "
                "to receive it."
            )
        )
    account = applicant_account(email=details["email"], citizen_id=details["citizen_id"])
    dossier = Dossier.objects.create(
        procedure=procedure,
        agency_id=procedure.agency_id,
        applicant=account,
        channel=channel,
        data=dict(data),
        form_token=form_token or uuid.uuid4(),
        **details,
        **choice,
    )
    dossier.procedure = procedure
    for component_id, uploads in files.items():
        for upload in uploads:
            attachment_add(
                dossier=dossier, component=components[component_id], file=upload, user=actor
            )
    missing = dossier_missing_components(dossier=dossier)
    if missing:
        raise DossierError(
            _("Attach the required files: %(names)s.")
            % {"names": "; ".join(c.name for c in missing)}
        )

    def stamp(d: Dossier) -> None:
        d.submitted_at = timezone.now()

    # Sent on the applicant's behalf: the same "sent" event as an online submission.
    dossier_transition(
        dossier_id=dossier.pk,
        to_status=S.SUBMITTED,
        role=Role.CITIZEN,
        actor=actor,
        message=Msg.SUBMITTED,
        expected_status=S.DRAFT,
        apply=stamp,
    )
    return dossier
