"""The supplement cycle as people do it: an officer asks for a new copy of one file, the citizen
sees exactly that on the dossier page, uploads a new version and sends it; the officer sees the old
and new versions side by side and receives the dossier; the public lookup shows the steps."""

import re

from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.utils import translation

import pytest

from dossiers import services
from dossiers.constants import DossierStatus
from dossiers.models import Attachment, Dossier

from .factories import (
    PDF_BYTES,
    AgencyFactory,
    DossierComponentFactory,
    DossierFactory,
    ProcedureFactory,
    StaffFactory,
    UserFactory,
    upload,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
S = DossierStatus
PASSWORD = "Mat-khau-an-toan-2026"
MESSAGE = "Bản sao giấy phép bị mờ, đề nghị tải lên bản chụp rõ nét."


def _staff_page(page, live_server, user):
    """A second browser context signed in as `user` through a session cookie."""
    client = Client()
    client.force_login(user)
    assert client.session[SESSION_KEY]
    context = page.context.browser.new_context(locale="vi-VN")
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return context, context.new_page()


def test_request_answer_and_review_a_supplement(
    page, live_server, axe_check, screenshot, settings, tmp_path
):
    settings.STAFF_MFA_REQUIRED = False
    settings.SITE_URL = live_server.url
    procedure = ProcedureFactory(
        agency=AgencyFactory(code="VBC", name="Vụ Bưu chính"),
        name="Cấp giấy phép bưu chính",
        processing_days=5,
    )
    form_part = DossierComponentFactory(procedure=procedure, name="Đơn đề nghị", file_types=["pdf"])
    licence = DossierComponentFactory(
        procedure=procedure, name="Bản sao giấy phép", file_types=["pdf"]
    )
    citizen = UserFactory(email="hoa@example.com", full_name="Lê Thị Hoa")
    dossier = DossierFactory(applicant=citizen, procedure=procedure)
    for component, name in ((form_part, "don.pdf"), (licence, "ban-sao-cu.pdf")):
        services.attachment_add(
            dossier=dossier, component=component, file=upload(name), user=citizen
        )
    services.dossier_submit(dossier_id=dossier.pk, actor=citizen)
    (tmp_path / "ban-sao-moi.pdf").write_bytes(PDF_BYTES + b"%new\n")
    change_url = f"{live_server.url}/admin/dossiers/dossier/{dossier.pk}/change/"

    # The officer asks for a new copy of one file, before receiving the dossier.
    officer, admin_page = _staff_page(
        page, live_server, StaffFactory(is_superuser=True, full_name="Cán Bộ Một Cửa")
    )
    admin_page.goto(change_url)
    admin_page.locator("a[href$='/step/request_supplement/']").click()
    admin_page.fill("textarea[name=message]", MESSAGE)
    admin_page.get_by_label("Bản sao giấy phép").check()
    admin_page.locator("input[type=submit]").click()
    admin_page.locator(".messagelist").wait_for()
    assert Dossier.objects.get(pk=dossier.pk).status == S.SUPPLEMENT_REQUESTED

    # The citizen signs in and sees exactly that request at the top of the dossier page.
    page.goto(f"{live_server.url}/accounts/login/?next=/me/dossiers/{dossier.pk}/")
    page.fill("input[name=login]", "hoa@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**/me/dossiers/{dossier.pk}/")
    request_panel = page.locator("section.supplement-request")
    assert MESSAGE in request_panel.inner_text()
    assert request_panel.locator(".requested-list li").all_inner_texts() == ["Bản sao giấy phép"]
    assert page.locator("tr.requested").count() == 1
    assert "Bản sao giấy phép" in page.locator("tr.requested").inner_text()
    axe_check(page, name="dossier page with a supplement request")
    screenshot(page, "1-request")

    # Only the requested file can be replaced; the new file becomes version 2.
    request_panel.locator("a.button").click()
    page.wait_for_url(f"**/me/dossiers/{dossier.pk}/supplement/")
    assert page.locator("input[type=file]").count() == 1
    axe_check(page, name="supplement form")
    page.locator(f"input[name=component_{licence.pk}]").set_input_files(
        str(tmp_path / "ban-sao-moi.pdf")
    )
    screenshot(page, "2-supplement-form")
    page.locator("button[name=action][value=submit]").click()
    page.wait_for_url(re.compile(rf".*/me/dossiers/{dossier.pk}/$"))
    page.locator(".messages").wait_for()
    assert Dossier.objects.get(pk=dossier.pk).status == S.SUPPLEMENTED
    assert "ban-sao-moi.pdf" in page.locator("main").inner_text()
    axe_check(page, name="dossier page after the supplement")
    screenshot(page, "3-supplemented")

    # The officer sees the old and new versions side by side, then receives the dossier.
    old = Attachment.objects.get(component=licence, version=1)
    new = Attachment.objects.get(component=licence, version=2)
    admin_page.goto(change_url)
    review = admin_page.locator("section.supplement-review")
    text = review.inner_text()
    assert old.original_name in text and new.original_name in text
    assert old.sha256 in text and new.sha256 in text
    screenshot(admin_page, "4-admin-review")
    admin_page.locator("form[action$='/step/receive/'] button").click()
    admin_page.locator(".messagelist").wait_for()
    officer.close()
    dossier.refresh_from_db()
    assert dossier.status == S.RECEIVED and dossier.code

    # The public lookup shows the steps, not the message.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/lookup/?code={dossier.code}")
    page.locator("a[href*='/lookup/history/']").click()
    page.wait_for_url("**/lookup/history/**")
    history = page.locator("table.history").inner_text()
    with translation.override(page.evaluate("document.documentElement.lang") or "vi"):
        asked, answered = str(S.SUPPLEMENT_REQUESTED.label), str(S.SUPPLEMENTED.label)
    assert asked in history and answered in history
    assert history.index(asked) < history.index(answered)
    assert MESSAGE not in history
    screenshot(page, "5-public-history")
