"""Adding an email address asks for the password again, and an address the account has not
proved receives nothing the account holder wrote (such as their full name)."""

from django.urls import reverse

import pytest
from allauth.account.models import EmailAddress

from accounts.models import OutgoingEmail

from .factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "Mat-khau-an-toan-2026"
CHOSEN_NAME = "Gọi 0900 123 456 nhận quà"


def _add(client, email: str):
    return client.post(reverse("account_email"), {"email": email, "action_add": ""})


def _reauthenticate(client) -> None:
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302


def _emails_to(address: str) -> list[OutgoingEmail]:
    return list(OutgoingEmail.objects.filter(to=address))


def _text_of(email: OutgoingEmail) -> str:
    return " ".join([email.subject, email.body_text, email.body_html])


def test_adding_an_email_address_asks_for_the_password_again(client):
    user = UserFactory()
    client.force_login(user)
    response = _add(client, "moi@example.com")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not EmailAddress.objects.filter(email="moi@example.com").exists()
    assert _emails_to("moi@example.com") == []

    _reauthenticate(client)
    _add(client, "moi@example.com")
    assert EmailAddress.objects.filter(user=user, email="moi@example.com", verified=False).exists()
    assert len(_emails_to("moi@example.com")) == 1


def test_a_wrong_password_does_not_add_the_address(client):
    client.force_login(UserFactory())
    client.post(reverse("account_reauthenticate"), {"password": "not-the-password"})
    _add(client, "moi@example.com")
    assert not EmailAddress.objects.filter(email="moi@example.com").exists()


def test_the_email_to_an_added_unverified_address_carries_no_chosen_text(client):
    user = UserFactory(full_name=CHOSEN_NAME, organisation_name="Công ty Quà Tặng")
    client.force_login(user)
    _reauthenticate(client)
    _add(client, "nguoi-khac@example.com")
    [email] = _emails_to("nguoi-khac@example.com")
    text = _text_of(email)
    assert "/accounts/confirm-email/" in text
    assert "0900" not in text and "Gọi" not in text and "Quà" not in text
    assert user.email not in text  # the account's other address is not the recipient's business


@pytest.mark.django_db(transaction=True)
def test_the_sign_up_confirmation_carries_no_chosen_text(client):
    client.post(
        reverse("account_signup"),
        {
            "email": "nan-nhan@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "full_name": CHOSEN_NAME,
            "applicant_type": "person",
        },
    )
    [email] = _emails_to("nan-nhan@example.com")
    text = _text_of(email)
    assert "/accounts/confirm-email/" in text
    assert "0900" not in text and "Gọi" not in text


def test_a_verified_address_still_gets_the_account_holder_s_name(client):
    """The rule is about unproved addresses: a password reset to the verified address may greet
    the person by name."""
    from accounts.adapter import AccountAdapter

    user = UserFactory(full_name="Nguyễn Văn An")
    AccountAdapter().send_mail(
        "account/email/email_confirmation", user.email, {"user": user, "activate_url": "x"}
    )
    [email] = _emails_to(user.email)
    assert "Nguyễn Văn An" in _text_of(email)
