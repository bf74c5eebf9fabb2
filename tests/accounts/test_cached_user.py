"""The signed-in user read from the cache (accounts/backends.py): no user, membership or
permission query on every request, and every change that matters takes effect on the very next
request — a new password signs other sessions out, deactivation and lost permissions lock out."""

from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import pytest

from dossiers.groups import PROCESSING_GROUP, RECEPTION_GROUP
from procedures.models import StaffMembership
from tests.dossiers.factories import AgencyFactory, DossierFactory, ProcedureFactory, agency_staff

from .factories import UserFactory

pytestmark = pytest.mark.django_db

ME = reverse("accounts:me")
QUEUE = reverse("admin:dossiers_dossier_changelist")


def _tables(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    return response.status_code, " ".join(q["sql"] for q in captured.captured_queries)


def test_a_signed_in_request_reads_the_user_from_the_cache(client):
    client.force_login(UserFactory())
    client.get(ME)

    status, sql = _tables(client, ME)

    assert status == 200
    assert '"accounts_user"' not in sql


def test_a_new_password_signs_the_other_sessions_out(client):
    user = UserFactory()
    client.force_login(user)
    assert client.get(ME).status_code == 200

    user.set_password("another-Password-2026")
    user.save()

    response = client.get(ME)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_a_deactivated_user_is_signed_out_at_once(client):
    user = UserFactory()
    client.force_login(user)
    client.get(ME)

    user.is_active = False
    user.save()

    assert client.get(ME).status_code == 302


@pytest.fixture
def officer(client, settings):
    settings.STAFF_MFA_REQUIRED = False
    agency = AgencyFactory(code="VBC")
    user = agency_staff(agency, groups=(RECEPTION_GROUP, PROCESSING_GROUP))
    client.force_login(user)
    return user


def test_staff_permissions_and_membership_come_from_the_cache(client, officer):
    client.get(QUEUE)

    status, sql = _tables(client, QUEUE)

    assert status == 200
    for table in ("accounts_user", "procedures_staffmembership", "auth_permission"):
        assert f'"{table}"' not in sql


def test_leaving_a_group_takes_the_queue_away_at_once(client, officer):
    assert client.get(QUEUE).status_code == 200

    officer.groups.clear()

    assert client.get(QUEUE).status_code == 403


def test_a_group_losing_its_permission_takes_the_queue_away_at_once(client, officer):
    assert client.get(QUEUE).status_code == 200

    for group in Group.objects.filter(name__in=(RECEPTION_GROUP, PROCESSING_GROUP)):
        group.permissions.remove(Permission.objects.get(codename="view_dossier"))

    assert client.get(QUEUE).status_code == 403


def test_a_deleted_group_takes_the_queue_away_at_once(client, officer):
    assert client.get(QUEUE).status_code == 200

    Group.objects.filter(name__in=(RECEPTION_GROUP, PROCESSING_GROUP)).delete()

    assert client.get(QUEUE).status_code == 403


def test_moving_to_another_agency_shows_its_dossiers_at_once(client, officer):
    other = AgencyFactory(code="VTS")
    theirs = DossierFactory(
        procedure=ProcedureFactory(agency=other), status="received", code="VTS-261125-0001"
    )
    assert "VTS-261125-0001" not in client.get(QUEUE).text

    membership = StaffMembership.objects.get(user=officer)
    membership.agency = other
    membership.save()

    assert theirs.code in client.get(QUEUE).text


def test_the_second_factor_is_known_without_a_query_and_its_removal_locks_out(
    client, officer, settings
):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    settings.STAFF_MFA_REQUIRED = True
    TOTP.activate(officer, generate_totp_secret())
    client.get(QUEUE)
    status, sql = _tables(client, QUEUE)
    assert status == 200
    assert '"mfa_authenticator"' not in sql

    Authenticator.objects.filter(user=officer).delete()

    response = client.get(QUEUE)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_the_cache_holds_no_password_hash(client):
    import pickle

    from django.core.cache import cache

    from accounts.backends import user_cache_key

    user = UserFactory()
    client.force_login(user)
    client.get(ME)

    kept = cache.get(user_cache_key(user.pk))
    assert kept is not None and kept.pk == user.pk
    assert "password" not in kept.__dict__
    assert user.password.encode() not in pickle.dumps(kept)
    # Served from that copy without a query, still signed in.
    status, sql = _tables(client, ME)
    assert status == 200 and '"accounts_user"' not in sql


def test_the_copy_loads_the_password_hash_when_it_is_needed_and_saves_only_what_it_holds():
    user = UserFactory(password="first-Password-2026")
    kept = user.without_password_hash()

    kept.full_name = "Nguyễn Văn Bình"
    kept.save()
    user.refresh_from_db()
    assert user.full_name == "Nguyễn Văn Bình"
    assert user.check_password("first-Password-2026")  # the hash was not blanked by the save
    assert kept.check_password("first-Password-2026")  # loaded from the database on demand


def test_the_copy_knows_whether_the_password_is_usable_without_a_query(
    django_assert_num_queries,
):
    usable = UserFactory().without_password_hash()
    unusable = UserFactory()
    unusable.set_unusable_password()
    unusable.save()
    unusable = unusable.without_password_hash()

    with django_assert_num_queries(0):
        assert usable.has_usable_password() is True
        assert unusable.has_usable_password() is False


def test_a_password_change_through_the_cached_copy_keeps_this_session(client):
    user = UserFactory(password="first-Password-2026")
    client.force_login(user)
    client.get(ME)  # the next request reads the copy without the hash

    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": "first-Password-2026",
            "password1": "second-Password-2026",
            "password2": "second-Password-2026",
        },
    )

    assert response.status_code == 302
    assert client.get(ME).status_code == 200
    user.refresh_from_db()
    assert user.check_password("second-Password-2026")


def test_a_rotated_secret_key_keeps_sessions_signed_in(client, settings):
    client.force_login(UserFactory())
    client.get(ME)  # the copy's session hash is made with the old key

    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40

    assert client.get(ME).status_code == 200  # the old key verifies, the session moves on
    assert client.get(ME).status_code == 200
