"""Benchmark-only settings: the portal's own settings, pointed at the benchmark services.

Every value can still be overridden from the environment; these are only defaults, set before
`portal.settings` reads the environment. The benchmark has its own PostgreSQL database (`bench`),
its own Redis database (13) and its own private media folder, so it never touches development
data. The public lookup's per-client rate limit is raised to a huge value: the load generator is
one client address, and the benchmark measures the page, not the limiter's 429 answer.
"""

import os
from pathlib import Path

_BASE = Path(__file__).resolve().parent.parent

BENCH_DEFAULTS = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/bench",
    "REDIS_URL": "redis://127.0.0.1:6379/13",
    "DEBUG": "false",
    "DJANGO_PRODUCTION": "false",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "STAFF_MFA_REQUIRED": "true",
    "LOOKUP_RATE_LIMIT": "1000000000",
    "MEDIA_ROOT": str(_BASE / "var" / "bench" / "media"),
    "LOG_LEVEL": "WARNING",
}
for _name, _value in BENCH_DEFAULTS.items():
    os.environ.setdefault(_name, _value)

from portal.settings import *  # noqa: E402, F403

ROOT_URLCONF = "benchmarks.bench_urls"
# The calibration views' template (benchmarks/templates/benchmarks/layout.html).
TEMPLATES = [
    {**TEMPLATES[0], "DIRS": [*TEMPLATES[0]["DIRS"], _BASE / "benchmarks" / "templates"]},  # noqa: F405
    *TEMPLATES[1:],  # noqa: F405
]
