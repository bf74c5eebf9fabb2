"""The applicant's two forms as one write each: the dossier form (save or submit a draft) and the
supplement answer (save or send it).

Each service runs in its own transaction with the dossier row locked, so a failure anywhere
(a file that cannot be stored, a notification that cannot be queued) leaves nothing half
written. Both share one core: every valid file is stored at once and every well-formed answer
is kept, whatever else fails, so leaving an error page loses nothing already given; only a
complete form is sent. A resent form or a second click finds the dossier already sent and
changes nothing. The view renders the returned `AnswerResult`.
"""

import enum
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.db import transaction
from django.utils.translation import gettext as _

from core.uploads import UploadRejected, sanitize_filename, uploads_undone_on_error
from procedures.models import DossierComponent, Procedure

from ..constants import DossierStatus
from ..forms import DossierForm, SupplementForm
from ..models import Dossier, SupplementRequest
from .drafts import (
    attachment_add,
    attachment_remove,
    dossier_draft_open,
    dossier_draft_save,
    dossier_lock_for_applicant,
    dossier_submit,
)
from .supplements import (
    dossier_lock_for_supplement,
    dossier_supplement_submit,
    supplement_attachment_add,
    supplement_attachment_remove,
    supplement_values_save,
)
from .transitions import DossierError

S = DossierStatus


class Outcome(enum.StrEnum):
    SAVED = "saved"  # kept on the dossier, not sent
    SENT = "sent"  # submitted (draft) or sent (supplement answer) now
    ALREADY_SENT = "already_sent"  # a resent form or a second click: nothing changed
    INCOMPLETE = "incomplete"  # what was valid is kept; the form shows what is missing


