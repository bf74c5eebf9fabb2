import pytest


@pytest.fixture(autouse=True)
def _generous_lookup_limit(settings):
    """Tests share one client address (and, on Redis, one counter across xdist workers):
    only the rate-limit tests, which set their own limit, should ever meet it."""
    settings.LOOKUP_RATE_LIMIT = 10_000
