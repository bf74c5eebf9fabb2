import unicodedata
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dossiers.constants import DossierStatus as S
from tracking.constants import Timeliness
from tracking.selectors import dossier_timeliness, mask_name, normalise_code

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
TODAY = date(2026, 11, 20)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("CBC-261125-0001", "CBC-261125-0001"),
        ("  cbc-261125-0001 ", "CBC-261125-0001"),
        ("cBc - 261125 - 0001", "CBC-261125-0001"),
        ("CBC 261125\t-0001\n", "CBC-261125-0001"),
        ("CBC 261125 0001", "CBC-261125-0001"),
        ("cbc2611250001", "CBC-261125-0001"),
        ("so-ttt-261125-0001", "SO-TTT-261125-0001"),
        ("not a code", "NOTACODE"),
        ("cbc–261125—0001", "CBC-261125-0001"),  # dashes pasted from a word processor
        ("ＣＢＣ-２６１１２５-０００１", "CBC-261125-0001"),  # full-width
        ("", ""),
        (None, ""),
    ],
)
def test_normalise_code_accepts_any_case_and_spaces(raw, expected):
    assert normalise_code(raw) == expected


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("Nguyễn Văn An", "Nguyễn V** A*"),
        ("Trần Thị Ngọc Ánh", "Trần T** N*** Á**"),
        ("  Lê   Đức  ", "Lê Đ**"),
        ("Đặng Thị Hương", "Đặng T** H****"),
        ("Madonna", "M******"),
        ("Ý", "Ý"),
        ("Công ty TNHH Phần mềm Sao Mai", "Công t* T*** P*** m** S** M**"),
        ("", ""),
    ],
)
def test_mask_name_keeps_the_first_word_and_initials(name, masked):
    assert mask_name(name) == masked


def test_mask_name_counts_letters_not_combining_marks():
    decomposed = unicodedata.normalize("NFD", "Nguyễn Văn Hưởng")
    assert len(decomposed) > len("Nguyễn Văn Hưởng")
    assert mask_name(decomposed) == "Nguyễn V** H****"


def _at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=HANOI)


@pytest.mark.parametrize(
    ("status", "due", "completed", "expected"),
    [
        (S.PROCESSING, TODAY, None, Timeliness.ON_SCHEDULE),
        (S.PROCESSING, TODAY - timedelta(days=1), None, Timeliness.OVERDUE),
        (S.RECEIVED, TODAY - timedelta(days=1), None, Timeliness.OVERDUE),
        (S.SUPPLEMENT_REQUESTED, TODAY - timedelta(days=9), None, Timeliness.WAITING_FOR_APPLICANT),
        (S.AWAITING_PAYMENT, TODAY - timedelta(days=9), None, Timeliness.WAITING_FOR_APPLICANT),
        (S.APPROVED, TODAY, _at(TODAY, 23), Timeliness.COMPLETED_ON_TIME),
        (S.RETURNED, TODAY, _at(TODAY + timedelta(days=1), 0), Timeliness.COMPLETED_LATE),
        (S.REJECTED, TODAY - timedelta(days=9), None, ""),
        (S.WITHDRAWN, TODAY - timedelta(days=9), None, ""),
        (S.PROCESSING, None, None, ""),
    ],
)
def test_timeliness(status, due, completed, expected):
    got = dossier_timeliness(status=status, due_date=due, completed_at=completed, today=TODAY)
    assert got == expected
