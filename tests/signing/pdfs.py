"""PDFs for the verification tests: a plain one, signed ones (pyHanko, test PKI), tampered ones."""

from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter
from pyhanko.sign import signers, timestamps

from signing.aio import run_coroutine

# A word of the page's text that a tampering test changes (same length, so the file stays whole).
MARK = b"GENUINE-TEXT"


def plain_pdf(text: bytes = MARK) -> bytes:
    """A one-page PDF whose content stream shows `text`."""
    writer = PdfFileWriter()
    font = generic.DictionaryObject(
        {
            generic.pdf_name("/Type"): generic.pdf_name("/Font"),
            generic.pdf_name("/Subtype"): generic.pdf_name("/Type1"),
            generic.pdf_name("/BaseFont"): generic.pdf_name("/Helvetica"),
        }
    )
    resources = generic.DictionaryObject(
        {
            generic.pdf_name("/Font"): generic.DictionaryObject(
                {generic.pdf_name("/F1"): writer.add_object(font)}
            )
        }
    )
    stream = generic.StreamObject(stream_data=b"BT /F1 18 Tf 72 720 Td (" + text + b") Tj ET")
    page = PageObject(
        contents=writer.add_object(stream), media_box=(0, 0, 595, 842), resources=resources
    )
    writer.insert_page(page)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def signed_pdf(
    signer,
    *,
    tsa_url: str | None = None,
    person: str = "Nguyễn Văn An",
    reason: str = "Giám đốc — phê duyệt kết quả",
    data: bytes | None = None,
    field_name: str = "Signature1",
) -> bytes:
    """`data` (default: a plain PDF) signed by `signer`, timestamped when `tsa_url` is given."""
    writer = IncrementalPdfFileWriter(BytesIO(data or plain_pdf()), strict=False)
    meta = signers.PdfSignatureMetadata(field_name=field_name, name=person, reason=reason)
    timestamper = timestamps.HTTPTimeStamper(tsa_url) if tsa_url else None
    out = run_coroutine(
        signers.async_sign_pdf(writer, meta, signer=signer, timestamper=timestamper)
    )
    return out.getvalue()


def one_byte_changed(data: bytes) -> bytes:
    """The same file with one byte of the signed page text changed."""
    at = data.index(MARK)
    return data[:at] + b"F" + data[at + 1 :]


def edited_after_signing(data: bytes) -> bytes:
    """An incremental update after the signature that replaces the page's text."""
    writer = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    page_ref = writer.root["/Pages"]["/Kids"].raw_get(0)
    page = page_ref.get_object()
    stream = generic.StreamObject(stream_data=b"BT /F1 18 Tf 72 720 Td (FORGED-TEXT) Tj ET")
    page["/Contents"] = writer.add_object(stream)
    writer.mark_update(page_ref)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def text_field_filled_after_signing(data: bytes) -> bytes:
    """An incremental update after the signature that adds a filled-in text field."""
    writer = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    page_ref = writer.root["/Pages"]["/Kids"].raw_get(0)
    page = page_ref.get_object()
    field = generic.DictionaryObject(
        {
            generic.pdf_name("/FT"): generic.pdf_name("/Tx"),
            generic.pdf_name("/T"): generic.TextStringObject("Amount"),
            generic.pdf_name("/V"): generic.TextStringObject("999.999.999"),
            generic.pdf_name("/Type"): generic.pdf_name("/Annot"),
            generic.pdf_name("/Subtype"): generic.pdf_name("/Widget"),
            generic.pdf_name("/Rect"): generic.ArrayObject(
                [generic.FloatObject(v) for v in (72, 600, 272, 620)]
            ),
            generic.pdf_name("/P"): page_ref,
        }
    )
    field_ref = writer.add_object(field)
    annots = page["/Annots"]
    annots.append(field_ref)
    writer.update_container(annots)
    fields = writer.root["/AcroForm"]["/Fields"]
    fields.append(field_ref)
    writer.update_container(fields)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
