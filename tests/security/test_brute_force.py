"""Brute force is limited per client with a clear message: sign-in (the admin's included),
password reset and the admin's own sign-in address. The public lookup's limit is proved in
tests/tracking/test_ratelimit.py (see tests/README.md)."""

import logging

from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

import pytest

from tests.accounts.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Mat-khau-an-toan-2026"  # the factories' password
PROXY = "10.0.0.2"  # every request reaches the portal through this reverse proxy


@pytest.fixture
def behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1


def _client(address: str) -> Client:
    """A browser at `address`, seen by the portal through the proxy."""
    return Client(
        HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"6.6.6.6, {address}"
    )


def _sign_in(client: Client, email: str, password: str, next_url: str = ""):
    url = reverse("account_login") + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"login": email, "password": password})


TOO_MANY = "Too many failed login attempts"


def test_allauth_counts_clients_behind_the_same_proxies_as_the_portal(settings):
    """Otherwise every citizen behind the proxy would share one counter (and one lock-out)."""
    assert settings.ALLAUTH_TRUSTED_PROXY_COUNT == settings.TRUSTED_PROXY_COUNT


def test_failed_sign_ins_from_one_client_are_limited_not_the_others(behind_one_proxy):
    victim = UserFactory(email="nan-nhan@example.com")
    attacker = _client("203.0.113.5")
    for n in range(10):  # ten accounts tried from one address: the per-address limit
        response = _sign_in(attacker, f"doan{n}@example.com", "sai-mat-khau-1")
        assert TOO_MANY not in response.content.decode()
    response = _sign_in(attacker, victim.email, PASSWORD)
    assert TOO_MANY in response.content.decode()
    assert SESSION_KEY not in attacker.session

    neighbour = _client("198.51.100.7")  # another citizen behind the same proxy
    response = _sign_in(neighbour, victim.email, PASSWORD)
    assert response.status_code == 302
    assert neighbour.session[SESSION_KEY] == str(victim.pk)


def test_guessing_one_account_is_limited_even_from_many_addresses(behind_one_proxy):
    staff = StaffFactory(email="canbo@example.gov.vn")
    for n in range(5):
        _sign_in(_client(f"203.0.113.{n + 1}"), staff.email, f"doan-thu-{n}")
    response = _sign_in(_client("203.0.113.99"), staff.email, PASSWORD, next_url="/admin/")
    assert TOO_MANY in response.content.decode()  # even the right password waits
    assert response.status_code == 200


def test_password_reset_is_limited_per_address_and_per_client(behind_one_proxy):
    url = reverse("account_reset_password")
    UserFactory(email="an@example.com")
    client = _client("203.0.113.5")
    for _ in range(5):
        assert client.post(url, {"email": "an@example.com"}).status_code == 302
    response = client.post(url, {"email": "an@example.com"})
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many attempts" in page and "try again" in page  # our page, in the site layout
    assert "<main" in page

    # Another address is counted on its own (but still per email: 5 a minute)...
    other = _client("198.51.100.7")
    assert other.post(url, {"email": "binh@example.com"}).status_code == 302
    # ...and one address cannot spray reset emails at many accounts.
    for n in range(19):
        other.post(url, {"email": f"user{n}@example.com"})
    assert other.post(url, {"email": "last@example.com"}).status_code == 429


def test_password_reset_answers_the_same_for_unknown_accounts(client):
    UserFactory(email="an@example.com")
    url = reverse("account_reset_password")
    known = client.post(url, {"email": "an@example.com"})
    unknown = client.post(url, {"email": "khong-co@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]


def test_posting_credentials_to_the_admin_sign_in_address_signs_no_one_in(client, settings):
    settings.STAFF_MFA_REQUIRED = False
    staff = StaffFactory(is_superuser=True)
    for data in (
        {"username": staff.email, "password": PASSWORD},
        {"login": staff.email, "password": PASSWORD, "this_is_the_login_form": "1"},
    ):
        response = client.post("/admin/login/?next=/admin/", data)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
        assert SESSION_KEY not in client.session
    response = client.get("/admin/")
    assert response.status_code == 302  # still signed out
    assert "/admin/login/" in response["Location"] or "/accounts/login/" in response["Location"]


def test_the_admin_sign_in_address_is_limited_per_client(settings, behind_one_proxy):
    settings.ADMIN_LOGIN_RATE_LIMIT = 3
    hammer = _client("203.0.113.5")
    for _ in range(3):
        assert hammer.post("/admin/login/", {"username": "x", "password": "y"}).status_code == 302
    response = hammer.get("/admin/login/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many attempts" in response.content.decode()
    assert _client("198.51.100.7").get("/admin/login/").status_code == 302


def test_failed_sign_ins_are_logged_for_the_operators_without_the_full_address(client, caplog):
    UserFactory(email="nguyen.an@example.com")
    with caplog.at_level(logging.INFO, logger="portal.security"):
        _sign_in(client, "nguyen.an@example.com", "sai-mat-khau-1")
        _sign_in(client, "nguyen.an@example.com", PASSWORD)
    failed = [r.getMessage() for r in caplog.records if "sign-in failed" in r.getMessage()]
    assert failed == ["sign-in failed login=n***@example.com ip=127.0.0.1"]
    assert any(r.getMessage().startswith("sign-in user=") for r in caplog.records)
    assert all("sai-mat-khau" not in r.getMessage() for r in caplog.records)
