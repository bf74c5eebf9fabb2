"""Production settings pass Django's deployment checks with no warnings."""

import json
import os
import subprocess

from tests.conftest import run_manage

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
    return run_manage(*args, env=env)


def test_check_deploy_has_no_warnings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_when_the_dev_outbox_is_enabled_in_production():
    result = _manage("check", "--deploy", extra={"DEV_OUTBOX_ENABLED": "true"})
    assert result.returncode != 0
    assert "accounts.E001" in result.stderr + result.stdout
    assert "/dev/outbox/" in result.stderr + result.stdout


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


def test_production_serves_https_only_with_secure_cookies_behind_the_proxy():
    code = (
        "import json; from django.conf import settings as s\n"
        "print(json.dumps({k: getattr(s, k, None) for k in ("
        "'DEBUG', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_SSL_REDIRECT',"
        " 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY',"
        " 'CSRF_COOKIE_HTTPONLY', 'SECURE_PROXY_SSL_HEADER', 'SESSION_COOKIE_AGE',"
        " 'TRUSTED_PROXY_COUNT', 'ALLAUTH_TRUSTED_PROXY_COUNT', 'CLAMD_URL')}))\n"
    )
    result = _manage("shell", "-v", "0", "-c", code, extra={"TRUSTED_PROXY_COUNT": "1"})
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["DEBUG"] is False
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["CSRF_COOKIE_HTTPONLY"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SESSION_COOKIE_AGE"] <= 12 * 3600
    assert values["TRUSTED_PROXY_COUNT"] == values["ALLAUTH_TRUSTED_PROXY_COUNT"] == 1
    assert values["CLAMD_URL"] == ""  # virus scanning stays opt-in
