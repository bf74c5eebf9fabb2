"""Registration → confirmation email → activation email → sign in (allauth, mandatory verification)."""

import re

from django.urls import reverse

import pytest
from allauth.account.models import EmailAddress

from accounts.models import Notification, OutgoingEmail, User

# Emails leave after commit, so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "Mat-khau-an-toan-2026"


def _signup(client, email="an@example.com"):
    return client.post(
        reverse("account_signup"),
        {
            "email": email,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "full_name": "Nguyễn Văn An",
            "applicant_type": "person",
        },
    )


def _confirmation_link(mailoutbox) -> str:
    body = mailoutbox[-1].body
    match = re.search(r"https?://[^\s]+/accounts/confirm-email/[^\s]+/", body)
    assert match, body
    return match.group(0).split("/accounts", 1)[1]


def test_signup_sends_confirmation_then_activation_and_allows_sign_in(client, mailoutbox):
    response = _signup(client)
    assert response.status_code == 302
    user = User.objects.get(email="an@example.com")
    assert user.full_name == "Nguyễn Văn An"
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["an@example.com"]
    link = "/accounts" + _confirmation_link(mailoutbox)

    # Unverified: signing in is refused (sent to the "verify your email" page).
    client.logout()
    response = client.post(
        reverse("account_login"), {"login": "an@example.com", "password": PASSWORD}
    )
    assert "_auth_user_id" not in client.session

    page = client.get(link)
    assert page.status_code == 200
    response = client.post(link)
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="an@example.com").verified

    # The second email says the account is active and how to sign in; never a password.
    assert len(mailoutbox) == 2
    activated = mailoutbox[-1]
    assert "an@example.com" in activated.body
    assert "/accounts/login/" in activated.body
    assert PASSWORD not in activated.body
    assert Notification.objects.filter(user=user).count() == 1
    assert OutgoingEmail.objects.filter(to="an@example.com", status="sent").count() == len(
        mailoutbox
    )

    response = client.post(
        reverse("account_login"), {"login": "an@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get(reverse("accounts:me")).status_code == 200


def test_wrong_confirmation_link_gets_a_clear_page(client):
    response = client.get("/accounts/confirm-email/not-a-real-key/")
    assert response.status_code == 200
    assert (
        "expired or is invalid" in response.content.decode()
        or "không hợp lệ" in response.content.decode()
    )


def test_reused_confirmation_link_changes_nothing_and_activates_once(client, mailoutbox):
    _signup(client, "binh@example.com")
    link = "/accounts" + _confirmation_link(mailoutbox)
    client.post(link)
    sent = len(mailoutbox)
    response = client.get(link)
    assert response.status_code == 200
    client.post(link)
    assert len(mailoutbox) == sent  # no second "account activated"
    assert User.objects.get(email="binh@example.com").activated_at is not None


def test_emails_are_sent_in_the_users_language(client, mailoutbox):
    client.post(reverse("set_language"), {"language": "en"})
    _signup(client, "en@example.com")
    assert User.objects.get(email="en@example.com").language == "en"
    link = "/accounts" + _confirmation_link(mailoutbox)
    client.post(link)
    assert "Your account is active" in mailoutbox[-1].subject
