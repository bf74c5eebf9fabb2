"""The payment confirmation (biên nhận thanh toán) as a PDF, rendered with WeasyPrint."""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from dossiers.documents import rows_kept_with_signature, verify_context

from .constants import BANK_NAMES, PaymentMethod


def payment_confirmation_pdf(payment, *, verify_url: str = "") -> bytes:
    """Render the confirmation of a confirmed payment, in Vietnamese, as PDF bytes, with the
    QR code of `verify_url` top left (as issued by `payment_confirmation_store`).

    Precondition: `payment` is confirmed, with its notice, dossier, agency and procedure loaded.
    """
    import weasyprint  # slow to import: only when a document is rendered

    notice = payment.fee_notice
    dossier = notice.dossier
    context = {
        "payment": payment,
        "notice": notice,
        "items": rows_kept_with_signature(list(notice.items.all())),
        "dossier": dossier,
        "agency": dossier.agency,
        "procedure": dossier.procedure,
        "bank_name": BANK_NAMES.get(payment.bank_code, payment.bank_code),
        "is_online": payment.method == PaymentMethod.ONLINE,
        "confirmed_at": timezone.localtime(payment.confirmed_at),
        "printed_at": timezone.localtime(),
        "PORTAL_NAME": settings.PORTAL_NAME,
        "SITE_URL": settings.SITE_URL,
    } | verify_context(verify_url)
    with translation.override("vi"):
        html = render_to_string("payments/payment_confirmation_pdf.html", context)
    return weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
