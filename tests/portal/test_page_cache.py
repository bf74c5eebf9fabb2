"""The whole-page cache of the public pages (core/cache.py) and the link language switch."""

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils.csp import LazyNonce

import pytest

from core.cache import anonymous_page_cache
from tests.accounts.factories import UserFactory
from tests.procedures.factories import ProcedureFactory

pytestmark = pytest.mark.django_db

HOME = reverse("procedures:home")
LIST = reverse("procedures:list")


@pytest.fixture
def procedure():
    return ProcedureFactory(name="Cấp giấy phép bưu chính")


@pytest.mark.parametrize(
    "url",
    [HOME, LIST, f"{LIST}?q=buu+chinh", reverse("tracking:statistics")],
)
def test_an_anonymous_visitor_gets_the_stored_page_without_a_query(
    client, procedure, url, django_assert_num_queries
):
    first = client.get(url)
    assert first.status_code == 200
    assert not first.cookies  # no CSRF cookie: the language switch is made of links

    with django_assert_num_queries(0):
        second = client.get(url)

    assert second.status_code == 200
    assert second.content == first.content
    assert "nonce-" not in second["Content-Security-Policy"]
    # A stored answer still tells HTTP caches that a signed-in visitor gets another page.
    assert "Cookie" in second["Vary"]


def test_the_detail_page_is_stored_and_a_catalogue_change_drops_it(
    client, procedure, django_assert_num_queries
):
    client.get(procedure.get_absolute_url())
    with django_assert_num_queries(0):
        client.get(procedure.get_absolute_url())
    client.get(LIST)

    procedure.name = "Cấp lại giấy phép bưu chính"
    procedure.save()

    assert "Cấp lại giấy phép bưu chính" in client.get(procedure.get_absolute_url()).text
    assert "Cấp lại giấy phép bưu chính" in client.get(LIST).text


def test_a_signed_in_user_never_gets_the_anonymous_page(client, procedure):
    client.get(HOME)
    client.force_login(UserFactory(full_name="Nguyễn Thị Hoa"))

    html = client.get(HOME).text

    assert "Sign out" in html
    assert "Sign in" not in html


def test_a_request_with_a_session_cookie_is_not_served_from_the_cache(
    client, procedure, django_assert_max_num_queries
):
    client.get(LIST)
    client.cookies[settings.SESSION_COOKIE_NAME] = "not-a-session"

    with django_assert_max_num_queries(10) as captured:
        response = client.get(LIST)

    assert response.status_code == 200
    assert len(captured.captured_queries) > 0


@pytest.mark.parametrize(
    ("url", "junk"),
    [
        (HOME, "utm_source={n}"),
        (LIST, "junk={n}"),
        (f"{LIST}?q=buu", "junk={n}&q=buu"),
        (reverse("tracking:statistics"), "fbclid={n}"),
    ],
)
def test_query_parameters_the_page_does_not_read_share_its_stored_page(
    client, procedure, url, junk, django_assert_num_queries
):
    client.get(url)

    for n in range(5):
        with django_assert_num_queries(0):
            response = client.get(f"{url}{'&' if '?' in url else '?'}{junk.format(n=n)}")
        assert response.status_code == 200
        # Not even the language links repeat a parameter the page does not read.
        assert "junk" not in response.text and "utm_source" not in response.text


def test_junk_on_the_first_visit_never_reaches_the_stored_page(client, procedure):
    first = client.get(f"{HOME}?utm_source=spam-campaign")
    plain = client.get(HOME)

    assert "spam-campaign" not in first.text
    assert plain.content == first.content


def test_each_meaningful_query_still_has_its_own_page(client, procedure):
    ProcedureFactory(name="Cấp phép xuất bản bản tin")

    assert "Cấp giấy phép bưu chính" in client.get(f"{LIST}?q=bưu+chính&utm=1").text
    assert "Cấp giấy phép bưu chính" not in client.get(f"{LIST}?q=xuất+bản&utm=1").text


@pytest.mark.parametrize("url", [f"{LIST}?page=999", f"{LIST}?page=x"])
def test_a_page_number_that_is_not_the_page_shown_is_never_stored(
    client, procedure, url, django_assert_max_num_queries
):
    client.get(url)

    with django_assert_max_num_queries(50) as captured:
        assert client.get(url).status_code == 200
    assert len(captured.captured_queries) > 0


def test_a_malformed_statistics_period_is_never_stored(client, monkeypatch):
    from tracking import views

    built = []
    real = views.statistics_for_period
    monkeypatch.setattr(views, "statistics_for_period", lambda **kw: built.append(1) or real(**kw))
    url = f"{reverse('tracking:statistics')}?from=junk&to=2026-13"

    client.get(url)
    client.get(url)
    client.get(reverse("tracking:statistics"))
    client.get(reverse("tracking:statistics"))

    assert len(built) == 3


def test_each_language_has_its_own_stored_page(client, procedure):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    vi = client.get(HOME).text
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    en = client.get(HOME).text
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    vi_again = client.get(HOME).text

    assert '<html lang="vi">' in vi
    assert '<html lang="en">' in en
    assert vi_again == vi


def _anonymous_get(path="/x/"):
    request = RequestFactory().get(path)
    request.user = AnonymousUser()
    request._csp_nonce = LazyNonce()
    return request


def test_a_page_that_used_its_nonce_or_set_a_cookie_is_never_stored():
    calls = []

    @anonymous_page_cache(60)
    def with_nonce(request):
        calls.append("nonce")
        return HttpResponse(f'<script nonce="{request._csp_nonce}"></script>')

    @anonymous_page_cache(60)
    def with_cookie(request):
        calls.append("cookie")
        response = HttpResponse("hello")
        response.set_cookie("tracker", "1")
        return response

    @anonymous_page_cache(60)
    def plain(request):
        calls.append("plain")
        return HttpResponse("hello")

    for _ in range(2):
        with_nonce(_anonymous_get("/nonce/"))
        with_cookie(_anonymous_get("/cookie/"))
        plain(_anonymous_get("/plain/"))

    assert calls == ["nonce", "cookie", "plain", "nonce", "cookie"]


def test_only_get_and_200_answers_are_stored():
    calls = []

    @anonymous_page_cache(60)
    def missing(request):
        calls.append(request.method)
        return HttpResponse("gone", status=404)

    for _ in range(2):
        missing(_anonymous_get("/missing/"))
        post = RequestFactory().post("/missing/")
        post.user, post._csp_nonce = AnonymousUser(), LazyNonce()
        missing(post)

    assert calls == ["GET", "POST", "GET", "POST"]


# --- The language switch ----------------------------------------------------------------------


def test_the_header_switches_language_with_links(client, procedure):
    html = client.get(f"{LIST}?q=buu").text

    assert f'href="{reverse("set_language_get", args=["en"])}?next=/procedures/%3Fq%3Dbuu"' in html
    assert 'hreflang="en"' in html and 'lang="en"' in html
    assert "csrfmiddlewaretoken" not in html


def test_a_language_link_sets_the_cookie_and_goes_back(client):
    response = client.get(reverse("set_language_get", args=["en"]), {"next": "/procedures/?q=a"})

    assert response.status_code == 302
    assert response["Location"] == "/procedures/?q=a"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en">' in client.get(HOME).text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", ""])
def test_a_language_link_never_leaves_the_site(client, target):
    response = client.get(reverse("set_language_get", args=["vi"]), {"next": target})

    assert response["Location"] == HOME


def test_an_unknown_language_is_not_found(client):
    response = client.get(reverse("set_language_get", args=["fr"]))

    assert response.status_code == 404
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
