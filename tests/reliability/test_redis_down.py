"""Redis down: the portal serves without its cache, and loses nothing a citizen sent.

Every cache call fails open (core/redis_cache.py): pages are built, sessions (cached_db) and the
signed-in user come from PostgreSQL, the rate limits (the lookup's and allauth's) count in each
process, one warning a minute is logged, and `/healthz` says `degraded`. The Redis that goes
away is real: a closed port, or a redis-server the test started and stops.
"""

import logging
import threading
import time
import uuid
from datetime import timedelta

from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string

import pytest
import redis

from accounts import tasks
from accounts.models import OutgoingEmail
from core import redis_cache
from dossiers.constants import DossierStatus
from dossiers.models import Attachment, Dossier
from tests.conftest import celery_worker_argv, free_port
from tests.dossiers.factories import (
    APPLICANT_FORM,
    PDF_BYTES,
    DossierComponentFactory,
    ProcedureFactory,
)
from tests.tracking.factories import DossierFactory, UserFactory

from .conftest import Visitor, gunicorn, portal_env, process

pytestmark = [pytest.mark.services, pytest.mark.xdist_group("celery-worker")]

PASSWORD = "Mat-khau-an-toan-2026"
WARNING = "cache unavailable, serving without it"


def _redis_caches(url: str) -> dict:
    """The portal's Redis cache settings (portal/settings.py), on the Redis at `url`."""
    from django.conf import settings

    default = settings.CACHES["default"]
    if not default["BACKEND"].endswith("redis_cache.RedisCache"):  # no REDIS_URL here
        default = {
            "BACKEND": "core.redis_cache.RedisCache",
            "LOCAL_WHEN_DOWN": ["ratelimit:", "allauth:rl:"],
            "OPTIONS": {"socket_connect_timeout": 1.0, "socket_timeout": 1.0},
        }
    return {"default": {**default, "LOCATION": url}}


@pytest.fixture
def closed_redis_url():
    return f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there


@pytest.fixture
def redis_backend(closed_redis_url, settings):
    """The portal's cache, on a port where nothing listens."""
    settings.CACHES = _redis_caches(closed_redis_url)
    yield
    redis_cache._outages.clear()


def _citizen(**kwargs):
    """A citizen whose password the portal's own hasher checks (the tests use MD5)."""
    user = UserFactory(**kwargs)
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, get_random_string(12))
    user.save(update_fields=["password"])
    return user


@pytest.fixture
def procedure():
    procedure = ProcedureFactory(name="Cấp giấy phép bưu chính")
    for name in ("Đơn đề nghị", "Bản sao giấy chứng nhận đăng ký doanh nghiệp"):
        DossierComponentFactory(procedure=procedure, name=name, file_types=["pdf"])
    # Read here: the thread that submits must not open a database connection of its own.
    procedure.component_ids = list(procedure.components.values_list("pk", flat=True))
    return procedure


def _submit(visitor: Visitor, procedure, n: int) -> str:
    """Fill in and send the dossier form with one PDF per component; the answer's Location."""
    path = reverse("dossiers:create", args=[procedure.slug])
    form = visitor.get(path)
    assert form.status_code == 200, form.status_code
    data = {
        "csrfmiddlewaretoken": visitor.field(form.text, "csrfmiddlewaretoken"),
        "form_token": visitor.field(form.text, "form_token"),
        "action": "submit",
        **APPLICANT_FORM,
    }
    files = {
        f"component_{pk}": (f"to-khai-{n}-{pk}.pdf", PDF_BYTES) for pk in procedure.component_ids
    }
    answer = visitor.http.post(
        f"{visitor.base}{path}",
        data=data,
        files=files,
        headers={"Referer": f"{visitor.base}{path}"},
        allow_redirects=False,
        timeout=60,
    )
    assert answer.status_code == 302, answer.text[:3000]
    return answer.headers["Location"]


