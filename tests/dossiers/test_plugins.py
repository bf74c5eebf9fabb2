"""The apps built on dossiers plug into its pages, its admin and its staff groups; the dossiers
app itself names none of them."""

import re
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group

import pytest

from accounts import backends
from dossiers import plugins
from dossiers.groups import PROCESSING_GROUP, RECEPTION_GROUP, groups_setup
from dossiers.models import Dossier

ROOT = Path(settings.BASE_DIR)
UPPER_APPS = ("payments", "tracking")
# An import, a template path, a template tag library, a URL name, a permission or an app label
# of an upper app: plain words in prose ("the payments panel") are not references.
_APP = "|".join(UPPER_APPS)
REFERENCE = re.compile(
    rf"(?:\b(?:from|import)\s+(?:{_APP})\b)"
    rf"|(?:\b(?:{_APP})[._:/]\w)"
    rf"|(?:[\"'](?:{_APP})[\"'])"
)


def _dossiers_sources():
    """Every code and template file of the dossiers app. Its migrations are left out: they are
    the record of past schemas and data moves, never run against the current code."""
    for path in sorted((ROOT / "dossiers").rglob("*")):
        if path.suffix in {".py", ".html", ".txt"} and "migrations" not in path.parts:
            yield path
    yield from sorted((ROOT / "templates" / "dossiers").rglob("*.html"))


def test_the_reference_pattern_finds_what_a_lower_app_must_not_name():
    named = [
        "from payments.models import Payment",
        '{% include "tracking/dossier_panel.html" %}',
        "{% load payments_tags %}",
        'reverse("admin:payments_feenotice_add")',
        '"payments.view_payment"',
        'apps.is_installed("tracking")',
    ]
    prose = ["# Awaiting payment belongs to the payments panel.", "(called by payments)."]
    assert all(REFERENCE.search(text) for text in named)
    assert not any(REFERENCE.search(text) for text in prose)


def test_the_dossiers_app_names_neither_payments_nor_tracking():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _dossiers_sources()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if REFERENCE.search(line)
    ]
    assert found == []


def test_payments_and_tracking_plug_their_panels_into_the_dossier_page(rf):
    panels = plugins.detail_panels(rf.get("/"), Dossier())

    assert [p["template"] for p in panels["after_documents"]] == ["payments/dossier_panel.html"]
    assert [p["template"] for p in panels["after_history"]] == ["tracking/dossier_panel.html"]


def test_a_panel_gets_its_own_context_and_registering_it_twice_adds_it_once(rf, monkeypatch):
    monkeypatch.setattr(plugins, "_detail_panels", [])
    dossier = Dossier(code="VBC-270310-0001")

    def context(request, dossier):
        return {"code": dossier.code}

    plugins.register_detail_panel("x/panel.html", context, place="after_history")
    plugins.register_detail_panel("x/panel.html", context, place="after_history")

    assert plugins.detail_panels(rf.get("/"), dossier) == {
        "after_documents": [],
        "after_history": [{"template": "x/panel.html", "context": {"code": "VBC-270310-0001"}}],
    }
    with pytest.raises(ValueError, match="unknown panel place"):
        plugins.register_detail_panel("x/other.html", place="sidebar")


def test_an_admin_link_nobody_registered_is_empty():
    dossier = Dossier(pk=7)

    assert plugins.admin_link_url("no_such_link", dossier) == ""
    assert plugins.admin_link_url("fee_notice", dossier).endswith("?dossier=7")


@pytest.mark.django_db
def test_the_staff_groups_get_the_permissions_payments_registers():
    groups_setup()

    def perms(name):
        group = Group.objects.get(name=name)
        return {
            f"{app}.{codename}"
            for app, codename in group.permissions.values_list(
                "content_type__app_label", "codename"
            )
        }

    assert {"payments.view_payment", "payments.change_payment"} <= perms(RECEPTION_GROUP)
    assert "payments.add_feenotice" not in perms(RECEPTION_GROUP)
    assert {"payments.add_feenotice", "dossiers.process_dossier"} <= perms(PROCESSING_GROUP)


def test_procedures_registers_the_staff_membership_the_cached_user_loads():
    assert "staff_membership" in backends._cached_relations
