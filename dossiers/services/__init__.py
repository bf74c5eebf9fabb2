"""Every write to a dossier goes through these services (STYLE: rooms and doors)."""

from .codes import dossier_code_next, lookup_secret_generate
from .drafts import (
    APPLICANT_FIELDS,
    applicant_prefill,
    attachment_add,
    attachment_remove,
    dossier_draft_open,
    dossier_draft_save,
    dossier_lock_for_applicant,
    dossier_missing_components,
    dossier_submit,
    dossier_withdraw,
)
from .notify import dossier_notify, dossier_urls
from .processing import (
    agency_today,
    dossier_approve,
    dossier_payment_settled,
    dossier_receive,
    dossier_reject,
    dossier_request_payment,
    dossier_request_supplement,
    dossier_return_result,
    dossier_start_processing,
)
from .transitions import (
    DossierError,
    TransitionRefused,
    TransitionResult,
    available_targets,
    dossier_transition,
)

__all__ = [
    "APPLICANT_FIELDS",
    "DossierError",
    "TransitionRefused",
    "TransitionResult",
    "agency_today",
    "applicant_prefill",
    "attachment_add",
    "attachment_remove",
    "available_targets",
    "dossier_approve",
    "dossier_code_next",
    "dossier_draft_open",
    "dossier_draft_save",
    "dossier_lock_for_applicant",
    "dossier_missing_components",
    "dossier_notify",
    "dossier_payment_settled",
    "dossier_receive",
    "dossier_reject",
    "dossier_request_payment",
    "dossier_request_supplement",
    "dossier_return_result",
    "dossier_start_processing",
    "dossier_submit",
    "dossier_transition",
    "dossier_urls",
    "dossier_withdraw",
    "lookup_secret_generate",
]
