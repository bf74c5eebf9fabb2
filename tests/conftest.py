"""Shared fixtures: private media per test, eager Celery by default, real services on demand."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

import pytest

from portal.celery import app as celery_app
from tests.pki.fixtures import agency_signing, test_pki  # noqa: F401  (the test PKI, on loopback)

IN_CI = os.environ.get("CI", "").lower() == "true"
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make there
# are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def missing_service(reason: str) -> None:
    """Skip on a developer machine without the service; fail in CI, where it must exist."""
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _private_media(tmp_path, settings):
    """Every test writes files to its own temporary private folder."""
    media = tmp_path / "media"
    media.mkdir()
    settings.MEDIA_ROOT = media
    storages = {**settings.STORAGES}
    storages["default"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": media, "base_url": None},
    }
    settings.STORAGES = storages
    yield


@pytest.fixture(autouse=True)
def _english_by_default(settings):
    """Tests read English source strings unless they ask for Vietnamese (the portal's default,
    covered by the tests that set a language explicitly and by the journey test)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Hashing cost is not under test; MD5 keeps thousands of test users cheap."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _eager_celery():
    """Tasks run in-process unless a test asks for the real worker."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = True


@pytest.fixture(scope="session", autouse=True)
def _redis_cache_per_worker():
    """Parallel workers share one Redis server and `cache.clear()` is FLUSHDB: each xdist worker
    keeps its cache in its own Redis database, so no worker wipes another's rate-limit counters
    (or the Celery queue of a real-worker test) in the middle of a test."""
    from urllib.parse import urlsplit

    from django.test.utils import override_settings

    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not settings.REDIS_URL or not worker.startswith("gw"):
        yield
        return
    db = max(0, 12 - int(worker[2:]))  # 12, 11, …: clear of the broker's 15 and the benchmark's 13
    location = urlsplit(settings.REDIS_URL)._replace(path=f"/{db}").geturl()
    default = {**settings.CACHES["default"], "LOCATION": location}
    with override_settings(CACHES={**settings.CACHES, "default": default}):
        yield


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    if os.environ.get("PYTEST_XDIST_WORKER", "").startswith("gw") and settings.REDIS_URL:
        location = settings.CACHES["default"].get("LOCATION")
        assert location != settings.REDIS_URL, (
            "this test left the in-process cache on REDIS_URL's database, which other workers "
            "share: every later `cache.clear()` here would flush their keys"
        )


@pytest.fixture
def postgres():
    if not settings.IS_POSTGRES:
        missing_service("needs PostgreSQL (set DATABASE_URL=postgres://...)")


@pytest.fixture
def redis_url():
    url = settings.REDIS_URL
    if not url:
        missing_service("needs Redis (set REDIS_URL=redis://...)")
    import redis

    client = redis.Redis.from_url(url, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        missing_service(f"Redis at {url} is not reachable")
    # Servers started by the test (gunicorn, a Celery worker) share this database: start them
    # with no rate-limit counters or messages left by an earlier test (the in-process cache
    # lives elsewhere under xdist, see _redis_cache_per_worker).
    client.flushdb()
    return url


@pytest.fixture(scope="session")
def private_redis_url() -> Iterator[str]:
    """A redis-server of this test worker's own (tests/redis_server.py), started once, for tests
    of the cache backend itself: no other test, worker or process writes to it, flushes it or
    shares its clock with a fixture, so what a test reads is what it wrote. Each test still
    uses its own key prefix."""
    from tests.redis_server import REDIS_SERVER, OwnRedis

    if not Path(REDIS_SERVER).exists():
        missing_service("needs redis-server")
    server = OwnRedis(free_port())
    server.start()
    yield server.url
    server.stop()


def _forget_broker_connections() -> None:
    """Make the next publish look up the connection pool of the current `broker_url`.

    Pools live in kombu's registry by URL: the broker's own pool is left open for the tests
    that follow; only the dead broker's pool is closed.
    """
    celery_app._pool = None
    amqp = celery_app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


@pytest.fixture
def dead_broker():
    """Celery publishes to a closed port (the broker, Redis, is down); tasks are not eager."""
    conf = celery_app.conf
    saved = (conf.task_always_eager, conf.broker_url)
    conf.task_always_eager = False
    conf.broker_url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    _forget_broker_connections()
    try:
        yield
    finally:
        dead_pool = celery_app._pool
        conf.task_always_eager, conf.broker_url = saved
        _forget_broker_connections()
        if dead_pool is not None:
            dead_pool.force_close_all()


def celery_worker_argv(*, pool: str = "solo", concurrency: int = 1) -> list[str]:
    """The command line of a real Celery worker for the portal, for tests that start one."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "portal",
        "worker",
        "--pool",
        pool,
        "--concurrency",
        str(concurrency),
        "--without-gossip",
        "--without-mingle",
        "-l",
        "info",
    ]


