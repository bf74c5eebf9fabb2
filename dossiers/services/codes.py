"""Dossier codes and lookup secrets (DESIGN §4), issued at receipt inside the transition."""

import secrets
from datetime import date

from django.db import transaction

from procedures.models import Agency

from ..models import DossierCodeSequence

# No 0/O, 1/I/L: the secret is read off a printed slip and typed by hand.
LOOKUP_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
SECRET_LENGTH = 6


def dossier_code_next(*, agency: Agency, day: date) -> str:
    """The next code `<AGENCY>-<YYMMDD>-<NNNN>` for `agency` on receipt date `day`.

    Precondition: called inside the receiving transaction, so a rolled-back receipt gives its
    number back (no gap). The day's counter row is created if missing (a concurrent creator
    is ignored, not an error) and then locked with `select_for_update`, so concurrent receipts
    wait for each other and never share a number. Four digits, wider past 9999.
    """
    with transaction.atomic():
        DossierCodeSequence.objects.bulk_create(
            [DossierCodeSequence(agency=agency, day=day, last=0)], ignore_conflicts=True
        )
        sequence = DossierCodeSequence.objects.select_for_update().get(agency=agency, day=day)
        sequence.last += 1
        sequence.save(update_fields=["last"])
    return f"{agency.code.upper()}-{day:%y%m%d}-{sequence.last:04d}"


def lookup_secret_generate() -> str:
    """Six random upper-case letters and digits without look-alikes, for the receipt slip."""
    return "".join(secrets.choice(LOOKUP_ALPHABET) for _ in range(SECRET_LENGTH))
