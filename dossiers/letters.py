"""The late and stop documents, printed like the slips (`documents`): always in Vietnamese, one
A4 page, rendered by WeasyPrint.

- the apology letter and new appointment (Phiếu xin lỗi và hẹn lại ngày trả kết quả, Circular
  01/2018 form 04), signed by a leader of the agency;
- the stop notice (Thông báo dừng giải quyết hồ sơ), signed by the leader who stopped it;
- the processing-control slip (Phiếu kiểm soát quá trình giải quyết hồ sơ, form 05): every
  hand-over of the dossier, who handed it to whom and when, the step's deadline and how the step
  ended (early, on time, late). Staff only.
"""

from django.conf import settings
from django.utils import timezone

from .constants import ApologyStatus, DossierStatus, HandOverKind, StepOutcome
from .documents import AGENCY_TZ, render_pdf, verify_context
from .models import ApologyLetter, Dossier, HandOver
from .selectors import dossier_handovers

# The printed words of the control slip: the form is Vietnamese whatever the reader's language.
OUTCOME_VI: dict[str, str] = {
    StepOutcome.EARLY: "Trước hạn",
    StepOutcome.ON_TIME: "Đúng hạn",
    StepOutcome.LATE: "Quá hạn",
}
HANDOVER_VI: dict[str, str] = {
    HandOverKind.FORWARD: "Chuyển bước tiếp theo",
    HandOverKind.BACK: "Trả lại bước trước",
    HandOverKind.ASSIGN: "Phân công xử lý",
    HandOverKind.TAKE: "Nhận xử lý",
    HandOverKind.FINISH: "Trả kết quả",
    HandOverKind.STOP: "Dừng giải quyết",
}
LETTER_FILENAMES = {
    "apology": "phieu-xin-loi-hen-lai",
    "stop": "thong-bao-dung-giai-quyet",
    "control": "phieu-kiem-soat",
}


def letter_filename(dossier: Dossier, kind: str) -> str:
    return f"{LETTER_FILENAMES[kind]}-{dossier.code or dossier.pk}.pdf"


def _local(value):
    return timezone.localtime(value, AGENCY_TZ) if value else None


def _person(user) -> str:
    return (user.get_full_name() or user.email) if user is not None else ""


def _unit(unit) -> str:
    # The Vietnamese name: the form is printed in Vietnamese whatever the reader's language.
    return unit.name if unit is not None else ""


def _base_context(dossier: Dossier, day) -> dict:
    return {
        "dossier": dossier,
        "procedure": dossier.procedure,
        "agency": dossier.agency,
        "today": day,
        "received_at": _local(dossier.received_at),
        "PORTAL_NAME": settings.PORTAL_NAME,
        "SITE_URL": settings.SITE_URL,
    }


def apology_letter_pdf(letter: ApologyLetter, *, verify_url: str = "") -> bytes:
    """The apology letter and new appointment: the date promised, the reason, the apology and
    the new date, signed by the leader (a draft prints "Dự thảo" and no signature); the QR code
    of `verify_url` top left once issued."""
    dossier = letter.dossier
    signed = letter.status == ApologyStatus.SIGNED
    context = _base_context(dossier, _local(letter.signed_at if signed else letter.drafted_at))
    context |= {
        "letter": letter,
        "signed": signed,
        "signer": _person(letter.signed_by),
        "unit": _unit(letter.unit),
        **verify_context(verify_url),
    }
    return render_pdf(template="dossiers/pdf/apology.html", context=context)


def stop_notice_pdf(dossier: Dossier, *, verify_url: str = "") -> bytes:
    """The notice that processing of `dossier` stopped, with the reason and the signing leader.
    Precondition: the dossier is stopped."""
    if dossier.status != DossierStatus.STOPPED:
        raise ValueError("not stopped")
    stopped_at = _local(dossier.completed_at) or _local(timezone.now())
    context = _base_context(dossier, stopped_at)
    context |= {
        "signer": _person(dossier.stopped_by),
        "stopped_at": stopped_at,
        **verify_context(verify_url),
    }
    return render_pdf(template="dossiers/pdf/stop_notice.html", context=context)


def control_rows(handovers: list[HandOver]) -> list[dict]:
    """The lines of the control slip, in the printed words."""
    rows = []
    for line in handovers:
        from_unit = _unit(line.from_unit)
        to_unit = _unit(line.to_unit)
        if line.kind == HandOverKind.FINISH:
            to_unit = to_unit or "Tổ chức, cá nhân"
        rows.append(
            {
                "kind": HANDOVER_VI.get(line.kind, line.kind),
                "from_unit": from_unit,
                "from_user": _person(line.from_user),
                "to_unit": to_unit,
                "to_user": _person(line.to_user),
                "at": _local(line.created_at),
                "deadline": _local(line.step_deadline),
                "outcome": OUTCOME_VI.get(line.outcome, ""),
                "late": line.outcome == StepOutcome.LATE,
                "reason": line.reason,
            }
        )
    return rows


def control_slip_pdf(dossier: Dossier, *, verify_url: str = "") -> bytes:
    """The processing-control slip of `dossier`: one line per hand-over, in order."""
    context = _base_context(dossier, _local(timezone.now()))
    context |= {
        **verify_context(verify_url),
        "rows": control_rows(dossier_handovers(dossier)),
        "due_date": dossier.due_date,
        "appointment_date": dossier.appointment_date,
    }
    return render_pdf(template="dossiers/pdf/control_slip.html", context=context)