def run_manage(*args: str, env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    """`manage.py <args>` of this checkout in a child process with exactly `env`."""
    return subprocess.run(  # noqa: S603 (our own manage.py)
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def gunicorn_argv(*, port: int, workers: int = 2, threads: int = 4) -> list[str]:
    """The command line of gunicorn serving the portal on loopback, as the image runs it."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "portal.wsgi",
        "--config",
        "python:portal.gunicorn_conf",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--timeout",
        "60",
    ]


def stop_process(process) -> None:
    """End a server the test started (by its own handle), killing it if it will not stop."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_sink():
    """A real SMTP server on loopback that keeps every message it receives."""
    from aiosmtpd.controller import Controller

    class Sink:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(envelope)
            return "250 OK"

    handler = Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    yield handler
    controller.stop()


# --- Object storage -------------------------------------------------------------------------------
S3_ACCESS_KEY = "portal-test"
S3_SECRET_KEY = "portal-test-secret-key"


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory):
    """moto's S3-compatible server on loopback, as its own process, for the session."""
    try:
        import moto.server  # noqa: F401
    except ImportError:
        missing_service("needs moto's S3 server (the dev extra moto[server])")
    port = free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"moto's S3 server did not start (see {log.name})")
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(server)
        log.close()


@pytest.fixture(scope="session")
def _s3_storage_from_environment(s3_endpoint):
    """The storage the portal's settings build from the S3_* variables (as docker-compose sets
    them for MinIO), read from a fresh settings import, not written again here."""
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE",)}
    env.update(
        S3_BUCKET="portal-private",
        S3_ENDPOINT_URL=s3_endpoint,
        S3_ACCESS_KEY=S3_ACCESS_KEY,
        S3_SECRET_KEY=S3_SECRET_KEY,
        S3_REGION="ap-southeast-1",
    )
    code = "import json; from django.conf import settings as s; print(json.dumps(s.STORAGES['default']))"
    argv = [sys.executable, "manage.py", "shell", "-v", "0", "-c", code]
    output = subprocess.check_output(argv, cwd=settings.BASE_DIR, env=env, text=True, timeout=120)
    return json.loads(output.strip().splitlines()[-1])


@dataclass
class S3Bucket:
    endpoint: str
    name: str
    client: object

    def keys(self) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.name)
        return [item["Key"] for item in listing.get("Contents", [])]

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()


@pytest.fixture
def s3_storage(_s3_storage_from_environment, s3_endpoint, settings):
    """Private files go to a new, empty bucket of the S3 server for this test, through the
    portal's own storage configuration."""
    import boto3

    storage = json.loads(json.dumps(_s3_storage_from_environment))
    options = storage["OPTIONS"]
    bucket = S3Bucket(
        endpoint=s3_endpoint,
        name=f"portal-{uuid.uuid4().hex[:12]}",
        client=boto3.client(
            "s3",
            endpoint_url=s3_endpoint,
            aws_access_key_id=options["access_key"],
            aws_secret_access_key=options["secret_key"],
            region_name=options["region_name"],
        ),
    )
    bucket.client.create_bucket(
        Bucket=bucket.name,
        CreateBucketConfiguration={"LocationConstraint": options["region_name"]},
    )
    options["bucket_name"] = bucket.name
    settings.STORAGES = {**settings.STORAGES, "default": storage}
    return bucket


# --- Browser ------------------------------------------------------------------------------------
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def _playwright_browser():
    if not Path(CHROMIUM).exists():
        missing_service("needs Debian's chromium at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(_playwright_browser, request):
    context = _playwright_browser.new_context(
        locale="en-US", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    pg = context.new_page()
    yield pg
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}-failure.png"), full_page=True)
    context.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


@pytest.fixture
def axe_check():
    """Run axe-core on the current page; fail on any serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(pg, *, name: str = "") -> None:
        results = axe.run(
            pg, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}
        )
        bad = [
            v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")
        ]
        details = "; ".join(
            f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}" for v in bad
        )
        assert not bad, f"axe violations on {name or pg.url}: {details}"

    return check


@pytest.fixture
def screenshot(request):
    """Save a screenshot per step as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)

    def shot(pg, step: str) -> None:
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{step}.png"), full_page=True)

    return shot
