"""Staff accounts are created as invitations: the administrator's "add user" sets no password
and emails a one-time, expiring link on which the officer sets the password and enrols TOTP in
one flow. A password alone never claims the account."""

import re
import time
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

from accounts import services
from accounts.models import AuditEntry, OutgoingEmail, StaffInvitation, User

from .factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db
ADD = "/admin/accounts/user/add/"
PASSWORD = "Mat-khau-can-bo-2026"


@pytest.fixture
def administrator(client, settings):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    settings.STAFF_MFA_REQUIRED = True
    admin = StaffFactory(is_superuser=True)
    TOTP.activate(admin, generate_totp_secret())
    client.force_login(admin)
    return admin


def _invite(client, *, email="canbo.moi@example.gov.vn", language="vi", capture=None):
    data = {"email": email, "full_name": "Lê Thị Thu", "language": language}
    if capture is None:
        return client.post(ADD, data)
    with capture(execute=True):
        return client.post(ADD, data)


def _link(email: OutgoingEmail) -> str:
    match = re.search(r"https?://[^\s<\"]+(/me/invitation/[^\s<\"/]+/)", email.body_text)
    assert match, email.body_text
    return match.group(1)


def _code(client, link: str) -> str:
    """The current code of the authenticator the invitation page showed."""
    page = client.get(link)
    secret = re.search(r"<code>([A-Z2-7]+)</code>", page.content.decode()).group(1)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def _claim(client, link: str, *, code: str | None = None, password: str = PASSWORD):
    data = {"password1": password, "password2": password}
    if code is not None:
        data["code"] = code
    return client.post(link, data)


def _invited(client, administrator, **kwargs) -> tuple[User, str]:
    client.force_login(administrator)
    _invite(client, **kwargs)
    user = User.objects.get(email=kwargs.get("email", "canbo.moi@example.gov.vn"))
    link = _link(OutgoingEmail.objects.get(to=user.email))
    client.logout()
    return user, link


def test_the_admin_add_page_asks_for_no_password(client, administrator):
    body = client.get(ADD).content.decode()
    assert 'name="email"' in body and 'name="full_name"' in body
    assert 'name="password1"' not in body and 'type="password"' not in body


def test_adding_staff_sends_an_invitation_in_the_officer_s_language(
    client, administrator, mailoutbox, django_capture_on_commit_callbacks
):
    response = _invite(client, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 302
    user = User.objects.get(email="canbo.moi@example.gov.vn")
    assert user.is_staff and not user.is_superuser
    assert not user.has_usable_password()
    # Sent by the Celery task through the outbox, in Vietnamese, with the one-time link.
    [sent] = mailoutbox
    assert sent.to == ["canbo.moi@example.gov.vn"]
    assert "tài khoản cán bộ" in sent.subject
    assert "/me/invitation/" in sent.body
    assert OutgoingEmail.objects.get(to=user.email).status == "sent"
    invitation = StaffInvitation.objects.get(user=user)
    assert invitation.created_by == administrator
    assert invitation.token_hash not in sent.body  # only the hash is stored, never the link
    assert AuditEntry.objects.filter(action="staff_invite", object_id=str(user.pk)).exists()


def test_the_invitation_speaks_english_to_an_english_officer(client, administrator):
    user, _link_ = _invited(client, administrator, email="officer@example.gov.vn", language="en")
    assert OutgoingEmail.objects.get(to=user.email).subject == (
        "Set up your staff account on the public-service portal"
    )


def test_the_link_sets_the_password_and_totp_together_once(client, administrator):
    user, link = _invited(client, administrator)
    page = client.get(link)
    assert page.status_code == 200
    assert 'src="data:image/svg+xml;base64,' in page.content.decode()

    response = _claim(client, link, code=_code(client, link))
    assert response.status_code == 302 and response["Location"] == reverse("account_login")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).count() == 1
    assert EmailAddress.objects.get(user=user, email=user.email).verified
    assert StaffInvitation.objects.get(user=user).used_at is not None

    # Signing in now asks for the authenticator code after the password.
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")


def test_a_used_link_is_refused(client, administrator):
    user, link = _invited(client, administrator)
    _claim(client, link, code=_code(client, link))
    assert client.get(link).status_code == 410
    response = _claim(client, link, code="123456", password="Mot-mat-khau-khac-2026")
    assert response.status_code == 410
    assert "already used" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert Authenticator.objects.filter(user=user).count() == 1


def test_an_expired_link_is_refused(client, administrator):
    user, link = _invited(client, administrator)
    code = _code(client, link)
    StaffInvitation.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(1))
    assert client.get(link).status_code == 410
    response = _claim(client, link, code=code)
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert not Authenticator.objects.filter(user=user).exists()


def test_an_unknown_link_is_not_found(client):
    assert client.get(reverse("accounts:staff_invitation", args=["not-a-token"])).status_code == 404


@pytest.mark.parametrize("code", [None, "", "000000"], ids=["no code", "empty", "wrong code"])
def test_a_password_alone_cannot_claim_the_account(client, administrator, code):
    user, link = _invited(client, administrator)
    client.get(link)
    response = _claim(client, link, code=code)
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert not Authenticator.objects.filter(user=user).exists()
    assert StaffInvitation.objects.get(user=user).used_at is None
    # …and no password signs the account in meanwhile.
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_the_service_refuses_a_wrong_code_and_writes_nothing(administrator):
    user = StaffFactory(email="svc@example.gov.vn", password=None)
    user.set_unusable_password()
    user.save()
    services.staff_invitation_send(user=user, actor=administrator)
    link = _link(OutgoingEmail.objects.get(to=user.email))
    token = link.rstrip("/").rsplit("/", 1)[1]
    with pytest.raises(services.InvitationCodeInvalid):
        services.staff_invitation_accept(
            token=token, password=PASSWORD, totp_secret="JBSWY3DPEHPK3PXP", code="000000"
        )
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert not Authenticator.objects.filter(user=user).exists()


def test_a_new_invitation_ends_the_previous_link(client, administrator):
    user, first = _invited(client, administrator)
    client.force_login(administrator)
    response = client.post(
        "/admin/accounts/user/",
        {"action": "send_staff_invitation", "_selected_action": [user.pk]},
    )
    assert response.status_code == 302
    second = _link(OutgoingEmail.objects.filter(to=user.email).latest("pk"))
    client.logout()
    assert second != first
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200


def test_an_account_already_set_up_gets_no_invitation(client, administrator):
    officer = StaffFactory()
    client.post(
        "/admin/accounts/user/",
        {"action": "send_staff_invitation", "_selected_action": [officer.pk]},
    )
    assert not StaffInvitation.objects.filter(user=officer).exists()


def test_a_password_reset_cannot_claim_an_unclaimed_staff_account(client, administrator):
    user, _link_ = _invited(client, administrator)
    citizen = UserFactory()
    for email in (user.email, citizen.email):
        response = client.post(reverse("account_reset_password"), {"email": email})
        assert response.status_code == 302
    assert OutgoingEmail.objects.filter(to=citizen.email).count() == 1
    assert OutgoingEmail.objects.filter(to=user.email).count() == 1  # the invitation only
