"""A person without an account looks a dossier up and reads its history; axe-core clean."""

from datetime import timedelta

from django.conf import settings
from django.test import Client
from django.utils import timezone

import pytest

from dossiers.constants import DossierStatus as S
from tests.procedures.factories import AgencyFactory, ProcedureFactory
from tracking.models import Rating

from .factories import DossierEventFactory, DossierFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_look_up_a_dossier_from_the_home_page_and_open_its_history(
    page, live_server, axe_check, screenshot
):
    agency = AgencyFactory(code="CVT", name="Cục Viễn thông")
    procedure = ProcedureFactory(agency=agency, name="Cấp giấy phép thiết lập mạng viễn thông")
    dossier = DossierFactory(procedure=procedure, code="CVT-261120-0042")
    DossierEventFactory(
        dossier=dossier,
        from_status=S.SUBMITTED,
        to_status=S.RECEIVED,
        message="dossier.received",
        params={"due_date": "2026-12-04"},
        note="Tiếp nhận hồ sơ đầy đủ.",
        internal_note="Nội bộ: kiểm tra lại CCCD",
        handling_unit="Bộ phận một cửa",
    )
    DossierEventFactory(dossier=dossier, note="Chuyển phòng Cấp phép thẩm định.")

    page.goto(live_server.url + "/")
    home_link = page.locator("main a[href='/lookup/']")
    (home_link if home_link.count() else page.locator("header a[href='/lookup/']")).first.click()
    page.wait_for_url("**/lookup/")
    axe_check(page, name="lookup form")

    page.fill("input[name=code]", "  cvt - 261120 - 0042 ")
    page.locator("main form[role=search] button[type=submit]").click()
    page.wait_for_url("**/lookup/?code=*")
    main = page.locator("main")
    assert "CVT-261120-0042" in main.inner_text()
    assert "Nguyễn V** A*" in main.inner_text()
    assert "Cấp giấy phép thiết lập mạng viễn thông" in main.inner_text()
    axe_check(page, name="lookup result")
    screenshot(page, "1-result")

    page.locator("main a[href^='/lookup/history/']").click()
    page.wait_for_url("**/lookup/history/?code=CVT-261120-0042")
    rows = page.locator("main table tbody tr")
    assert rows.count() == 2
    text = main.inner_text()
    # The portal's words in the reader's language; what a person typed is not public.
    assert "Dossier received; due date 04/12/2026." in text
    assert "Processing started." in text
    assert "Tiếp nhận hồ sơ đầy đủ." not in text
    assert "Chuyển phòng Cấp phép thẩm định." not in text
    assert "Nội bộ" not in text
    axe_check(page, name="history")
    screenshot(page, "2-history")

    # Not found: the same page, a neutral message.
    page.goto(live_server.url + "/lookup/?code=CVT-261120-9999")
    assert "CVT-261120-9999" in page.locator("input[name=code]").input_value()
    axe_check(page, name="not found")


def test_statistics_and_rating_form_are_accessible(page, live_server, axe_check, screenshot):
    dossier = DossierFactory(
        status=S.RETURNED,
        received_at=timezone.now() - timedelta(days=9),
        due_date=timezone.localdate() - timedelta(days=1),
        completed_at=timezone.now() - timedelta(days=2),
    )
    DossierFactory(due_date=timezone.localdate() - timedelta(days=3))
    page.goto(live_server.url + "/statistics/")
    # by agency, by field, by month, received by channel (online, counter, post), and the
    # steps of the internal process by unit and by kind of step
    assert page.locator("main table caption").count() == 6
    axe_check(page, name="statistics")
    screenshot(page, "3-statistics")

    client = Client()
    client.force_login(dossier.applicant)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page.goto(f"{live_server.url}/lookup/rate/{dossier.pk}/")
    axe_check(page, name="rating form")
    page.locator("main form.rating-form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".error-summary").is_visible()
    axe_check(page, name="rating form with errors")
    for question in ("attitude", "timeliness", "guidance", "overall"):
        page.locator(f"label[for=id_{question}_4]").click()
    page.locator("main form.rating-form button[type=submit]").click()
    page.wait_for_url(f"**{dossier.get_absolute_url()}")
    rating = Rating.objects.get(dossier=dossier)
    assert (rating.attitude, rating.overall) == (5, 5)
    # Back on the dossier page, its rating panel shows what was sent.
    panel = page.locator(".rating-panel")
    assert "5/5" in panel.inner_text()
    screenshot(page, "4-dossier-page-rated")
