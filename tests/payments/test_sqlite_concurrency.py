"""The embedded default (SQLite, `make run`) under eight simultaneous payment notifications.

A real development server (runserver, one thread per request) on a SQLite file made for the test:
eight valid IPNs for one payment fired at the same instant confirm it exactly once, answer `00`
once and `02` to the others, and none fails with "database is locked" (`99`).
"""

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

from django.conf import settings

import pytest

from tests.conftest import free_port, run_manage

from .conftest import SECRET, TMN_CODE

NOTIFICATIONS = 8
MARKER = "IPN-PARAMS:"

# Run inside `manage.py shell` against the SQLite file: one online payment waiting for its IPN.
SEED = f"""
import json
from payments import services
from tests.payments.conftest import ipn_params
from tests.payments.factories import DossierFactory, StaffFactory
from tests.procedures.factories import FeeFactory

dossier = DossierFactory()
FeeFactory(procedure=dossier.procedure, name="Lệ phí cấp giấy phép", amount=100_000)
notice = services.fee_notice_issue(
    dossier_id=dossier.pk,
    items=[("Lệ phí cấp giấy phép", 100_000)],
    actor=StaffFactory(is_superuser=True),
)
payment = services.payment_start_online(
    fee_notice_id=notice.pk, user=dossier.applicant, provider="vnpay", bank_code="NCB"
)
print({MARKER!r} + json.dumps(ipn_params(payment)))
"""


def _manage(env: dict, *args: str) -> str:
    result = run_manage(*args, env=env, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _wait_up(url: str, server: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, "the development server exited"
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback)
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not come up")


@pytest.fixture
def sqlite_env(tmp_path) -> dict:
    """The environment of `make run` on a fresh SQLite file (no Redis: eager Celery)."""
    drop = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        DEBUG="true",
        DJANGO_PRODUCTION="false",
        MEDIA_ROOT=str(tmp_path / "media"),
        VNPAY_TMN_CODE=TMN_CODE,
        VNPAY_HASH_SECRET=SECRET,
        PAYMENT_PROVIDERS="vnpay",
        EMAIL_URL="consolemail://",
    )
    return env


def test_simultaneous_ipns_on_sqlite_confirm_once_without_locking_errors(sqlite_env, tmp_path):
    _manage(sqlite_env, "migrate", "--no-input", "-v", "0")
    seeded = _manage(sqlite_env, "shell", "-v", "0", "-c", SEED)
    params = json.loads(
        next(ln for ln in seeded.splitlines() if ln.startswith(MARKER))[len(MARKER) :]
    )

    port = free_port()
    log = (tmp_path / "runserver.log").open("w")
    server = subprocess.Popen(  # noqa: S603 (our own manage.py)
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=settings.BASE_DIR,
        env=sqlite_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_up(f"http://127.0.0.1:{port}/healthz", server)
        url = f"http://127.0.0.1:{port}/payments/vnpay/ipn/?{urllib.parse.urlencode(params)}"
        barrier = threading.Barrier(NOTIFICATIONS)
        answers: list[str] = []
        errors: list[BaseException] = []

        def notify() -> None:
            try:
                barrier.wait(timeout=10)
                with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310
                    answers.append(json.load(response)["RspCode"])
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=notify) for _ in range(NOTIFICATIONS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=90)
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()

    server_log = (tmp_path / "runserver.log").read_text()
    assert not errors, server_log[-3000:]
    assert sorted(answers) == ["00"] + ["02"] * (NOTIFICATIONS - 1), server_log[-3000:]
    db = sqlite3.connect(tmp_path / "portal.sqlite3")
    try:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("SELECT status FROM payments_payment").fetchall() == [("confirmed",)]
        confirmed = "SELECT count(*) FROM dossiers_dossierevent WHERE action = 'payment_confirmed'"
        assert db.execute(confirmed).fetchone() == (1,)
        logged = db.execute("SELECT result_code FROM payments_paymentnotification").fetchall()
        assert sorted(code for (code,) in logged) == sorted(answers)
    finally:
        db.close()
