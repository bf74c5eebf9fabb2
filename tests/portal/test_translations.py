"""Vietnamese is the default language: every string of the portal has a reviewed translation."""

import re
import shutil
import subprocess
import sys
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


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext tools are not installed")
def test_every_string_in_the_code_has_a_reviewed_translation(tmp_path):
    """`makemessages` run on a copy of the code finds no string the catalogue lacks: a new
    label, message or template text cannot reach a Vietnamese page in English."""
    base = Path(settings.BASE_DIR)
    skip = {".venv", ".git", "var", "test-artifacts", "benchmarks", "node_modules"}
    for item in base.iterdir():
        if item.name in skip or item.name.startswith("."):
            continue
        target = tmp_path / item.name
        if item.is_dir():
            shutil.copytree(item, target, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
        else:
            shutil.copy2(item, target)
    subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "makemessages", "-l", "vi", "--no-obsolete", "-v", "0"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    problems = [
        msgid
        for msgid, fuzzy, translated in _entries(tmp_path / "locale/vi/LC_MESSAGES/django.po")
        if fuzzy or not all(translated)
    ]
    assert problems == [], f"{len(problems)} strings without a translation: {problems[:10]}"
