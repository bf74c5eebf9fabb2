"""Checking and storing uploaded files (DESIGN §9): by content, size-limited, private, versioned.

Files are judged by their bytes, never by the name or the browser's content type. Sizes are
enforced while the request streams (`LimitedUploadHandler`) and again while the stored file is
hashed chunk by chunk, so an upload never sits whole in memory. Stored names are random; the
sanitised original name is kept only for display and for `Content-Disposition`.
"""

import hashlib
import logging
import re
import unicodedata
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

import filetype

from . import antivirus

logger = logging.getLogger(__name__)
# Security events (refused uploads…) for the operators' log collection.
security_log = logging.getLogger("portal.security")

MB = 1024 * 1024
HEAD_BYTES = 8192
FILENAME_MAX_LENGTH = 120

# What each accepted type's bytes look like, and how it is served back.
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odt": "application/vnd.oasis.opendocument.text",
}
EXTENSION_ALIASES = {"jpeg": "jpg"}
PDF_MAGIC = b"%PDF-"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
# Entries an Office Open XML package of each kind must contain.
OOXML_ENTRIES = {
    "docx": {"[Content_Types].xml", "word/document.xml"},
    "xlsx": {"[Content_Types].xml", "xl/workbook.xml"},
}
# Any type a staff member may attach as a result.
RESULT_FILE_TYPES = ["pdf", "docx", "doc", "odt", "jpg", "png", "xlsx"]


class UploadRejected(Exception):
    """An uploaded file that cannot be accepted; the message is shown to the person."""


@dataclass(frozen=True)
class StoredFile:
    name: str  # the storage name (random)
    original_name: str  # sanitised, for display and download
    size: int
    sha256: str
    content_type: str
    kind: str


def type_labels(file_types: list[str]) -> str:
    return ", ".join(t.upper() for t in file_types)


def size_limit_mb(component_max_mb: int | None = None) -> int:
    """The effective limit: the component's, never above the portal-wide one."""
    limit = settings.UPLOAD_MAX_SIZE_MB
    if component_max_mb:
        limit = min(limit, component_max_mb)
    return limit


