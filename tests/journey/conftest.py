"""The real production-shaped stack for the journey test: gunicorn serving the portal and a
Celery worker, both separate processes on the test's PostgreSQL database and Redis, sending
mail to an SMTP server on loopback."""

import email
import email.policy
import os
import re
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection

import pytest

from portal.celery import app as celery_app
from tests.conftest import celery_worker_argv, free_port, gunicorn_argv, stop_process
from tests.journey.people import Journey


@dataclass
class Mailbox:
    """Messages received by the SMTP sink, parsed; waits for the ones a step expects."""

    sink: object
    seen: int = 0
    messages: list = field(default_factory=list)

    def _parse(self) -> None:
        for envelope in self.sink.messages[len(self.messages) :]:
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            body = message.get_body(preferencelist=("plain",))
            self.messages.append(
                {
                    "to": envelope.rcpt_tos,
                    "subject": str(message["subject"]),
                    "body": body.get_content() if body else "",
                }
            )

    def wait_for(self, to: str, pattern: str, timeout: float = 45.0) -> dict:
        """The first message to `to` whose subject or body matches `pattern`."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern, re.IGNORECASE)
        while time.monotonic() < deadline:
            self._parse()
            for message in self.messages:
                if to in message["to"] and (
                    regex.search(message["subject"]) or regex.search(message["body"])
                ):
                    return message
            time.sleep(0.25)
        subjects = [(m["to"], m["subject"]) for m in self.messages]
        raise AssertionError(f"no email to {to} matching {pattern!r}; received: {subjects}")


def _wait_http(url: str, timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not come up")


@pytest.fixture
def stack(transactional_db, postgres, redis_url, smtp_sink, tmp_path, request):
    """Start gunicorn and a Celery worker against the test database; yield its base URL."""
    db = connection.settings_dict
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL=base_url,
        DATABASE_URL=f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        CONN_MAX_AGE="0",
        REDIS_URL=redis_url,
        CELERY_TASK_ALWAYS_EAGER="false",
        # Its own queue: no other worker on this Redis can take (and lose) its tasks.
        CELERY_TASK_DEFAULT_QUEUE=f"journey-{port}",
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_sink.port}",
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        LOOKUP_RATE_LIMIT="100000",
        STAFF_MFA_REQUIRED="true",
    )
    logs = tmp_path / "logs"
    logs.mkdir()
    celery_app.control.purge()
    processes = []
    try:
        for name, argv in {
            "web": gunicorn_argv(port=port, threads=4),
            "worker": celery_worker_argv(pool="threads", concurrency=4),
        }.items():
            log = (logs / f"{name}.log").open("w")
            processes.append(
                (
                    name,
                    log,
                    subprocess.Popen(
                        argv,
                        cwd=Path(settings.BASE_DIR),
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    ),
                )
            )
        _wait_http(f"{base_url}/healthz")
        yield base_url
    finally:
        for name, log, process in processes:
            stop_process(process)
            log.close()
            artifacts = Path(settings.BASE_DIR) / "test-artifacts"
            artifacts.mkdir(exist_ok=True)
            (artifacts / f"{request.node.name}-{name}.log").write_text(
                (logs / f"{name}.log").read_text()
            )


@pytest.fixture
def mailbox(smtp_sink):
    return Mailbox(sink=smtp_sink)


@pytest.fixture
def people(lang, _playwright_browser, axe_check, screenshot):
    """`person(name, citizen=...)`: a new browser context reading `lang` (the test's
    parameter), as a `Journey`. Each context is closed after the test, its open pages
    screenshotted first (the last thing each person saw, pass or fail)."""
    locale = {"vi": "vi-VN", "en": "en-US"}[lang]
    contexts = []

    def person(name: str, *, citizen: bool) -> Journey:
        context = _playwright_browser.new_context(
            locale=locale, viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        context.set_default_timeout(30_000)
        contexts.append(context)
        return Journey(context.new_page(), name, lang, axe_check, screenshot, citizen)

    yield person
    for index, context in enumerate(contexts):
        for page_index, open_page in enumerate(context.pages):
            screenshot(open_page, f"{lang}-last-{index}-{page_index}")
        context.close()
