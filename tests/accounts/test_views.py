"""Personal page, profile, notifications, staff second factor, health check."""

from django.urls import NoReverseMatch, reverse

import pytest

from accounts.models import Notification

from .factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_personal_page_requires_sign_in(client):
    response = client.get("/me/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("language", "hint"),
    [("en", "find the procedure you need in the catalogue"), ("vi", "tìm thủ tục cần thực hiện")],
)
def test_a_new_citizen_is_told_how_to_start_with_a_link_to_the_catalogue(client, language, hint):
    client.force_login(UserFactory())
    client.cookies["django_language"] = language
    for url in (reverse("accounts:me"), reverse("dossiers:list")):
        html = client.get(url).content.decode()
        assert hint in html
        assert f'href="{reverse("procedures:list")}"' in html.split("<main", 1)[1]


def test_profile_rejects_a_citizen_id_that_is_not_12_digits_and_keeps_the_input(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("accounts:profile"),
        {
            "full_name": "Trần Thị Bình",
            "applicant_type": "person",
            "citizen_id": "12345",
            "phone": "0912345678",
            "address": "Huế",
            "language": "vi",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "12 digits" in html or "12 chữ số" in html
    assert 'value="Trần Thị Bình"' in html
    user.refresh_from_db()
    assert user.full_name != "Trần Thị Bình"


def test_profile_saves_valid_data(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("accounts:profile"),
        {
            "full_name": "Công ty ABC",
            "applicant_type": "organisation",
            "organisation_name": "Công ty TNHH ABC",
            "tax_code": "0101234567",
            "citizen_id": "001203004005",
            "phone": "0912345678",
            "address": "Hà Nội",
            "language": "en",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.organisation_name, user.tax_code, user.language) == (
        "Công ty TNHH ABC",
        "0101234567",
        "en",
    )


def test_another_users_notification_is_404(client):
    owner, other = UserFactory(), UserFactory()
    note = Notification.objects.create(user=owner, title="Hồ sơ đã tiếp nhận")
    client.force_login(other)
    response = client.post(reverse("accounts:notification_read", args=[note.pk]))
    assert response.status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_reading_a_notification_marks_it_read_and_follows_its_link(client):
    user = UserFactory()
    note = Notification.objects.create(user=user, title="T", link="/me/")
    client.force_login(user)
    assert client.get("/me/").context["unread_notifications"] == 1
    response = client.post(reverse("accounts:notification_read", args=[note.pk]))
    assert response.status_code == 302 and response.url == "/me/"
    assert client.get("/me/").context["unread_notifications"] == 0


def test_notification_link_to_another_site_is_not_followed(client):
    user = UserFactory()
    note = Notification.objects.create(user=user, title="T", link="https://evil.example/")
    client.force_login(user)
    response = client.post(reverse("accounts:notification_read", args=[note.pk]))
    assert response.url == reverse("accounts:notifications")


def test_admin_sign_in_goes_through_allauth(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=")


def test_staff_without_a_second_factor_cannot_use_the_admin(client):
    staff = StaffFactory(is_superuser=True)
    client.force_login(staff)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")


def test_staff_with_totp_reaches_the_admin(client):
    from allauth.mfa.models import Authenticator

    staff = StaffFactory(is_superuser=True)
    Authenticator.objects.create(user=staff, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200


def test_healthz_reports_each_dependency(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["cache"] == "ok"


def test_healthz_is_503_when_the_database_is_unreachable(client, monkeypatch):
    from portal import health

    def down():
        raise OSError("connection refused")

    monkeypatch.setattr(health, "_check_database", down)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "error"


@pytest.mark.urls("tests.accounts.urls_dev_outbox")
def test_dev_outbox_lists_emails_only_when_enabled(rf, settings):
    from django.http import Http404

    from accounts.models import OutgoingEmail
    from accounts.views import dev_outbox

    email = OutgoingEmail.objects.create(
        to="a@example.com", subject="Xác nhận email", body_text="x"
    )
    admin = UserFactory(is_staff=True, is_superuser=True)

    def get(path: str):
        request = rf.get(path)
        request.user = admin
        return request

    settings.DEV_OUTBOX_ENABLED = False
    with pytest.raises(Http404):
        dev_outbox(get("/dev/outbox/"))
    with pytest.raises(Http404):
        dev_outbox(get("/dev/outbox/"), pk=email.pk)
    settings.DEV_OUTBOX_ENABLED = True
    assert "Xác nhận email" in dev_outbox(get("/dev/outbox/")).content.decode()
    assert "a@example.com" in dev_outbox(get("/"), pk=email.pk).content.decode()


def _with_totp(user):
    """Staff open no agency page without a second factor: this test is about the outbox."""
    from allauth.mfa.models import Authenticator

    if user.is_staff:
        Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    return user


@pytest.mark.urls("tests.accounts.urls_dev_outbox")
@pytest.mark.parametrize("who", ["anonymous", "citizen", "staff"])
def test_dev_outbox_is_only_for_a_signed_in_superuser(client, settings, who):
    """Every email carries someone's sign-in or password-reset link."""
    from accounts.models import OutgoingEmail

    settings.DEV_OUTBOX_ENABLED = True
    email = OutgoingEmail.objects.create(
        to="a@example.com", subject="Đặt lại mật khẩu", body_text="/accounts/password/reset/key/x"
    )
    if who != "anonymous":
        client.force_login(_with_totp(UserFactory(is_staff=who == "staff")))
    for path in ("/dev/outbox/", f"/dev/outbox/{email.pk}/"):
        response = client.get(path)
        if who == "anonymous":
            assert response.status_code == 302
            assert response["Location"].startswith("/accounts/login/?next=/dev/outbox/")
        else:
            assert response.status_code == 403
        assert "Đặt lại mật khẩu" not in response.content.decode()
        assert "reset/key" not in response.content.decode()

    client.force_login(_with_totp(UserFactory(is_staff=True, is_superuser=True)))
    assert "Đặt lại mật khẩu" in client.get("/dev/outbox/").content.decode()
    assert "reset/key/x" in client.get(f"/dev/outbox/{email.pk}/").content.decode()


@pytest.mark.parametrize(
    ("production", "debug", "enabled", "failing"),
    [
        (True, False, True, True),
        (False, False, True, True),
        (True, False, False, False),
        (False, True, True, False),
    ],
)
def test_deploy_check_fails_when_the_dev_outbox_is_enabled_in_production(
    settings, production, debug, enabled, failing
):
    from django.core import checks

    settings.PRODUCTION, settings.DEBUG, settings.DEV_OUTBOX_ENABLED = production, debug, enabled
    errors = checks.run_checks(tags=[checks.Tags.security], include_deployment_checks=True)
    assert ("accounts.E001" in [e.id for e in errors]) is failing
    assert "accounts.E001" not in [e.id for e in checks.run_checks(tags=[checks.Tags.security])]


def test_the_admin_lists_second_factors_without_their_secrets(client):
    from allauth.mfa.models import Authenticator

    staff = StaffFactory(is_superuser=True)
    factor = Authenticator.objects.create(
        user=staff, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
    )
    client.force_login(staff)
    listing = client.get(reverse("admin:accounts_secondfactor_changelist")).content.decode()
    page = client.get(reverse("admin:accounts_secondfactor_change", args=[factor.pk]))
    assert str(staff) in listing
    assert page.status_code == 200
    assert "JBSWY3DPEHPK3PXP" not in page.content.decode()
    assert 'name="_save"' not in page.content.decode()  # read-only: a factor is never edited
    with pytest.raises(NoReverseMatch):
        reverse("admin:mfa_authenticator_changelist")
