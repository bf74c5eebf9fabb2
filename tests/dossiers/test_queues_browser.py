"""A unit head opens the admin, finds their work queues on the index and follows the first one:
both pages pass axe, in Vietnamese and in English (issue 17, item 5)."""

from datetime import timedelta

from django.conf import settings
from django.test import Client
from django.utils import timezone

import pytest

from procedures.constants import StaffRole, UnitKind
from tests.procedures.factories import AgencyFactory, UnitFactory

from .factories import dossier_at_step, unit_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("language", "index_title", "queue"), [("vi", "Hàng đợi công việc của tôi", "Việc của tôi"),
                                           ("en", "My work queues", "My work")]
)  # fmt: skip
def test_a_unit_head_follows_the_first_queue_from_the_admin_index(
    page, live_server, axe_check, screenshot, settings_override, language, index_title, queue
):
    agency = AgencyFactory(code="SOQB", name="Sở Hàng đợi")
    UnitFactory(agency=agency, kind=UnitKind.DESK, name="Bộ phận một cửa")
    unit = UnitFactory(agency=agency, name="Phòng Cấp phép", name_en="Licensing Division")
    head = unit_member(unit, StaffRole.UNIT_HEAD, full_name="Trưởng Phòng")
    late = dossier_at_step(
        unit=unit,
        role=StaffRole.UNIT_HEAD,
        assignee=head,
        deadline=timezone.now() - timedelta(hours=2),
    )
    dossier_at_step(unit=unit, role=StaffRole.UNIT_HEAD, assignee=head)
    dossier_at_step(unit=unit)  # in the specialists' pool: the unit's work, not the head's

    client = Client()
    client.force_login(head)
    context = page.context
    context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": live_server.url,
            },
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url},
        ]
    )
    page.goto(f"{live_server.url}/admin/")
    block = page.locator(".my-queues")
    assert index_title in block.inner_text()
    axe_check(page, name=f"admin index with queues ({language})")
    screenshot(page, f"1-index-{language}")

    block.locator("a.first-queue").click()
    page.wait_for_url("**/admin/dossiers/dossier/?queue=my_work")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2
    assert late.code in rows.first.inner_text()
    assert page.locator("#result_list .overdue-flag").count() == 1
    assert queue in page.locator(".queue-counts").inner_text()
    axe_check(page, name=f"work queue ({language})")
    screenshot(page, f"2-queue-{language}")


@pytest.fixture
def settings_override(settings):
    settings.STAFF_MFA_REQUIRED = False
    return settings
