"""Fixtures of the dossier tests."""

import pytest

from .factories import UserFactory


@pytest.fixture
def staff_settings(settings):
    """The admin without the second factor (tested in accounts)."""
    settings.STAFF_MFA_REQUIRED = False
    return settings


@pytest.fixture
def citizen(client):
    """A signed-in citizen with a name and citizen ID (pre-filled into the dossier form)."""
    user = UserFactory(full_name="Trần Thị Bình", citizen_id="001200012345")
    client.force_login(user)
    return user
