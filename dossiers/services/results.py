"""Keeping the approved result: signed by the agency when signing is on (signing app).

Called from `dossier_approve` inside its transaction, with the dossier locked. When signing is
on, the result is turned into a PDF (an image or office file converted, `signing.convert`) and
issued through `signing.services.document_issue`: signed with the agency's organisation
certificate, the approving officer's name and title in the signature's reason and appearance,
and a QR code to its verification page in the appearance. When signing is off, the upload is
kept as it is and recorded, unsigned, by its hash.
"""

import logging
from pathlib import PurePath

from django.conf import settings
from django.db.models import Case, IntegerField, Value, When
from django.utils import translation
from django.utils.translation import gettext as _

from core.uploads import StoredFile, UploadRejected, store_file
from procedures.constants import StaffRole
from procedures.models import UnitMembership
from signing.constants import DocumentKind
from signing.convert import result_to_pdf
from signing.models import IssuedDocument
from signing.services import SigningUnavailable, document_issue, signing_enabled

from ..models import Dossier
from .transitions import DossierError

logger = logging.getLogger(__name__)

# Highest role first: the title printed under the signer's name.
ROLE_RANK = (StaffRole.LEADER, StaffRole.UNIT_HEAD, StaffRole.SPECIALIST, StaffRole.DESK_OFFICER)


def signer_identity(*, actor, agency_id: int) -> tuple[str, str]:
    """The approving officer's full name and title ("<role>, <unit>", in Vietnamese) in the
    dossier's agency; the title is empty when they hold no unit role there."""
    # The full name only: never an email address in a public document.
    name = (getattr(actor, "full_name", "") or "").strip()
    membership = (
        UnitMembership.objects.filter(user=actor, unit__agency_id=agency_id)
        .select_related("unit")
        .annotate(
            rank=Case(
                *[When(role=role, then=Value(i)) for i, role in enumerate(ROLE_RANK)],
                default=Value(len(ROLE_RANK)),
                output_field=IntegerField(),
            )
        )
        .order_by("rank")
        .first()
    )
    if membership is None:
        return name, ""
    with translation.override("vi"):
        role = str(StaffRole(membership.role).label)
    return name, f"{role}, {membership.unit.name}"


def result_keep(d: Dossier, result_file, *, checked: StoredFile, actor) -> None:
    """Store the result of `d` and set `result_file`, `result_name` and `result_sha256` (the
    hash of the file kept: the signed one when signing is on).

    Raises `UploadRejected` (translated) when signing is on and the file cannot become a PDF
    or the PDF cannot be signed (damaged, password-protected); `DossierError` when the key or
    the timestamp authority cannot be reached (the approval is not made).
    """
    if not signing_enabled():
        stored = store_file(result_file, checked=checked, folder=f"results/{d.pk}")
        d.result_file = stored.name
        d.result_name = stored.original_name
        d.result_sha256 = stored.sha256
        # Recorded unsigned; the same bytes issued before are already on record.
        if not IssuedDocument.objects.filter(sha256=stored.sha256).exists():
            IssuedDocument.objects.create(
                kind=DocumentKind.RESULT,
                dossier_code=d.code or str(d.pk),
                sha256=stored.sha256,
                signed=False,
                organisation=settings.SIGNING_ORGANISATION,
                file=stored.name,
            )
        return
    result_file.seek(0)
    pdf = result_to_pdf(result_file.read(), kind=checked.kind)
    signer_name, signer_title = signer_identity(actor=actor, agency_id=d.agency_id)
    from pyhanko.pdf_utils.misc import PdfError

    try:
        document = document_issue(
            kind=DocumentKind.RESULT,
            dossier_code=d.code or str(d.pk),
            render=lambda _url: pdf,
            signer_name=signer_name,
            signer_title=signer_title,
            reason=" – ".join(
                part
                for part in (f"Phê duyệt kết quả giải quyết hồ sơ {d.code}", signer_name)
                if part
            ),
            qr_in_signature=True,
        )
    except SigningUnavailable as exc:
        logger.exception("the result of dossier %s could not be signed", d.pk)
        raise DossierError(
            _(
                "The result could not be signed right now: the approval was not made. Try again later."
            )
        ) from exc
    except PdfError as exc:  # damaged, encrypted or otherwise unsignable PDF
        raise UploadRejected(
            _(
                "This PDF cannot be signed: it may be damaged or password-protected. Save it "
                "again as PDF (without a password) and upload it."
            )
        ) from exc
    d.result_file = document.file.name
    d.result_name = str(PurePath(checked.original_name or "ket-qua").with_suffix(".pdf"))
    d.result_sha256 = document.sha256 or ""
