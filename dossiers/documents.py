"""Printable slips in the layout of Circular 01/2018 (DESIGN §6), rendered by WeasyPrint.

01 receipt and appointment slip (Giấy tiếp nhận hồ sơ và hẹn trả kết quả), with a QR code to
the public lookup; 02 supplement request slip (Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ);
03 rejection slip (Phiếu từ chối tiếp nhận, giải quyết hồ sơ). The forms are Vietnamese
administrative documents, so they are always printed in Vietnamese, with a system font that
has every glyph (DejaVu Sans from fonts-dejavu-core, or Noto Sans).
"""

import base64
import io
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .constants import DossierStatus
from .models import Dossier

S = DossierStatus
AGENCY_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SLIP_KINDS = ("receipt", "supplement", "rejection")
SLIP_TEMPLATES = {
    "receipt": "dossiers/pdf/receipt.html",
    "supplement": "dossiers/pdf/supplement.html",
    "rejection": "dossiers/pdf/rejection.html",
}
# The applicant details a supplement request may name, as the printed form words them.
APPLICANT_LABELS_VI = {
    "applicant_name": "Họ và tên người nộp hồ sơ",
    "organisation_name": "Tên tổ chức",
    "citizen_id": "Số định danh cá nhân (CCCD)",
    "tax_code": "Mã số thuế",
    "phone": "Số điện thoại",
    "email": "Thư điện tử",
    "address": "Địa chỉ",
}
SLIP_FILENAMES = {
    "receipt": "giay-tiep-nhan",
    "supplement": "phieu-yeu-cau-bo-sung",
    "rejection": "phieu-tu-choi",
}


# How many of a slip's last table rows travel with its signature block to a new page.
ROWS_KEPT_WITH_SIGNATURE = 2


def rows_kept_with_signature(rows: list) -> dict:
    """A slip's table rows split for printing: `head`, then `tail`, the last rows, which the
    template prints in the block that also holds the signatures (`.keep-with-signature`), so
    a slip that must break carries them to the signatures' page. `tail_start` numbers the tail.
    """
    cut = max(len(rows) - ROWS_KEPT_WITH_SIGNATURE, 0)
    return {"head": rows[:cut], "tail": rows[cut:], "tail_start": cut}


def slips_available(dossier: Dossier) -> list[str]:
    """Which slips this dossier has: a receipt once it has a code, a supplement slip once
    staff asked for one, a rejection slip once rejected. Uses prefetched requests if any."""
    kinds = []
    if dossier.code:
        kinds.append("receipt")
    if dossier.supplement_requests.all():
        kinds.append("supplement")
    if dossier.status == S.REJECTED:
        kinds.append("rejection")
    return kinds


def slip_filename(dossier: Dossier, kind: str) -> str:
    return f"{SLIP_FILENAMES[kind]}-{dossier.code or dossier.pk}.pdf"


def lookup_url(dossier: Dossier) -> str:
    return f"{settings.SITE_URL}/lookup/?code={dossier.code}"


def qr_data_uri(text: str) -> str:
    """A QR code of `text` as an inline PNG data URI (no file, no network), one pixel a module.

    The slip scales it up with `image-rendering: pixelated`, so every module prints as a sharp
    square at any size; WeasyPrint draws such an image in a fraction of the time it takes to
    draw the same code as an SVG path of a thousand small squares (a third of the slip's
    render time)."""
    import qrcode

    image = qrcode.make(
        text, box_size=1, border=2, error_correction=qrcode.constants.ERROR_CORRECT_M
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def render_pdf(*, template: str, context: dict) -> bytes:
    """Render a template to PDF bytes. WeasyPrint is imported here: it is slow to import."""
    from weasyprint import HTML

    with translation.override("vi"):
        html = render_to_string(template, context)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def _local(value):
    return timezone.localtime(value, AGENCY_TZ) if value else None


def slip_context(dossier: Dossier, kind: str) -> dict:
    procedure = dossier.procedure
    context = {
        "dossier": dossier,
        "procedure": procedure,
        "agency": dossier.agency,
        "kind": kind,
        "today": timezone.localtime(timezone.now(), AGENCY_TZ),
        "received_at": _local(dossier.received_at),
        "submitted_at": _local(dossier.submitted_at),
        "PORTAL_NAME": settings.PORTAL_NAME,
        "SITE_URL": settings.SITE_URL,
    }
    if kind == "receipt":
        attached = {a.component_id for a in dossier.attachments.all() if a.is_current}
        components = [c for c in procedure.components.all() if c.pk in attached]
        context |= {
            "components": components,
            "component_rows": rows_kept_with_signature(components),
            "fees": list(procedure.fees.all()),
            "total_fee": sum(fee.amount for fee in procedure.fees.all()),
            "lookup_url": lookup_url(dossier),
            "qr": qr_data_uri(lookup_url(dossier)),
        }
    elif kind == "supplement":
        request = dossier.supplement_requests.all()[0]
        labels = APPLICANT_LABELS_VI | {f.key: f.label for f in procedure.form_fields.all()}
        rows = [c.name for c in request.components.all()]
        rows += [f"Thông tin: {labels.get(key, key)}" for key in request.fields]
        context |= {
            "supplement": request,
            "asked_at": _local(request.created_at),
            "rows": rows_kept_with_signature(rows or ["Hồ sơ"]),
        }
    return context


def verify_context(verify_url: str) -> dict:
    """What `signing/pdf/verify_qr.html` prints top left: the QR code of the document's
    verification URL (nothing when the document is only previewed, without an identity)."""
    return {"verify_url": verify_url, "verify_qr": qr_data_uri(verify_url) if verify_url else ""}


def dossier_slip_pdf(*, dossier: Dossier, kind: str, verify_url: str = "") -> bytes:
    """The PDF of one slip of `dossier`, with the QR code of `verify_url` top left (the slip as
    issued: `dossiers.services.dossier_slip_issue`). Precondition: `kind in
    slips_available(dossier)`."""
    if kind not in SLIP_KINDS:
        raise ValueError(kind)
    context = slip_context(dossier, kind) | verify_context(verify_url)
    return render_pdf(template=SLIP_TEMPLATES[kind], context=context)
