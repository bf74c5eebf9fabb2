"""The sandbox bank is an app of its own, present only where it is enabled (never production)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# What a process of the portal sees of the sandbox bank: its app, its tables once every
# migration ran (read from the migration files, no database needed), and its pages.
PROBE = """
import json

import django

django.setup()

from django.apps import apps
from django.conf import settings
from django.db.migrations.loader import MigrationLoader
from django.urls import Resolver404, resolve

state = MigrationLoader(None, ignore_no_migrations=True).project_state()
try:
    resolve("/sandbox-bank/pay")
    mounted = True
except Resolver404:
    mounted = False
print(json.dumps({
    "enabled": settings.SANDBOX_BANK_ENABLED,
    "installed": apps.is_installed("payments_sandbox"),
    "tables": sorted(f"{app}.{name}" for app, name in state.models if "sandbox" in name),
    "mounted": mounted,
}))
"""


def _probe(**env: str) -> dict:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("SANDBOX_BANK_ENABLED", "DJANGO_PRODUCTION")
    }
    environment.update(DJANGO_SETTINGS_MODULE="portal.settings", **env)
    done = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_production_has_no_sandbox_app_table_or_pages():
    seen = _probe(
        DJANGO_PRODUCTION="true",
        SECRET_KEY="production-like-secret-0123456789abcdefghijklmnopqrstuvwxyz",
        ALLOWED_HOSTS="dichvucong.example.gov.vn",
    )
    assert seen == {"enabled": False, "installed": False, "tables": [], "mounted": False}


def test_development_installs_and_migrates_the_sandbox_bank():
    seen = _probe(DJANGO_PRODUCTION="false")
    assert seen == {
        "enabled": True,
        "installed": True,
        "tables": ["payments_sandbox.sandboxtransaction"],
        "mounted": True,
    }
