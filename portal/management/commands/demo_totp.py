"""Print the current TOTP code of the demo staff accounts (development only)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

from .seed_demo import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the current second-factor code for the demo staff accounts."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("demo_totp refuses to run with DJANGO_PRODUCTION=true.")
        counter = int(time.time()) // 30
        self.stdout.write(format_hotp_value(hotp_value(DEMO_TOTP_SECRET, counter)))
