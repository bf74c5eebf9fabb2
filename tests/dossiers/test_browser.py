"""The whole path as people do it: a citizen submits online with two files, an officer receives
it in admin, the citizen sees the code and due date and gets the email with the slip."""

import re

from django.contrib.auth import SESSION_KEY
from django.test import Client

import pytest

from dossiers.models import Dossier

from .factories import (
    PDF_BYTES,
    PNG_BYTES,
    AgencyFactory,
    DossierComponentFactory,
    ProcedureFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Mat-khau-an-toan-2026"


def test_submit_receive_and_follow_a_dossier(
    page, live_server, axe_check, screenshot, settings, mailoutbox, tmp_path
):
    settings.STAFF_MFA_REQUIRED = False
    settings.SITE_URL = live_server.url
    procedure = ProcedureFactory(
        agency=AgencyFactory(code="VBC", name="Vụ Bưu chính"),
        name="Cấp giấy phép bưu chính",
        processing_days=5,
    )
    DossierComponentFactory(procedure=procedure, name="Đơn đề nghị", file_types=["pdf"])
    DossierComponentFactory(
        procedure=procedure, name="Ảnh trụ sở", file_types=["png", "jpg"], required=False
    )
    UserFactory(email="hoa@example.com", full_name="Lê Thị Hoa", citizen_id="001200000042")
    (tmp_path / "don-de-nghi.pdf").write_bytes(PDF_BYTES)
    (tmp_path / "tru-so.png").write_bytes(PNG_BYTES)

    # The citizen signs in and is taken to the dossier form.
    page.goto(f"{live_server.url}/accounts/login/?next=/me/dossiers/new/{procedure.slug}/")
    page.fill("input[name=login]", "hoa@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**/me/dossiers/new/{procedure.slug}/")
    assert page.input_value("input[name=applicant_name]") == "Lê Thị Hoa"
    axe_check(page, name="dossier form")

    page.fill("input[name=address]", "25 Lý Thường Kiệt, Hoàn Kiếm, Hà Nội")
    slots = page.locator("input[type=file]")
    slots.nth(0).set_input_files(str(tmp_path / "don-de-nghi.pdf"))
    slots.nth(1).set_input_files(str(tmp_path / "tru-so.png"))
    screenshot(page, "1-form")
    page.get_by_role("button", name="Submit the dossier").click()
    page.wait_for_url(re.compile(r".*/me/dossiers/\d+/$"))
    page.locator(".messages").wait_for()
    dossier = Dossier.objects.get()
    assert dossier.status == "submitted"
    assert dossier.attachments.count() == 2
    assert "don-de-nghi.pdf" in page.locator("main").inner_text()
    axe_check(page, name="dossier page")
    screenshot(page, "2-submitted")

    # An officer receives it in admin.
    staff = StaffFactory(is_superuser=True, full_name="Cán Bộ Một Cửa")
    client = Client()
    client.force_login(staff)
    assert client.session[SESSION_KEY]
    officer = page.context.browser.new_context(locale="en-US")
    officer.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    admin_page = officer.new_page()
    admin_page.goto(f"{live_server.url}/admin/dossiers/dossier/{dossier.pk}/change/")
    admin_page.get_by_role("button", name="Receive (issue code and due date)").click()
    admin_page.locator(".messagelist").wait_for()
    screenshot(admin_page, "3-admin-received")
    dossier.refresh_from_db()
    assert dossier.code and dossier.code.startswith("VBC-")
    assert dossier.code in admin_page.locator(".messagelist").inner_text()
    officer.close()

    # The citizen sees the code and the due date in the transaction list…
    page.goto(f"{live_server.url}/me/dossiers/")
    listing = page.locator("main").inner_text()
    assert dossier.code in listing
    assert dossier.due_date.strftime("%d/%m/%Y") in listing
    axe_check(page, name="transaction list")
    screenshot(page, "4-list")

    # …and has the email with the code and the link to the receipt slip.
    received = [m for m in mailoutbox if dossier.code in m.subject]
    assert len(received) == 1
    slip_url = f"{live_server.url}/me/dossiers/{dossier.pk}/slips/receipt/"
    assert slip_url in received[0].body
    response = page.request.get(slip_url)
    assert response.ok and response.body().startswith(b"%PDF")


def test_the_postal_address_shows_only_for_post_and_is_required_then(
    page, live_server, axe_check, tmp_path
):
    procedure = ProcedureFactory(agency=AgencyFactory(code="VBC"), name="Cấp giấy phép bưu chính")
    DossierComponentFactory(procedure=procedure, name="Đơn đề nghị", file_types=["pdf"])
    UserFactory(
        email="lan@example.com",
        full_name="Phạm Thị Lan",
        citizen_id="001200000043",
        address="8 Hàng Bài, Hà Nội",
    )
    (tmp_path / "don.pdf").write_bytes(PDF_BYTES)
    page.goto(f"{live_server.url}/accounts/login/?next=/me/dossiers/new/{procedure.slug}/")
    page.fill("input[name=login]", "lan@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**/me/dossiers/new/{procedure.slug}/")

    address = page.locator("input[name=delivery_address]")
    assert page.get_by_label("At the agency's desk").is_checked()
    assert not address.is_visible()
    page.get_by_label("By post").check()
    assert address.is_visible()
    assert address.input_value() == "8 Hàng Bài, Hà Nội"
    axe_check(page, name="dossier form, result by post")

    address.fill("")
    page.locator("input[type=file]").nth(0).set_input_files(str(tmp_path / "don.pdf"))
    page.get_by_role("button", name="Submit the dossier").click()
    summary = page.locator("[data-error-summary]")
    summary.wait_for()
    link = summary.get_by_role("link", name=re.compile("Enter the postal address"))
    link.click()
    assert address.is_visible()
    assert page.evaluate("document.activeElement.name") == "delivery_address"
    assert page.get_by_label("By post").is_checked()
    assert Dossier.objects.get().status == "draft"
