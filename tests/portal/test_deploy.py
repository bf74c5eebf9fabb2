"""Production settings pass Django's deployment checks with no warnings."""

import os
import subprocess
import sys

from django.conf import settings

PRODUCTION_ENV = {
    "DJANGO_PRODUCTION": "true",
    "SECRET_KEY": "x7Vq2k9Lr4Tn8Wp3Zs6Yb1Hc5Jd0Mf7Gg2Kk9Qq4Rr8Ss3Tt6Uu1Vv5Ww0Xx7Yy2Zz9",
    "ALLOWED_HOSTS": "dichvucong.example.gov.vn",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.gov.vn:587",
    "DATABASE_URL": "sqlite:///:memory:",
    "VNPAY_HASH_SECRET": "merchant-secret",
}


def _manage(*args: str, extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEBUG", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(PRODUCTION_ENV, **(extra or {}))
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_has_no_warnings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_disables_the_sandbox_bank_and_the_dev_outbox():
    code = (
        "from django.conf import settings as s; from django.urls import resolve, Resolver404\n"
        "print(s.SANDBOX_BANK_ENABLED, s.DEV_OUTBOX_ENABLED, s.SESSION_COOKIE_SECURE)\n"
        "for p in ('/sandbox-bank/pay', '/dev/outbox/'):\n"
        "    try:\n        resolve(p); print('served', p)\n"
        "    except Resolver404:\n        print('absent', p)\n"
    )
    result = _manage("shell", "-v", "0", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "False",
        "True",
        "absent",
        "/sandbox-bank/pay",
        "absent",
        "/dev/outbox/",
    ]
