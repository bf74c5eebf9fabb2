"""Fixtures of the dossier tests."""

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Factories hash a password per user: the default hasher would dominate the run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff_settings(settings):
    """The admin without the second factor (tested in accounts)."""
    settings.STAFF_MFA_REQUIRED = False
    return settings
