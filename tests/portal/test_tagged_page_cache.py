"""Stored pages tagged with the data behind them (core/cache.py, dossiers/cache.py): the public
lookup, a citizen's transaction list and the staff queue are served without rebuilding while
nothing behind them changed, and show the change on the very next request once it did."""

from django.conf import settings
from django.contrib.messages import constants as message_levels
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import pytest

from accounts.models import Notification
from dossiers import services
from dossiers.constants import DossierStatus as S
from dossiers.constants import Role
from dossiers.groups import PROCESSING_GROUP, RECEPTION_GROUP
from tests.dossiers.factories import AgencyFactory, ProcedureFactory, UserFactory, agency_staff
from tests.dossiers.factories import DossierFactory as DraftFactory
from tests.tracking.factories import DossierEventFactory, DossierFactory

pytestmark = pytest.mark.django_db

LOOKUP = reverse("tracking:lookup")
HISTORY = reverse("tracking:history")
MY_LIST = reverse("dossiers:list")
QUEUE = reverse("admin:dossiers_dossier_changelist")


def _queries(client, url, params=None) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(captured.captured_queries), response.text


@pytest.fixture
def agency():
    return AgencyFactory(code="VBC", name="Vụ Bưu chính")


@pytest.fixture
def procedure(agency):
    return ProcedureFactory(agency=agency, name="Cấp giấy phép bưu chính")


@pytest.fixture
def received(procedure):
    return DossierFactory(procedure=procedure, status=S.PROCESSING)


# --- Public lookup and history ---------------------------------------------------------------


@pytest.mark.parametrize("url", [LOOKUP, HISTORY])
def test_a_looked_up_page_is_stored_until_its_dossier_changes(client, received, url):
    DossierEventFactory(dossier=received, note="Đã chuyển phòng thẩm định")
    built, first = _queries(client, url, {"code": received.code})
    stored, second = _queries(client, url, {"code": received.code})
    assert built > 0 and stored == 0
    assert second == first

    services.dossier_transition(
        dossier_id=received.pk,
        to_status=S.REJECTED,
        role=Role.STAFF,
        message="dossier.rejected",
        note="Thiếu giấy tờ hợp lệ",
        expected_status=S.PROCESSING,
    )

    rebuilt, html = _queries(client, url, {"code": received.code})
    assert rebuilt > 0
    # The public history shows the portal's sentence, never the reason typed by staff.
    assert ("The dossier was rejected." if url == HISTORY else "Rejected") in html
    assert "Thiếu giấy tờ hợp lệ" not in html


def test_a_new_public_history_step_shows_at_once(client, received):
    client.get(HISTORY, {"code": received.code})
    DossierEventFactory(dossier=received, message="dossier.approved")

    assert "The result is ready." in client.get(HISTORY, {"code": received.code}).text


def test_a_catalogue_change_reaches_the_stored_lookup(client, received, procedure):
    client.get(LOOKUP, {"code": received.code})
    procedure.name = "Cấp lại giấy phép bưu chính"
    procedure.save()

    assert "Cấp lại giấy phép bưu chính" in client.get(LOOKUP, {"code": received.code}).text


def test_each_language_has_its_own_stored_lookup_with_its_catalogue_names(
    client, received, procedure
):
    procedure.name_en = "Issuance of a postal licence"
    procedure.save()
    pages = {}
    for language in ("vi", "en", "vi", "en"):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        queries, html = _queries(client, LOOKUP, {"code": received.code})
        pages.setdefault(language, []).append((queries, html))

    for language, name, agency in (
        ("vi", "Cấp giấy phép bưu chính", "Vụ Bưu chính"),
        ("en", "Issuance of a postal licence", procedure.agency.name_en),
    ):
        (built, first), (stored, again) = pages[language]
        assert built > 0 and stored == 0  # built once per language, then replayed
        assert again == first
        assert name in first and agency in first
    assert "Cấp giấy phép bưu chính" not in pages["en"][0][1]
    assert "Issuance of a postal licence" not in pages["vi"][0][1]


def test_an_english_name_change_reaches_the_stored_english_lookup(client, received, procedure):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.get(LOOKUP, {"code": received.code})
    procedure.name_en = "Reissuance of a postal licence"
    procedure.save()

    assert "Reissuance of a postal licence" in client.get(LOOKUP, {"code": received.code}).text


def test_guessed_codes_are_never_stored(client, received):
    for _ in range(2):
        built, html = _queries(client, LOOKUP, {"code": "VBC-991231-9999"})
        assert built > 0
        assert "No dossier found" in html


@pytest.mark.parametrize("url", [LOOKUP, HISTORY])
def test_guessed_secrets_are_never_stored_the_right_one_is(client, received, url):
    received.agency.require_lookup_secret = True
    received.agency.save()
    for _ in range(2):
        built, _html = _queries(client, url, {"code": received.code, "secret": "SAI123"})
        assert built > 0
    _queries(client, url, {"code": received.code, "secret": received.lookup_secret})
    stored, _html = _queries(client, url, {"code": received.code, "secret": received.lookup_secret})
    assert stored == 0