def _wait_until(condition, errors: list, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert not errors, f"the run of requests failed: {errors[0]!r}"
        assert time.monotonic() < deadline, "the run of requests stalled"
        time.sleep(0.1)


def _stale_outbox() -> None:
    OutgoingEmail.objects.filter(status="pending").update(
        last_queued_at=timezone.now() - timedelta(minutes=5)
    )


# --- The backend, in this process -----------------------------------------------------------


def test_every_cache_call_fails_open_and_fast(redis_backend):
    from django.core.cache import cache

    started = time.monotonic()
    cache.set("k", "v")
    cache.set_many({"a": 1, "b": 2})
    assert cache.get("k") is None
    assert cache.get("k", "default") == "default"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.add("k", "v") is False
    assert cache.delete("k") is False
    cache.delete_many(["a", "b"])
    assert cache.has_key("k") is False
    assert cache.get_or_set("k", "built") == "built"
    assert time.monotonic() - started < 3


def test_one_warning_a_minute_not_one_a_request(redis_backend, caplog, monkeypatch):
    from django.core.cache import cache

    clock = [1000.0]
    monkeypatch.setattr(redis_cache, "_now", lambda: clock[0])
    with caplog.at_level(logging.WARNING, logger="core.redis_cache"):
        for _ in range(30):
            clock[0] += 3  # past the pause between tries: every call really tries Redis
            cache.get("k")
        assert caplog.text.count(WARNING) == 2  # at 1003 s and at 1063 s


@pytest.mark.django_db
def test_the_lookup_limit_still_holds_per_process(client, redis_backend, settings):
    settings.LOOKUP_RATE_LIMIT = 3
    url = reverse("tracking:lookup")

    statuses = [client.get(url, {"code": f"VBC-260101-{n:04d}"}).status_code for n in range(5)]

    assert statuses == [200, 200, 200, 429, 429]


@pytest.mark.django_db
def test_allauths_sign_in_limit_still_holds_per_process(client, redis_backend, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "3/m/ip"}
    url = reverse("account_login")
    form = {"login": "nobody@example.com", "password": "wrong-password-1"}

    statuses = [client.post(url, form).status_code for _ in range(5)]

    assert statuses == [200, 200, 200, 429, 429]


@pytest.mark.django_db
def test_healthz_names_the_cache_and_stays_up(client, redis_backend):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["cache"] == "error"
    assert "cache" in body["degraded"]
    assert body["database"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_a_session_ended_while_redis_hung_does_not_come_back(client, own_redis, settings):
    """Sign out while Redis does not answer: the session's old copy must not sign anyone in
    once Redis answers again (the delete that missed Redis is made when it is back)."""
    own_redis.start()
    settings.CACHES = _redis_caches(own_redis.url)
    redis_cache._outages.clear()
    try:
        client.force_login(_citizen())
        me = reverse("accounts:me")
        assert client.get(me).status_code == 200
        raw = redis.Redis(port=own_redis.port)
        assert raw.keys("*sessions*")  # the session is in Redis

        kept = client.cookies[settings.SESSION_COOKIE_NAME].value  # e.g. a copied cookie

        raw.client_pause(3000)  # every command now waits: reads and writes time out
        client.post(reverse("account_logout"))
        time.sleep(3.2 + redis_cache.RETRY_SECONDS)

        client.cookies[settings.SESSION_COOKIE_NAME] = kept
        assert client.get(me).status_code == 302  # signed out, for good
        assert not raw.keys("*sessions*")
    finally:
        redis_cache._outages.clear()


# --- The portal under gunicorn ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_with_redis_unreachable_every_page_and_a_submission_succeed(
    postgres, closed_redis_url, own_redis, procedure, tmp_path, mailoutbox
):
    citizen = _citizen(email="an@example.com", full_name="Nguyễn Văn An")
    received = DossierFactory(procedure=procedure, lookup_secret="")
    log = tmp_path / "gunicorn.log"
    port = int(closed_redis_url.split(":")[2].split("/")[0])
    own_redis.port, own_redis.url = port, closed_redis_url  # the Redis that "comes back"
    env = portal_env(REDIS_URL=closed_redis_url)

    with gunicorn(env, log, port=free_port()) as base:
        visitor = Visitor(base)
        pages = [
            "/",
            "/?utm_source=mail",
            "/procedures/",
            f"/procedures/?q={procedure.name}",
            procedure.get_absolute_url(),
            f"/lookup/?code={received.code}",
            f"/lookup/history/?code={received.code}",
            "/statistics/",
            "/accounts/login/",
        ]
        for path in pages:
            answer = visitor.get(path)
            assert answer.status_code == 200, (path, answer.status_code)
        assert received.code in visitor.get(f"/lookup/?code={received.code}").text

        visitor.sign_in(citizen.email, PASSWORD)
        assert visitor.get("/me/").status_code == 200
        assert visitor.get("/me/dossiers/").status_code == 200
        location = _submit(visitor, procedure, 1)
        detail = visitor.get(location)
        assert detail.status_code == 200
        assert "Your dossier was sent" in detail.text
        assert visitor.get("/me/dossiers/").status_code == 200  # still signed in

        health = visitor.get("/healthz").json()
        assert (health["status"], health["cache"]) == ("degraded", "error")

        # Redis comes back on its port: the portal uses it again, without a restart.
        own_redis.start()
        time.sleep(redis_cache.RETRY_SECONDS + 0.2)
        assert visitor.get("/healthz").json()["cache"] == "ok"
        assert visitor.get("/me/dossiers/").status_code == 200

    dossier = Dossier.objects.get(applicant=citizen)
    assert dossier.status == DossierStatus.SUBMITTED
    assert Attachment.objects.filter(dossier=dossier).count() == 2
    # One warning for the whole run, not one per request (one worker process).
    assert log.read_text().count(WARNING) == 1
    assert "Internal Server Error" not in log.read_text()

    # The acknowledgement waited in the outbox; the sweep sends it now that Redis is back.
    email = OutgoingEmail.objects.get(user=citizen)
    assert email.status == "pending"
    _stale_outbox()
    assert tasks.outbox_requeue_stale() == 1
    assert [m.to for m in mailoutbox] == [["an@example.com"]]
    assert "Cấp giấy phép bưu chính" in mailoutbox[0].body


@pytest.mark.django_db(transaction=True)
def test_redis_stopped_and_restarted_mid_run_loses_nothing(
    postgres, own_redis, procedure, tmp_path, smtp_sink
):
    own_redis.start()
    citizen = _citizen(email="an@example.com")
    received = DossierFactory(procedure=procedure, lookup_secret="")
    queue = f"redis-restart-{uuid.uuid4().hex[:8]}"
    env = portal_env(
        REDIS_URL=own_redis.url,
        CELERY_TASK_DEFAULT_QUEUE=queue,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_sink.port}",
    )
    statuses: list[tuple[str, int]] = []
    submitted: list[str] = []
    during_outage: list[str] = []
    stop, down = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def run(base: str) -> None:
        try:
            visit(base)
        except BaseException as error:  # noqa: BLE001 (reported by the main thread)
            errors.append(error)

    def visit(base: str) -> None:
        visitor = Visitor(base)
        visitor.sign_in(citizen.email, PASSWORD)
        n = 0
        while not stop.is_set():
            n += 1
            for path in (
                "/",
                "/procedures/",
                f"/lookup/?code={received.code}",
                "/me/dossiers/",
                "/statistics/",
            ):
                statuses.append((path, visitor.get(path).status_code))
            outage = down.is_set()
            submitted.append(_submit(visitor, procedure, n))
            if outage and down.is_set():
                during_outage.append(submitted[-1])

    with (
        process(celery_worker_argv(), env, tmp_path / "worker.log"),
        gunicorn(env, tmp_path / "gunicorn.log", port=free_port(), workers=2) as base,
    ):
        runner = threading.Thread(target=run, args=(base,))
        runner.start()
        try:
            _wait_until(lambda: len(submitted) >= 1, errors)
            own_redis.stop()  # in the middle of the run
            down.set()
            _wait_until(lambda: len(during_outage) >= 2, errors)
            own_redis.start()
            down.clear()
            after = len(submitted)
            _wait_until(lambda: len(submitted) >= after + 2, errors)
        finally:
            stop.set()
            down.clear()
            runner.join(timeout=120)
        assert not errors, errors

        assert statuses and all(status < 500 for _path, status in statuses), [
            s for s in statuses if s[1] >= 500
        ]
        # Signed in all along: the session lived on in the database.
        assert all(status == 200 for path, status in statuses if path == "/me/dossiers/")
        assert during_outage, "no submission was sent while Redis was down"
        dossiers = Dossier.objects.filter(applicant=citizen)
        assert dossiers.count() == len(submitted) == len(set(submitted))
        assert all(d.status == DossierStatus.SUBMITTED for d in dossiers)
        assert Attachment.objects.filter(dossier__in=dossiers).count() == 2 * len(submitted)

        # What the outage kept from the broker goes out with the sweep, as beat runs it.
        _stale_outbox()
        sweep = [*celery_worker_argv()[:5], "call", "accounts.tasks.outbox_sweep"]
        with process(sweep, env, tmp_path / "sweep.log") as call:
            call.wait(timeout=60)
        deadline = time.monotonic() + 60
        while (
            time.monotonic() < deadline and OutgoingEmail.objects.filter(status="pending").exists()
        ):
            time.sleep(0.5)
        # A second sweep finds nothing left to send.
        _stale_outbox()
        assert tasks.outbox_requeue_stale() == 0
        time.sleep(2)  # any duplicate the worker might still send would arrive now

    emails = OutgoingEmail.objects.filter(user=citizen)
    assert emails.count() == len(submitted)
    assert set(emails.values_list("status", flat=True)) == {"sent"}
    recipients = [tuple(m.rcpt_tos) for m in smtp_sink.messages]
    assert recipients == [("an@example.com",)] * len(submitted)  # each exactly once
