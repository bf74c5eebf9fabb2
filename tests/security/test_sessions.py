"""Sessions (ASVS V7): a new session id at sign-in, sign-out ends the session on the server, a
password change ends the account's other sessions, cookies HttpOnly and SameSite."""

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

import pytest

from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Mat-khau-an-toan-2026"


def _signed_in_client(user) -> Client:
    client = Client()
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _signed_in(client: Client) -> bool:
    return client.get(reverse("accounts:me")).status_code == 200


def test_signing_in_issues_a_new_session_id():
    user = UserFactory()
    client = Client()
    client.get(reverse("account_login"))
    client.session.save()  # an anonymous session an attacker could have planted
    planted = client.session.session_key
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert client.session.session_key != planted
    assert client.session[SESSION_KEY] == str(user.pk)


def test_signing_out_ends_the_session_on_the_server():
    user = UserFactory()
    client = _signed_in_client(user)
    stolen = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post(reverse("account_logout"))
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = stolen
    assert not _signed_in(replay)


def test_a_password_change_signs_out_the_other_sessions_only():
    user = UserFactory()
    here, elsewhere = _signed_in_client(user), _signed_in_client(user)
    assert _signed_in(elsewhere)
    response = here.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "Mat-khau-moi-2027!",
            "password2": "Mat-khau-moi-2027!",
        },
    )
    assert response.status_code == 302
    assert _signed_in(here)  # the person who changed it stays signed in
    assert not _signed_in(elsewhere)  # a stolen session dies with the old password


def test_session_cookie_is_http_only_same_site_and_sessions_expire():
    user = UserFactory()
    client = Client()
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["max-age"] == ""  # gone when the browser closes…
    assert 0 < client.session.get_expiry_age() <= 12 * 3600  # …and on the server within hours

    remembered = Client().post(
        reverse("account_login"), {"login": user.email, "password": PASSWORD, "remember": "on"}
    )
    assert 0 < int(remembered.cookies[settings.SESSION_COOKIE_NAME]["max-age"]) <= 12 * 3600


def test_signing_in_never_sends_the_browser_to_another_site():
    """A phishing link through the admin's sign-in address cannot redirect off the portal."""
    user = UserFactory()
    client = Client()
    handed_over = client.get("/admin/login/?next=https://evil.example/steal")
    assert handed_over.status_code == 302
    response = client.post(
        handed_over["Location"],
        {"login": user.email, "password": PASSWORD, "next": "https://evil.example/steal"},
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]
    assert response["Location"].startswith("/")
