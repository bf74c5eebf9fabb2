"""Security headers and sign-in throttling."""

from django.urls import reverse

import pytest

from tests.accounts.factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_pages_carry_a_nonce_based_content_security_policy(client):
    response = client.get(reverse("account_login"))
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_session_and_csrf_cookies_are_http_only(client):
    response = client.get(reverse("account_login"))
    assert response.cookies["csrftoken"]["httponly"] is True
    StaffFactory(email="canbo@example.gov.vn", password="Mat-khau-an-toan-2026")
    response = client.post(
        reverse("account_login"),
        {"login": "canbo@example.gov.vn", "password": "Mat-khau-an-toan-2026"},
    )
    assert response.cookies["sessionid"]["httponly"] is True
    assert response.cookies["sessionid"]["samesite"] == "Lax"


def test_repeated_failed_sign_ins_are_limited_with_a_clear_message(client):
    StaffFactory(email="canbo@example.gov.vn")
    for _ in range(5):
        client.post(
            reverse("account_login"), {"login": "canbo@example.gov.vn", "password": "wrong-one-1"}
        )
    response = client.post(
        reverse("account_login"), {"login": "canbo@example.gov.vn", "password": "wrong-one-1"}
    )
    html = response.content.decode()
    assert "Too many failed login attempts" in html or "không thành công quá nhiều lần" in html


def test_the_admin_sign_in_is_the_throttled_one(client):
    """/admin/login/ never shows Django's own (unthrottled) form: it hands over to allauth."""
    response = client.get("/admin/login/", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))
    assert b'name="login"' in response.content
