"""The late and stop handling as people see it, in Chromium with axe-core, in both languages:
the applicant's dossier page with a signed apology letter, the public lookup with the new date,
the leader's dossier page in admin with the letter to sign, and a stopped dossier's page."""

from django.conf import settings
from django.test import Client

import pytest

from dossiers import services

from .test_letters import REASON, STOP_REASON, build_office, draft, processing

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def office(staff_settings):
    return build_office()


def _signed_in(page, live_server, user, language: str) -> None:
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": live_server.url,
            },
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url},
        ]
    )


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_letters_read_well_and_pass_axe(
    page,
    live_server,
    axe_check,
    screenshot,
    office,
    language,
):
    dossier = processing(office, language=language)
    letter = draft(dossier, office.specialist)

    _signed_in(page, live_server, office.leader, language)
    page.goto(f"{live_server.url}/admin/dossiers/dossier/{dossier.pk}/change/")
    assert REASON in page.locator("#content").inner_text()
    axe_check(page, name=f"admin dossier page with a letter to sign ({language})")
    screenshot(page, f"{language}-1-to-sign")
    sign = "Ký và gửi người nộp hồ sơ" if language == "vi" else "Sign and send to the applicant"
    page.get_by_role("button", name=sign).click()
    page.wait_for_load_state()
    letter.refresh_from_db()
    assert letter.status == "signed"

    _signed_in(page, live_server, dossier.applicant, language)
    page.goto(f"{live_server.url}/me/dossiers/{dossier.pk}/")
    main = page.locator("main").inner_text()
    assert REASON in main and letter.new_date.strftime("%d/%m/%Y") in main
    axe_check(page, name=f"dossier page with an apology letter ({language})")
    screenshot(page, f"{language}-2-apology")

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/lookup/?code={dossier.code}")
    assert letter.new_date.strftime("%d/%m/%Y") in page.locator("main").inner_text()
    axe_check(page, name=f"lookup with a new appointment ({language})")

    services.dossier_stop(dossier_id=dossier.pk, actor=office.leader, reason=STOP_REASON)
    _signed_in(page, live_server, dossier.applicant, language)
    page.goto(f"{live_server.url}/me/dossiers/{dossier.pk}/")
    assert STOP_REASON in page.locator("main").inner_text()
    axe_check(page, name=f"stopped dossier page ({language})")
    screenshot(page, f"{language}-3-stopped")