def sanitize_filename(name: str, max_length: int = FILENAME_MAX_LENGTH) -> str:
    """A display-safe file name: no path parts, no control characters, Vietnamese kept.

    "../../etc/passwd" -> "passwd"; "C:\\\\Users\\\\x\\\\đơn.pdf" -> "đơn.pdf"; "a\\x00b.pdf" -> "ab.pdf".
    """
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Drop control, format (bidi overrides), surrogate and private-use characters.
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = re.sub(r'[<>:"|?*;]', "_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    if not name:
        return "tep-dinh-kem"
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    ext = ext[:10]
    room = max_length - (len(ext) + 1 if ext else 0)
    stem = stem[:room].rstrip(" .") or "tep-dinh-kem"
    return f"{stem}.{ext}" if ext else stem


def extension_of(name: str) -> str:
    ext = name.rpartition(".")[2].lower() if "." in name else ""
    return EXTENSION_ALIASES.get(ext, ext)


def _zip_kind(file) -> str | None:
    """docx, xlsx or odt by the package's inner entries; None for any other ZIP."""
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
            for kind, required in OOXML_ENTRIES.items():
                if required <= names:
                    return kind
            if "mimetype" in names:
                with archive.open("mimetype") as entry:
                    if entry.read(len(ODT_MIMETYPE) + 2).strip() == ODT_MIMETYPE:
                        return "odt"
    except (zipfile.BadZipFile, OSError, KeyError, EOFError):
        return None
    finally:
        file.seek(0)
    return None


def sniff(file) -> str | None:
    """The accepted type this file's bytes are (pdf, png, jpg, doc, docx, xlsx, odt), or None."""
    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    if not head:
        return None
    guess = filetype.guess(head)
    guessed = guess.extension if guess else None
    if head.startswith(PDF_MAGIC) and guessed == "pdf":
        return "pdf"
    if head.startswith(PNG_MAGIC) and guessed == "png":
        return "png"
    if head.startswith(JPEG_MAGIC) and guessed == "jpg":
        return "jpg"
    if head.startswith(OLE_MAGIC):
        return "doc"
    if head.startswith(ZIP_MAGIC):
        return _zip_kind(file)
    return None


def _hash_and_measure(file, limit_bytes: int) -> tuple[str, int]:
    """SHA-256 and size, reading chunk by chunk; stops as soon as the limit is passed."""
    digest = hashlib.sha256()
    size = 0
    for chunk in file.chunks():
        size += len(chunk)
        if size > limit_bytes:
            raise UploadRejected(_too_big(limit_bytes // MB))
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest(), size


def _too_big(limit_mb: int) -> str:
    return _("The file is larger than %(mb)s MB.") % {"mb": limit_mb}


def _scan(file) -> None:
    """The virus scan when CLAMD_URL is set: malware, or a scanner that cannot answer, is
    refused (fail-closed) and logged for the operators."""
    try:
        antivirus.check(file)
    except antivirus.ScannerUnavailable as exc:
        security_log.error("upload refused: virus scanning unavailable (%s)", exc)
        raise UploadRejected(
            _(
                "Virus scanning is unavailable at the moment, so the file cannot be accepted. Please try again later."
            )
        ) from exc
    except antivirus.MalwareFound as exc:
        security_log.warning("upload refused: malware %s", exc.signature)
        raise UploadRejected(
            _("The file contains a virus or other malware (%(name)s) and was not accepted.")
            % {"name": exc.signature}
        ) from exc


def check_file(file, *, file_types: list[str], max_size_mb: int | None = None) -> StoredFile:
    """Validate one upload against accepted `file_types` and the size limit. Nothing is stored.

    Raises `UploadRejected` with a translated message: empty file, too large, a type not
    accepted, content that is not what the name says (a renamed program, HTML named .pdf), or,
    when virus scanning is on (`core.antivirus`), malware or a scanner that cannot be reached.
    Returns the facts to store (the `name` field is empty until `store_file`).
    """
    original = sanitize_filename(getattr(file, "name", "") or "")
    limit_mb = size_limit_mb(max_size_mb)
    if file.size is not None and file.size > limit_mb * MB:
        raise UploadRejected(_too_big(limit_mb))
    if not file.size:
        raise UploadRejected(_("The file is empty."))
    accepted = [EXTENSION_ALIASES.get(t, t) for t in file_types]
    ext = extension_of(original)
    if ext not in accepted:
        raise UploadRejected(
            _("Files of this type are not accepted here. Accepted types: %(types)s.")
            % {"types": type_labels(file_types)}
        )
    kind = sniff(file)
    if kind != ext:
        raise UploadRejected(
            _(
                "The content of the file is not a valid %(type)s document: it may be damaged or "
                "renamed. Accepted types: %(types)s."
            )
            % {"type": ext.upper(), "types": type_labels(file_types)}
        )
    sha256, size = _hash_and_measure(file, limit_mb * MB)
    if size == 0:
        raise UploadRejected(_("The file is empty."))
    _scan(file)
    return StoredFile(
        name="",
        original_name=original,
        size=size,
        sha256=sha256,
        content_type=CONTENT_TYPES[kind],
        kind=kind,
    )


# The files stored inside the innermost `uploads_undone_on_error` block, if any.
_stored_in_block: ContextVar[list[str] | None] = ContextVar("stored_in_block", default=None)


@contextmanager
def uploads_undone_on_error() -> Iterator[None]:
    """Around a transaction that stores uploads: if the block fails (its transaction rolled
    back, or the database went away before the commit), the files stored in it are deleted,
    so no file is left without the row that names it."""
    stored: list[str] = []
    token = _stored_in_block.set(stored)
    try:
        yield
    except BaseException:
        for name in stored:
            try:
                default_storage.delete(name)
            except Exception:  # the original error matters more; the file is only orphaned
                logger.exception("could not delete %s after a failed transaction", name)
        raise
    finally:
        _stored_in_block.reset(token)


def undo_on_error(name: str) -> None:
    """Inside `uploads_undone_on_error`, have the stored file `name` deleted if the block fails
    (for files a service writes itself, such as a signed document)."""
    stored = _stored_in_block.get()
    if stored is not None:
        stored.append(name)


def store_file(file, *, checked: StoredFile, folder: str) -> StoredFile:
    """Save a checked upload in the private default storage under a random name.

    The storage streams it (a temporary upload is moved, not read into memory) and never
    overwrites: the name is new. Inside `uploads_undone_on_error`, a failure of the block
    deletes it again.
    """
    file.seek(0)
    name = default_storage.save(f"{folder}/{uuid.uuid4().hex}.{checked.kind}", file)
    undo_on_error(name)
    return StoredFile(
        name=name,
        original_name=checked.original_name,
        size=checked.size,
        sha256=checked.sha256,
        content_type=checked.content_type,
        kind=checked.kind,
    )


class LimitedUploadHandler(FileUploadHandler):
    """First upload handler of the dossier forms: refuses files while they stream in.

    A file over its field's size limit, or past the number of files a field may carry, is
    skipped (`SkipFile`): the rest of its bytes are read and discarded, never stored, and
    the reason is kept in `rejected` for the form to show. Other handlers (temporary file on
    disk above FILE_UPLOAD_MAX_MEMORY_SIZE) receive the chunks it lets through.
    """

    def __init__(self, request=None, *, limits_mb: dict[str, int] | None = None):
        super().__init__(request)
        self.limits_mb = limits_mb or {}
        self.rejected: dict[str, list[str]] = {}
        self.counts: dict[str, int] = {}
        self.received = 0
        self.limit_bytes = 0
        self.refusal = ""

    def new_file(self, field_name, file_name, content_type, content_length, charset=None, *a):
        super().new_file(field_name, file_name, content_type, content_length, charset, *a)
        self.received = 0
        self.refusal = ""
        limit_mb = self.limits_mb.get(field_name, settings.UPLOAD_MAX_SIZE_MB)
        self.limit_bytes = limit_mb * MB
        self.counts[field_name] = self.counts.get(field_name, 0) + 1
        max_files = settings.UPLOAD_MAX_FILES_PER_COMPONENT
        # Refused on the first chunk, not here: raising SkipFile before the next handlers have
        # opened this file would make the parser close the previous file of the request.
        if self.counts[field_name] > max_files:
            self.refusal = ngettext(
                "%(name)s: at most %(n)s file can be attached here.",
                "%(name)s: at most %(n)s files can be attached here.",
                max_files,
            ) % {"name": sanitize_filename(file_name), "n": max_files}
        elif content_length is not None and content_length > self.limit_bytes:
            self.refusal = f"{sanitize_filename(file_name)}: {_too_big(limit_mb)}"

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if not self.refusal and self.received > self.limit_bytes:
            self.refusal = (
                f"{sanitize_filename(self.file_name or '')}: {_too_big(self.limit_bytes // MB)}"
            )
        if self.refusal:
            self.rejected.setdefault(self.field_name, []).append(self.refusal)
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None