def test_a_stored_lookup_still_counts_against_the_rate_limit(client, received, settings):
    settings.LOOKUP_RATE_LIMIT = 3
    answers = [client.get(LOOKUP, {"code": received.code}).status_code for _ in range(5)]

    assert answers == [200, 200, 200, 429, 429]


def test_a_signed_in_visitor_never_gets_the_anonymous_lookup(client, received):
    client.get(LOOKUP, {"code": received.code})
    client.force_login(UserFactory())

    assert "Sign out" in client.get(LOOKUP, {"code": received.code}).text


# --- A citizen's transaction list ------------------------------------------------------------


@pytest.fixture
def citizen(client, procedure):
    user = UserFactory(full_name="Trần Thị Mai")
    DossierFactory.create_batch(3, procedure=procedure, applicant=user, status=S.PROCESSING)
    client.force_login(user)
    client.get(reverse("accounts:me"))  # the browser has its CSRF cookie from an earlier page
    assert settings.CSRF_COOKIE_NAME in client.cookies
    return user


def test_the_transaction_list_is_stored_per_user(client, citizen, procedure):
    built, first = _queries(client, MY_LIST)
    stored, second = _queries(client, MY_LIST)

    # The stored page still signs the user in (session, user) but reads no dossier.
    assert stored < built and stored <= 2
    assert second == first
    assert first.count('class="dossier-code"') == 3


def test_the_transaction_list_is_stored_per_language(client, citizen, procedure):
    procedure.name_en = "Issuance of a postal licence"
    procedure.save()
    pages = {}
    for language in ("en", "vi", "en", "vi"):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        pages.setdefault(language, []).append(_queries(client, MY_LIST))

    for language, name in (
        ("en", "Issuance of a postal licence"),
        ("vi", "Cấp giấy phép bưu chính"),
    ):
        (built, first), (stored, again) = pages[language]
        assert stored < built and again == first
        assert first.count(name) == 3


def test_a_new_dossier_or_notification_shows_on_the_next_request(client, citizen, procedure):
    client.get(MY_LIST)
    DossierFactory(
        procedure=procedure, applicant=citizen, status=S.RECEIVED, code="VBC-261125-0042"
    )
    assert "VBC-261125-0042" in client.get(MY_LIST).text

    Notification.objects.create(user=citizen, title="Hồ sơ đã được tiếp nhận")
    assert 'class="badge"' in client.get(MY_LIST).text


def test_another_user_never_gets_someone_elses_stored_list(client, citizen, procedure):
    client.get(MY_LIST)
    csrf = client.cookies[settings.CSRF_COOKIE_NAME].value
    other = UserFactory(full_name="Phạm Văn Nam")
    client.force_login(other)
    client.cookies[settings.CSRF_COOKIE_NAME] = csrf  # same browser, same CSRF cookie

    html = client.get(MY_LIST).text

    assert 'class="dossier-code"' not in html
    assert "You have not started any dossier yet." in html


def test_a_waiting_message_is_shown_not_hidden_by_the_stored_page(client, citizen):
    client.get(MY_LIST)
    storage = CookieStorage(RequestFactory().get("/"))
    message = Message(message_levels.SUCCESS, "Đã rút hồ sơ.")
    client.cookies[storage.cookie_name] = storage._encode([message])

    assert "Đã rút hồ sơ." in client.get(MY_LIST).text
    assert "Đã rút hồ sơ." not in client.get(MY_LIST).text  # shown once


# --- The staff queue -------------------------------------------------------------------------


@pytest.fixture
def officer(client, agency, settings):
    settings.STAFF_MFA_REQUIRED = False
    user = agency_staff(agency, groups=(RECEPTION_GROUP, PROCESSING_GROUP))
    client.force_login(user)
    client.get(reverse("admin:index"))
    return user


def test_the_queue_is_stored_until_a_dossier_of_the_agency_changes(
    client, officer, procedure, received
):
    submitted = DraftFactory(procedure=procedure, status=S.SUBMITTED)
    elsewhere = DraftFactory(procedure=ProcedureFactory(), status=S.SUBMITTED)
    built, _html = _queries(client, QUEUE)
    stored, _html = _queries(client, QUEUE)
    assert stored < built

    # Another agency's work leaves this queue's stored page alone …
    elsewhere.applicant_name = "Người khác"
    elsewhere.save()
    assert _queries(client, QUEUE)[0] == stored

    # … a colleague receiving a dossier of this agency does not.
    services.dossier_receive(dossier_id=submitted.pk, actor=officer, expected_status=S.SUBMITTED)
    rebuilt, html = _queries(client, QUEUE)
    assert rebuilt > stored
    submitted.refresh_from_db()
    assert submitted.code and submitted.code in html
