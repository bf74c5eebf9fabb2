"""PostgreSQL restarted between two requests: the next request still succeeds.

A web process keeps its database connection between requests (CONN_MAX_AGE). When PostgreSQL
restarts, that connection is dead; with CONN_HEALTH_CHECKS Django tests it at the first query of
the next request and reconnects. The requests go through Django's WSGI handler in this thread,
exactly as a gunicorn worker runs them (the test client would skip the per-request checks), and
the restart is simulated by terminating the server process that serves our connection.
"""

from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import RequestFactory

import psycopg
import pytest

from tests.procedures.factories import ProcedureFactory


def _get(path: str) -> int:
    """One request through the WSGI handler, start to finish (request_started/finished).

    Each call asks a different search, so the anonymous page cache never answers for the database.
    """
    environ = RequestFactory().get(path, HTTP_ACCEPT_LANGUAGE="en").environ
    statuses: list[str] = []
    body = WSGIHandler()(environ, lambda status, headers, exc_info=None: statuses.append(status))
    try:
        b"".join(body)
    finally:
        body.close()  # sends request_finished, as the server does
    return int(statuses[0].split()[0])


def _backend_pid() -> int:
    assert connection.connection is not None, "the connection persists between requests"
    return connection.connection.info.backend_pid


def _restart_our_backend(pid: int) -> None:
    """What a PostgreSQL restart does to our connection: its server process goes away."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_the_next_request_after_a_database_restart_succeeds(postgres, settings):
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    ProcedureFactory(name="Cấp phép thiết lập mạng viễn thông")
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
    assert connection.settings_dict["CONN_MAX_AGE"] > 0

    assert _get("/procedures/?q=lan1") == 200
    before = _backend_pid()
    _restart_our_backend(before)

    assert _get("/procedures/?q=lan2") == 200
    assert _backend_pid() != before  # a new connection, opened by the health check


@pytest.mark.django_db(transaction=True)
def test_without_health_checks_the_same_restart_breaks_a_request(postgres, settings):
    """The control: the test above passes because of CONN_HEALTH_CHECKS, not by chance."""
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    ProcedureFactory()
    assert _get("/procedures/?q=lan3") == 200
    connection.health_check_enabled = False
    try:
        _restart_our_backend(_backend_pid())
        assert _get("/procedures/?q=lan4") == 503  # the dead connection fails it (the 503 page)
    finally:
        connection.close()
        connection.health_check_enabled = True
    assert _get("/procedures/?q=lan5") == 200
