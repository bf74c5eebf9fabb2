"""System checks of the signing settings (run by `manage.py check`, so a deployment with an
incomplete key configuration is told before the first document fails to sign)."""

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.utils.module_loading import import_string

from .providers.registry import KNOWN, NONE


@register()
def signing_settings_check(app_configs, **kwargs):
    entry = settings.SIGNING_PROVIDER.strip()
    if entry.lower() in NONE:
        return []
    if entry not in KNOWN:
        try:
            import_string(entry)
        except ImportError:
            return [
                Error(
                    f"SIGNING_PROVIDER={entry!r} is neither pkcs12, pkcs11, remote, none nor an "
                    "importable provider class.",
                    id="signing.E001",
                )
            ]
        return []
    missing = []
    if entry == "pkcs12" and not Path(settings.SIGNING_PKCS12_PATH or "/").is_file():
        missing.append("SIGNING_PKCS12_PATH (an existing file)")
    if entry == "pkcs11" and not Path(settings.SIGNING_PKCS11_MODULE or "/").is_file():
        missing.append("SIGNING_PKCS11_MODULE (an existing library)")
    if entry == "remote":
        missing += [
            n for n in ("SIGNING_REMOTE_URL", "SIGNING_REMOTE_KEY_ID") if not getattr(settings, n)
        ]
    problems = [
        Warning(
            f"SIGNING_PROVIDER={entry} needs {setting}: documents cannot be signed.",
            id="signing.W001",
        )
        for setting in missing
    ]
    for path in settings.SIGNING_TRUST_ROOTS:
        if not Path(path).is_file():
            problems.append(
                Warning(f"SIGNING_TRUST_ROOTS names a missing file: {path}", id="signing.W002")
            )
    return problems
