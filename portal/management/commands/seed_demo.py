"""Demo accounts for `make run`: a staff officer (with TOTP) and a citizen. Idempotent."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP

from accounts.models import User
from procedures.models import Agency, StaffMembership

# Development only: fixed, published demo credentials.
DEMO_PASSWORD = "demo-Portal-2026"  # noqa: S105
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105
STAFF_EMAIL = "canbo@demo.gov.vn"
ADMIN_EMAIL = "quantri@demo.gov.vn"
CITIZEN_EMAIL = "congdan@demo.vn"


class Command(BaseCommand):
    help = "Create the demo staff and citizen accounts (never in production)."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_demo refuses to run with DJANGO_PRODUCTION=true.")
        agency = (
            Agency.objects.order_by("code").filter(code="VBC").first() or Agency.objects.first()
        )
        with transaction.atomic():
            staff = self._user(STAFF_EMAIL, "Phạm Minh Cán Bộ", is_staff=True)
            admin = self._user(ADMIN_EMAIL, "Quản trị hệ thống", is_staff=True, is_superuser=True)
            self._user(
                CITIZEN_EMAIL,
                "Nguyễn Văn Công Dân",
                phone="0912345678",
                citizen_id="001090012345",
                address="1 Tràng Tiền, Hoàn Kiếm, Hà Nội",
            )
            for user in (staff, admin):
                if not Authenticator.objects.filter(
                    user=user, type=Authenticator.Type.TOTP
                ).exists():
                    TOTP.activate(user, DEMO_TOTP_SECRET)
            if agency is not None:
                StaffMembership.objects.update_or_create(user=staff, defaults={"agency": agency})
                for group in Group.objects.all():
                    staff.groups.add(group)
        where = f" ({agency.code} — {agency.name})" if agency else ""
        self.stdout.write(self.style.SUCCESS("Demo accounts (development only):"))
        self.stdout.write(f"  Staff officer{where}: {STAFF_EMAIL} / {DEMO_PASSWORD}")
        self.stdout.write(f"  Superuser:      {ADMIN_EMAIL} / {DEMO_PASSWORD}")
        self.stdout.write(f"  Citizen:        {CITIZEN_EMAIL} / {DEMO_PASSWORD}")
        self.stdout.write(
            f"  Staff sign in with a TOTP code: secret {DEMO_TOTP_SECRET} in any authenticator app,"
            " or print the current code with `.venv/bin/python manage.py demo_totp`."
        )
        self.stdout.write(f"  Emails sent in development: {settings.SITE_URL}/dev/outbox/")

    def _user(self, email: str, name: str, **fields) -> User:
        user, created = User.objects.get_or_create(
            email=email, defaults={"full_name": name, **fields}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        return user
