"""Reading signed PDFs back with pyHanko's own validator (not the portal's verification code)."""

import io


def simple_pdf(text: str = "Kết quả giải quyết") -> bytes:
    """A one-page PDF rendered by WeasyPrint (the portal's own renderer)."""
    from weasyprint import HTML

    return HTML(string=f"<p>{text}</p>").write_pdf()


def signatures(data: bytes):
    from pyhanko.pdf_utils.reader import PdfFileReader

    return PdfFileReader(io.BytesIO(data)).embedded_signatures


def validate(data: bytes, pki, index: int = 0):
    """pyHanko's validation of one embedded signature under the test root, fetching OCSP and
    CRLs from the loopback responders."""
    from pyhanko.sign.validation import async_validate_pdf_signature

    from signing.aio import run_coroutine

    embedded = signatures(data)[index]
    # The coroutine run in its own thread when a browser test's event loop runs here.
    return run_coroutine(
        async_validate_pdf_signature(
            embedded, signer_validation_context=pki.validation_context(), skip_diff=False
        )
    )


def has_dss(data: bytes) -> bool:
    from pyhanko.pdf_utils.reader import PdfFileReader

    return "/DSS" in PdfFileReader(io.BytesIO(data)).root