@dataclass(frozen=True)
class PostedAnswer:
    """One post of the form: its fields (`QueryDict`), its files (`MultiValueDict`), the
    refusals the streaming upload handler made by field name, and whether to send it."""

    data: Any
    files: Any
    send: bool
    rejected: Mapping[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class AnswerResult:
    """What one post of the dossier form or of the supplement answer did."""

    outcome: Outcome
    dossier: Dossier
    # The bound form with its errors (None when the dossier was already sent).
    form: forms.Form | None = None
    # Messages of the files refused, by component id.
    upload_errors: dict[int, list[str]] = field(default_factory=dict)
    supplement: SupplementRequest | None = None


def _store_uploads(
    components: Iterable[DossierComponent],
    files,
    rejected: Mapping[str, list[str]],
    attach: Callable[[DossierComponent, Any], object],
) -> dict[int, list[str]]:
    """Store each file posted for one of `components` with `attach(component, upload)` (files
    posted for any other component are not read); the messages of those refused, by component,
    with the refusals the upload handler made while the files streamed in."""
    errors: dict[int, list[str]] = {}
    for component in components:
        name = f"component_{component.pk}"
        messages_for = errors.setdefault(component.pk, [])
        messages_for.extend(rejected.get(name, []))
        uploads = files.getlist(name)
        if not component.multiple and len(uploads) > 1:
            messages_for.append(_("Only one file can be attached here."))
            uploads = uploads[:1]
        for upload in uploads:
            try:
                attach(component, upload)
            except (UploadRejected, DossierError) as exc:
                messages_for.append(f"{sanitize_filename(upload.name)}: {exc}")
    return {pk: msgs for pk, msgs in errors.items() if msgs}


def _answer(
    posted: PostedAnswer,
    *,
    components: Iterable[DossierComponent],
    attach: Callable[[DossierComponent, Any], object],
    remove: Callable[[int], object],
    make_form: Callable[[bool], Any],
    keep: Callable[[Any], object],
    send_now: Callable[[], object],
) -> tuple[Outcome, Any, dict[int, list[str]]]:
    """The common core, inside the caller's transaction with the dossier locked: store the
    files, take out the files marked for removal, `keep` the well-formed answers (from the
    lenient draft form when the complete one has errors), then `send_now` if all is complete.

    A `DossierError` from `send_now` (something required missing) becomes a form error; its
    savepoint is rolled back, while what was kept stays.
    """
    upload_errors = _store_uploads(components, posted.files, posted.rejected, attach)
    for attachment_id in posted.data.getlist("remove"):
        if attachment_id.isdigit():
            remove(int(attachment_id))
    form = make_form(not posted.send)
    kept = form if form.is_valid() or form.draft else make_form(True)
    keep(kept)
    if not form.is_valid() or upload_errors:
        return Outcome.INCOMPLETE, form, upload_errors
    if not posted.send:
        return Outcome.SAVED, form, upload_errors
    try:
        send_now()
    except DossierError as exc:
        form.add_error(None, str(exc))
        return Outcome.INCOMPLETE, form, upload_errors
    return Outcome.SENT, form, upload_errors


def dossier_form_post(
    *,
    user,
    procedure: Procedure,
    dossier_id: int | None,
    form_token: uuid.UUID,
    posted: PostedAnswer,
) -> AnswerResult:
    """Save the dossier form on its draft, or save and submit it (draft → submitted).

    `posted.send` submits the draft once it is complete. A first post (`dossier_id` None)
    opens the draft behind `form_token`. Every well-formed answer is stored on the draft even
    when another one is not or the submission is incomplete; every valid file is stored.
    Side effects on submission: those of `dossier_submit` (notification, email after commit).
    Runs in one transaction: any exception leaves nothing written (not even a new draft).
    Raises `Dossier.DoesNotExist` for another user's dossier, `DossierError` when the token
    belongs to another user's or procedure's dossier.
    """
    with uploads_undone_on_error(), transaction.atomic():
        if dossier_id is None:
            dossier = dossier_draft_open(user=user, procedure=procedure, form_token=form_token)
        else:
            dossier = dossier_lock_for_applicant(user=user, dossier_id=dossier_id)
        if dossier.status != S.DRAFT:
            return AnswerResult(Outcome.ALREADY_SENT, dossier)

        def keep(form: DossierForm) -> None:
            dossier_draft_save(
                dossier=dossier,
                applicant=form.applicant(),
                data=form.declared_data(dossier.data),
                delivery=form.delivery(),
            )

        outcome, form, upload_errors = _answer(
            posted,
            components=procedure.components.all(),
            attach=lambda component, upload: attachment_add(
                dossier=dossier, component=component, file=upload, user=user
            ),
            remove=lambda pk: attachment_remove(dossier=dossier, attachment_id=pk),
            make_form=lambda draft: DossierForm(posted.data, procedure=procedure, draft=draft),
            keep=keep,
            send_now=lambda: dossier_submit(dossier_id=dossier.pk, actor=user),
        )
    return AnswerResult(outcome, dossier, form, upload_errors)


def supplement_answer_post(
    *,
    user,
    dossier_id: int,
    posted: PostedAnswer,
) -> AnswerResult:
    """Save the applicant's answer to the open supplement request, or save and send it
    (supplement requested → supplemented) when `posted.send`.

    Only the fields and components the request names are read from the post. Every valid file
    is kept at once; the well-formed values are stored when the answer is complete, or when it
    is sent but incomplete (a save with an invalid value stores no value).
    Side effects on sending: those of `dossier_supplement_submit`. Runs in one transaction:
    any exception leaves nothing written. Raises `SupplementNotOpen` when the dossier is not
    waiting for a supplement (`already_sent` after a resent form or a second click),
    `Dossier.DoesNotExist` for another user's dossier.
    """
    with uploads_undone_on_error(), transaction.atomic():
        dossier, supplement = dossier_lock_for_supplement(user=user, dossier_id=dossier_id)

        def keep(form: SupplementForm) -> None:
            if form.is_valid():
                supplement_values_save(dossier=dossier, request=supplement, values=form.values())

        outcome, form, upload_errors = _answer(
            posted,
            components=supplement.components.all(),
            attach=lambda component, upload: supplement_attachment_add(
                dossier=dossier, request=supplement, component=component, file=upload, user=user
            ),
            remove=lambda pk: supplement_attachment_remove(
                dossier=dossier, request=supplement, attachment_id=pk
            ),
            make_form=lambda draft: SupplementForm(
                posted.data, dossier=dossier, supplement=supplement, draft=draft
            ),
            keep=keep,
            send_now=lambda: dossier_supplement_submit(
                dossier_id=dossier.pk, user=user, expected_status=S.SUPPLEMENT_REQUESTED
            ),
        )
    return AnswerResult(outcome, dossier, form, upload_errors, supplement)
