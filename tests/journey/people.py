"""The people of the journeys: a browser page each, with the checks run on every page they land
on, and the staff's sign-in with a password and a second factor (TOTP)."""

import time

from django.contrib.auth.models import Group
from django.utils import translation
from django.utils.translation import gettext, pgettext

from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value

from tests.layout import overflowing_text

PASSWORD = "Mat-khau-an-toan-2026"
STAFF_PASSWORD = "Can-bo-mot-cua-2026"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXQ"
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
PHONE = {"width": 390, "height": 844}


def pdf(tag: str) -> bytes:
    """A small valid PDF whose bytes differ by `tag` (to tell the versions of a file apart)."""
    return PDF.replace(b"%%EOF", f"% {tag}\n%%EOF".encode())


# The TOTP window each secret's last code came from: the portal accepts a code once.
_USED_WINDOWS: dict[str, int] = {}
# A code typed with less than this left of its 30-second window may reach the portal after the
# window has turned, and be refused: wait for the next one, as a person would.
TOTP_MARGIN_SECONDS = 6


def totp_now(secret: str = TOTP_SECRET) -> str:
    """A code of the current window that stays valid until the portal checks it."""
    now = time.time()
    window = int(now) // 30
    if 30 - now % 30 < TOTP_MARGIN_SECONDS or _USED_WINDOWS.get(secret) == window:
        time.sleep(30 - now % 30 + 0.2)
        window = int(time.time()) // 30
    _USED_WINDOWS[secret] = window
    return format_hotp_value(hotp_value(secret, window))


def staff_login(user, *, secret: str, password: str = STAFF_PASSWORD, groups=None) -> None:
    """Make `user` able to sign in to the admin: a password checked by the portal's real
    hasher (set the test's PASSWORD_HASHERS first), a verified email address and a TOTP
    authenticator on `secret`; `groups` (default: all) give the permissions."""
    user.set_password(password)
    user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    if groups is None:
        groups = Group.objects.all()
    user.groups.add(*groups)
    TOTP.activate(user, secret)


class Journey:
    """What one person sees: a browser page with checks run on every page it lands on."""

    def __init__(self, page, name, lang, axe_check, screenshot, citizen):
        self.page, self.name, self.lang = page, name, lang
        self.axe_check, self.screenshot, self.citizen = axe_check, screenshot, citizen
        self.step = 0

    def t(self, message: str) -> str:
        with translation.override(self.lang):
            return gettext(message)

    def tp(self, context: str, message: str) -> str:
        with translation.override(self.lang):
            return pgettext(context, message)

    def check(self, label: str) -> None:
        """axe-core clean, a screenshot, and for citizens no text box out of its container,
        at desktop width and on a phone (390 px)."""
        self.page.wait_for_load_state("load")
        self.step += 1
        self.axe_check(self.page, name=f"{self.name}: {label}")
        self.screenshot(self.page, f"{self.lang}-{self.name}-{self.step:02d}-{label}")
        if self.citizen:
            desktop = self.page.viewport_size
            problems = overflowing_text(self.page)
            assert not problems, f"{label} at desktop width: " + "; ".join(problems[:5])
            self.page.set_viewport_size(PHONE)
            problems = overflowing_text(self.page)
            assert not problems, f"{label} on a 390px-wide phone: " + "; ".join(problems[:5])
            self.screenshot(self.page, f"{self.lang}-{self.name}-{self.step:02d}-{label}-phone")
            self.page.set_viewport_size(desktop)

    def main_text(self) -> str:
        return self.page.locator("main").inner_text()

    def admin_text(self) -> str:
        return self.page.locator("#content").inner_text()

    def sign_in_citizen(self, base_url: str, email: str, password: str = PASSWORD) -> None:
        p = self.page
        p.goto(base_url + "/accounts/login/")
        p.fill("input[name=login]", email)
        p.fill("input[name=password]", password)
        p.locator("main form button[type=submit]").click()
        p.wait_for_url("**/me/")
        self.check("personal-page")

    def sign_in_staff(
        self, base_url: str, email: str, *, secret: str, password: str = STAFF_PASSWORD
    ) -> None:
        """Into the admin with the password, then the TOTP code; each page checked."""
        p = self.page
        p.goto(base_url + "/admin/")
        p.wait_for_url("**/accounts/login/**")
        p.fill("input[name=login]", email)
        p.fill("input[name=password]", password)
        p.locator("main form button[type=submit]").click()
        p.wait_for_url("**/accounts/2fa/authenticate/**")
        self.check("second-factor")
        p.fill("input[name=code]", totp_now(secret))
        p.locator("main form button.button-primary").click()
        p.wait_for_url("**/admin/")
        self.check("admin-home")
