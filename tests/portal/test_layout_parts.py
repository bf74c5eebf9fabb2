"""The site layout's fixed parts, rendered once per process and language (`{% layout_part %}`
in portal/templatetags/portal_tags.py, used by templates/base.html)."""

from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

import pytest

from portal.templatetags import portal_tags
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

LOOKUP = reverse("tracking:lookup")


@pytest.fixture(autouse=True)
def _no_parts_from_other_tests():
    portal_tags._LAYOUT_PARTS.clear()
    yield
    portal_tags._LAYOUT_PARTS.clear()


def test_a_part_is_rendered_once_per_language_and_value():
    template = Template(
        "{% load i18n portal_tags %}"
        "{% layout_part test.part name %}{% translate 'Sign in' %} {{ name }}{% endlayout_part %}"
    )
    with translation.override("vi"):
        assert template.render(Context({"name": "A"})) == "Đăng nhập A"
        # Kept: the same language and value give the stored markup.
        assert template.render(Context({"name": "A"})) == "Đăng nhập A"
        assert template.render(Context({"name": "B"})) == "Đăng nhập B"
    with translation.override("en"):
        assert template.render(Context({"name": "A"})) == "Sign in A"


def test_each_language_gets_its_own_layout(client):
    vietnamese = client.get(LOOKUP, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    english = client.get(LOOKUP, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Thủ tục hành chính" in vietnamese and "Đăng nhập" in vietnamese
    assert "Administrative procedures" in english and "Sign in" in english
    assert "Administrative procedures" not in vietnamese
    assert "Thủ tục hành chính" not in english


def test_the_signed_in_part_is_never_taken_from_a_visitors_page(client):
    anonymous = client.get(LOOKUP, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sign in" in anonymous and "Sign out" not in anonymous

    client.force_login(UserFactory())
    signed_in = client.get(LOOKUP, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sign out" in signed_in and "Personal page" in signed_in
    assert "Sign in" not in signed_in

    client.logout()
    again = client.get(LOOKUP, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sign in" in again and "Sign out" not in again


def test_the_language_links_name_the_page_being_read(client):
    html = client.get(f"{LOOKUP}?code=CBC-261125-0001", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "next=/lookup/%3Fcode%3DCBC-261125-0001" in html
    other = client.get(reverse("tracking:statistics"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "next=/statistics/" in other


def test_the_language_links_mark_the_current_one_and_come_back_to_the_page(client):
    html = client.get(LOOKUP, {"code": "ab<c"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    back = "?next=/lookup/%3Fcode%3Dab%253Cc"  # the path as requested (%3C), quoted again
    vi, en = reverse("set_language_get", args=["vi"]), reverse("set_language_get", args=["en"])
    assert f'<a href="{vi}{back}" lang="vi" hreflang="vi">Tiếng Việt</a>' in html
    assert f'<a href="{en}{back}" lang="en" hreflang="en" aria-current="true">English</a>' in html


def test_the_language_links_render_without_a_request():
    """A page Django renders with no request (its 500 handler) still gets the links."""
    template = Template("{% load portal_tags %}{% language_links %}")
    with translation.override("vi"):
        html = template.render(Context({}))
    assert f'href="{reverse("set_language_get", args=["en"])}?next="' in html
    assert 'hreflang="vi" aria-current="true">Tiếng Việt' in html
