"""Turning an uploaded result into a PDF before it is signed (the result stays a PDF).

Images (JPEG, PNG) become one A4 page each with img2pdf, which embeds the picture as it is
(no re-compression; a PNG with transparency is first laid on white by Pillow). Word and
OpenDocument files are converted by LibreOffice (`soffice --headless`, PDF/A-2b) when it is
installed; without it they are refused with a message the officer can act on. A spreadsheet or
any other kind is refused: the officer exports it to PDF.
"""

import io
import shutil
import subprocess  # nosec B404 # LibreOffice, with fixed arguments
import tempfile
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from core.uploads import UploadRejected

IMAGE_KINDS = ("jpg", "jpeg", "png")
OFFICE_KINDS = ("docx", "doc", "odt")
A4_MM = (210, 297)
# PDF/A-2b from LibreOffice's writer_pdf_Export filter.
SOFFICE_PDF_FILTER = 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'


def soffice_path() -> str | None:
    return shutil.which(settings.SIGNING_SOFFICE) if settings.SIGNING_SOFFICE else None


def image_to_pdf(data: bytes) -> bytes:
    import img2pdf

    layout = img2pdf.get_layout_fun(
        (img2pdf.mm_to_pt(A4_MM[0]), img2pdf.mm_to_pt(A4_MM[1])), fit=img2pdf.FitMode.into
    )
    try:
        return img2pdf.convert(data, layout_fun=layout)
    except img2pdf.AlphaChannelError:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            flat = Image.new("RGB", image.size, "white")
            flat.paste(image, mask=image.convert("RGBA").getchannel("A"))
            buffer = io.BytesIO()
            flat.save(buffer, format="PNG")
        return img2pdf.convert(buffer.getvalue(), layout_fun=layout)


def office_to_pdf(data: bytes, *, kind: str) -> bytes:
    """Convert with LibreOffice in a private profile and folder; raises UploadRejected when it
    is not installed or the conversion fails."""
    soffice = soffice_path()
    if soffice is None:
        raise UploadRejected(
            _(
                "A Word or OpenDocument result cannot be signed on this server: save it as PDF "
                "and upload the PDF."
            )
        )
    with tempfile.TemporaryDirectory(prefix="portal-convert-") as folder:
        source = Path(folder) / f"result.{kind}"
        source.write_bytes(data)
        profile = Path(folder) / "profile"
        try:
            subprocess.run(  # noqa: S603  # nosec B603 # fixed arguments, our own temporary file
                [
                    soffice,
                    f"-env:UserInstallation={profile.as_uri()}",
                    "--headless",
                    "--norestore",
                    "--convert-to",
                    SOFFICE_PDF_FILTER,
                    "--outdir",
                    folder,
                    str(source),
                ],
                check=True,
                capture_output=True,
                timeout=settings.SIGNING_CONVERT_TIMEOUT,
            )
            return (Path(folder) / "result.pdf").read_bytes()
        except (subprocess.SubprocessError, OSError) as exc:
            raise UploadRejected(
                _("The result could not be converted to PDF: save it as PDF and upload the PDF.")
            ) from exc


def result_to_pdf(data: bytes, *, kind: str) -> bytes:
    """The result as PDF bytes: a PDF as it is, an image or office file converted.

    `kind` is the checked file kind (core.uploads). Raises UploadRejected for kinds that cannot
    be turned into a PDF here.
    """
    if kind == "pdf":
        return data
    if kind in IMAGE_KINDS:
        return image_to_pdf(data)
    if kind in OFFICE_KINDS:
        return office_to_pdf(data, kind=kind)
    raise UploadRejected(
        _("A result of this type cannot be signed: save it as PDF and upload the PDF.")
    )
