"""A person signs up and signs in with a real browser; every page passes axe-core."""

import re

from django.core import mail

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Mat-khau-an-toan-2026"


def test_sign_up_confirm_and_sign_in(page, live_server, axe_check, screenshot):
    page.goto(live_server.url + "/")
    axe_check(page, name="home")
    page.locator("header a[href='/accounts/signup/']").click()
    page.wait_for_url("**/accounts/signup/")
    axe_check(page, name="signup")
    page.fill("input[name=email]", "hoa@example.com")
    page.fill("input[name=full_name]", "Lê Thị Hoa")
    page.select_option("select[name=applicant_type]", "person")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    screenshot(page, "1-signup")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/accounts/confirm-email/")
    axe_check(page, name="verification sent")

    # An unverified account cannot sign in yet.
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=login]", "hoa@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/accounts/confirm-email/")

    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    page.goto(live_server.url + "/accounts" + link.split("/accounts", 1)[1])
    axe_check(page, name="confirm")
    screenshot(page, "2-confirm")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/accounts/login/")
    assert "Lê Thị Hoa" in mail.outbox[-1].body or "hoa@example.com" in mail.outbox[-1].body

    page.fill("input[name=login]", "hoa@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/me/")
    axe_check(page, name="personal page")
    screenshot(page, "3-me")
    assert "hoa@example.com" in page.locator("main").inner_text()


def test_wrong_password_shows_a_clear_error_and_keeps_the_email(page, live_server, axe_check):
    from tests.accounts.factories import UserFactory

    UserFactory(email="an@example.com")
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=login]", "an@example.com")
    page.fill("input[name=password]", "wrong-password-1")
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector(".error-summary")
    assert page.input_value("input[name=login]") == "an@example.com"
    axe_check(page, name="login error")
