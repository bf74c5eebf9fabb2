"""The citizen's dossier pages under /me/dossiers/ (Danh sách giao dịch and the dossier form).

Another user's dossier, file or slip is a 404, never a 403: its existence is not revealed.
"""

from .files import (
    attachment_download,
    content_type_for,
    file_response,
    issued_response,
    pdf_response,
    result_download,
    slip_download,
    slip_response,
)
from .form import dossier_create, dossier_edit
from .letters import apology_download, stop_notice_download
from .pages import dossier_detail, dossier_list, dossier_withdraw
from .supplement import SupplementUploadHandler, dossier_supplement

__all__ = [
    "apology_download",
    "issued_response",
    "pdf_response",
    "stop_notice_download",
    "SupplementUploadHandler",
    "attachment_download",
    "content_type_for",
    "dossier_create",
    "dossier_detail",
    "dossier_edit",
    "dossier_list",
    "dossier_supplement",
    "dossier_withdraw",
    "file_response",
    "result_download",
    "slip_download",
    "slip_response",
]
