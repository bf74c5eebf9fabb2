"""Writes of the tracking app: the satisfaction rating."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from dossiers.constants import COMPLETED
from dossiers.models import Dossier

from .constants import RATING_QUESTIONS
from .models import Rating


class RatingError(Exception):
    """A rating the dossier's state does not allow; the message is shown to the person."""


class RatingNotAllowed(RatingError):
    pass


class AlreadyRated(RatingError):
    pass


def rating_submit(*, dossier_id: int, user, comment: str = "", **answers: int) -> Rating:
    """Record `user`'s rating of their dossier `dossier_id`.

    Preconditions: the dossier is the user's (else `Dossier.DoesNotExist`), it has its result
    (status approved or returned, else `RatingNotAllowed`) and has no rating yet (else
    `AlreadyRated`; the unique constraint on the dossier decides between two concurrent
    submissions, e.g. a double click). `answers` holds one score 1–5 per question in
    `RATING_QUESTIONS`. No email is sent.
    """
    missing = set(RATING_QUESTIONS) - answers.keys()
    if missing or answers.keys() - set(RATING_QUESTIONS):
        raise ValueError(f"expected answers to {RATING_QUESTIONS}, got {sorted(answers)}")
    dossier = Dossier.objects.only("id", "status", "applicant_id").get(
        pk=dossier_id, applicant_id=user.pk
    )
    if dossier.status not in COMPLETED:
        raise RatingNotAllowed(_("You can rate the service once your dossier has its result."))
    try:
        with transaction.atomic():
            return Rating.objects.create(
                dossier_id=dossier.pk, user=user, comment=comment.strip(), **answers
            )
    except IntegrityError as exc:
        if Rating.objects.filter(dossier_id=dossier.pk).exists():
            raise AlreadyRated(
                _("You have already rated this dossier. Thank you for your opinion.")
            ) from exc
        raise
