"""`/healthz`: liveness and readiness of the database, the cache and the broker.

The database is required: without it the answer is 503 `error`. The cache (Redis) and the broker
only speed things up or defer them (pages are built without the cache, emails wait in the
outbox), so without them the portal still serves: 200 `degraded`, naming what is missing.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)

# Checks whose failure leaves the portal serving, degraded.
DEGRADABLE = ("cache", "broker")


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    # The Redis backend fails open, so a write and a read-back would not notice an outage.
    ping = getattr(cache, "ping", None)
    if ping is not None:
        ping()
        return
    cache.set("healthz", "ok", 5)
    if cache.get("healthz") != "ok":
        raise RuntimeError("cache read-back failed")


def _check_broker() -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return
    from portal.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}
    results = {}
    for name, check in checks.items():
        try:
            check()
            results[name] = "ok"
        except Exception as error:  # any failure means "not ready"; the reason goes to the log
            if name in DEGRADABLE:  # expected during an outage: no traceback at every probe
                logger.warning("health check %s failed: %s", name, error)
            else:
                logger.exception("health check %s failed", name)
            results[name] = "error"
    failed = [name for name, result in results.items() if result != "ok"]
    if settings.CELERY_TASK_ALWAYS_EAGER:
        results["broker"] = "eager"
    if not failed:
        return JsonResponse({"status": "ok", **results})
    if all(name in DEGRADABLE for name in failed):
        return JsonResponse({"status": "degraded", "degraded": failed, **results})
    return JsonResponse({"status": "error", **results}, status=503)
