"""Vietnamese is the default language: every string of the portal has a reviewed translation."""

import re
from pathlib import Path

from django.conf import settings
from django.utils import translation

import pytest

CATALOGUES = [
    Path(settings.BASE_DIR) / "locale" / "vi" / "LC_MESSAGES" / "django.po",
    Path(settings.BASE_DIR) / "portal" / "vendor_locale" / "vi" / "LC_MESSAGES" / "django.po",
]


def _entries(path: Path):
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        text = "\n".join(lines)
        msgid = (
            "".join(re.findall(r'"(.*)"', text.split("msgid ", 1)[1].split("msgstr", 1)[0]))
            if "msgid " in text
            else ""
        )
        if not msgid:
            continue
        translations = re.findall(r'msgstr(?:\[\d\])? ((?:".*"\n?)+)', text + "\n")
        yield msgid, "#, fuzzy" in text, ["".join(re.findall(r'"(.*)"', t)) for t in translations]


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.parent.parent.parent.parent.name)
def test_every_string_is_translated_and_none_is_fuzzy(path):
    problems = [
        msgid for msgid, fuzzy, translated in _entries(path) if fuzzy or not all(translated)
    ]
    assert problems == [], f"{len(problems)} untranslated or fuzzy in {path}: {problems[:5]}"


def test_dossier_statuses_read_as_the_one_stop_system_says():
    from dossiers.constants import DossierStatus

    with translation.override("vi"):
        labels = {status.value: str(status.label) for status in DossierStatus}
    assert labels["submitted"] == "Chờ tiếp nhận"
    assert labels["supplement_requested"] == "Yêu cầu bổ sung"
    assert labels["awaiting_payment"] == "Chờ nộp phí"
    assert labels["approved"] == "Có kết quả"
