"""Real servers for the outage tests: a Redis server of the test's own (stopped and started again
on the same port), the portal under gunicorn, and a browser-like HTTP session to drive it."""

import os
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

import pytest
import requests

from tests.conftest import gunicorn_argv, missing_service
from tests.redis_server import REDIS_SERVER, OwnRedis, end


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    """A Redis the test may stop and start again (not started yet)."""
    if not Path(REDIS_SERVER).exists():
        missing_service("needs redis-server")
    from tests.conftest import free_port

    server = OwnRedis(free_port())
    yield server
    server.stop()


def portal_env(**overrides: str) -> dict[str, str]:
    """The environment of a portal process on the test's database."""
    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=(
            f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        CONN_MAX_AGE="0",
        CELERY_TASK_ALWAYS_EAGER="false",
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        LOOKUP_RATE_LIMIT="100000",
        LOG_LEVEL="INFO",
    )
    env.update(overrides)
    return env


@contextmanager
def process(argv: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """A portal process (gunicorn, a Celery worker) writing to `log`, ended on leaving."""
    with log.open("w") as out:
        proc = subprocess.Popen(  # noqa: S603 (the test's own interpreter)
            argv, cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            yield proc
        finally:
            end(proc)


@contextmanager
def gunicorn(env: dict[str, str], log: Path, *, port: int, workers: int = 1) -> Iterator[str]:
    """The portal under gunicorn, as in production (portal/gunicorn_conf.py); its base URL."""
    argv = gunicorn_argv(port=port, workers=workers)
    base = f"http://127.0.0.1:{port}"
    with process(argv, {**env, "SITE_URL": base}, log) as proc:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"gunicorn exited:\n{log.read_text()}"
            try:
                if requests.get(f"{base}/healthz", timeout=15).status_code in (200, 503):
                    break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            raise AssertionError(f"gunicorn did not answer:\n{log.read_text()}")
        yield base


class Visitor:
    """A browser-like session: cookies, CSRF tokens read from the forms, no redirects followed
    unless asked."""

    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()
        self.http.headers["Accept-Language"] = "en"

    def get(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        return self.http.get(f"{self.base}{path}", timeout=30, **kwargs)

    def post(self, path: str, data: dict, **kwargs) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        headers = {"Referer": f"{self.base}{path}"}
        return self.http.post(
            f"{self.base}{path}", data=data, headers=headers, timeout=60, **kwargs
        )

    @staticmethod
    def field(html: str, name: str) -> str:
        found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
            rf'value="([^"]*)"[^>]*name="{name}"', html
        )
        assert found, f"no {name} field in the page"
        return found.group(1)

    def sign_in(self, email: str, password: str) -> None:
        page = self.get("/accounts/login/")
        assert page.status_code == 200
        token = self.field(page.text, "csrfmiddlewaretoken")
        answer = self.post(
            "/accounts/login/",
            {"csrfmiddlewaretoken": token, "login": email, "password": password},
        )
        assert answer.status_code == 302, answer.text[:2000]
