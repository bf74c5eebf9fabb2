"""Fixtures of the dossier tests."""

import pytest


@pytest.fixture
def staff_settings(settings):
    """The admin without the second factor (tested in accounts)."""
    settings.STAFF_MFA_REQUIRED = False
    return settings
