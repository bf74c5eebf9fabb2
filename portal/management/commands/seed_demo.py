"""Demo accounts for `make run`: a staff officer (with TOTP), the demo agency's back office (a
desk, two specialist units and the leadership, two people or more per role) and a citizen.
Idempotent."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP

from accounts.models import User
from procedures.constants import StaffRole, UnitKind
from procedures.models import Agency, Field, StaffMembership, Unit, UnitMembership

# Development only: fixed, published demo credentials.
DEMO_PASSWORD = "demo-Portal-2026"  # noqa: S105
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105
STAFF_EMAIL = "canbo@demo.gov.vn"
ADMIN_EMAIL = "quantri@demo.gov.vn"
CITIZEN_EMAIL = "congdan@demo.vn"
# The demo agency's back office: (kind, Vietnamese name, English name, [(role, email, name)]).
BACK_OFFICE = [
    (
        UnitKind.DESK,
        "Bộ phận tiếp nhận và trả kết quả",
        "One-stop desk",
        [
            (StaffRole.DESK_OFFICER, "motcua1@demo.gov.vn", "Trần Thị Tiếp Nhận"),
            (StaffRole.DESK_OFFICER, "motcua2@demo.gov.vn", "Lê Văn Trả Kết Quả"),
        ],
    ),
    (
        UnitKind.SPECIALIST,
        "Phòng Quản lý bưu chính",
        "Postal Management Division",
        [
            (StaffRole.UNIT_HEAD, "truongphong1@demo.gov.vn", "Nguyễn Văn Trưởng"),
            (StaffRole.SPECIALIST, "chuyenvien1@demo.gov.vn", "Đỗ Thị Chuyên"),
            (StaffRole.SPECIALIST, "chuyenvien2@demo.gov.vn", "Hoàng Văn Thẩm Định"),
        ],
    ),
    (
        UnitKind.SPECIALIST,
        "Phòng Thị trường và Dịch vụ bưu chính",
        "Postal Market and Services Division",
        [
            (StaffRole.UNIT_HEAD, "truongphong2@demo.gov.vn", "Vũ Thị Phụ Trách"),
            (StaffRole.SPECIALIST, "chuyenvien3@demo.gov.vn", "Bùi Văn Xử Lý"),
            (StaffRole.SPECIALIST, "chuyenvien4@demo.gov.vn", "Phan Thị Hồ Sơ"),
        ],
    ),
    (
        UnitKind.LEADERSHIP,
        "Lãnh đạo Vụ",
        "Department leadership",
        [
            (StaffRole.LEADER, "lanhdao1@demo.gov.vn", "Đặng Văn Vụ Trưởng"),
            (StaffRole.LEADER, "lanhdao2@demo.gov.vn", "Ngô Thị Phó Vụ Trưởng"),
        ],
    ),
]
# Tiny but well-formed sample files for the demo dossiers' attachments.
DEMO_FILES = {
    "pdf": b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82",
}
DEMO_FILES["jpg"] = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32 + b"\xff\xd9"


def demo_result_pdf(dossier) -> bytes:
    """A one-page sample result (the approval signs it: it needs a real page)."""
    from weasyprint import HTML

    html = (
        "<h1>KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH (MẪU)</h1>"
        f"<p>Hồ sơ: {dossier.code}</p><p>Dữ liệu mẫu, không có giá trị pháp lý.</p>"
    )
    return HTML(string=html).write_pdf()


class Command(BaseCommand):
    help = "Create the demo staff and citizen accounts (never in production)."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_demo refuses to run with DJANGO_PRODUCTION=true.")
        agency = (
            Agency.objects.order_by("code").filter(code="VBC").first() or Agency.objects.first()
        )
        people: list[tuple[str, StaffRole, str]] = []
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
                self._staff_of(agency, staff)
                people = self._back_office(agency)
                # The general demo officer works at the desk: receives and returns.
                desk = Unit.objects.get(agency=agency, kind=UnitKind.DESK)
                UnitMembership.objects.get_or_create(
                    user=staff, unit=desk, role=StaffRole.DESK_OFFICER
                )
        if agency is not None:
            self._demo_dossiers(agency, staff)
        where = f" ({agency.code} — {agency.name})" if agency else ""
        self.stdout.write(self.style.SUCCESS("Demo accounts (development only):"))
        self.stdout.write(f"  Desk officer{where}: {STAFF_EMAIL} / {DEMO_PASSWORD}")
        self.stdout.write(f"  Superuser:      {ADMIN_EMAIL} / {DEMO_PASSWORD}")
        self.stdout.write(f"  Citizen:        {CITIZEN_EMAIL} / {DEMO_PASSWORD}")
        if agency is not None:
            self.stdout.write(f"  Back office of {agency.code} (password {DEMO_PASSWORD}):")
            for unit, role, email in people:
                self.stdout.write(f"    {email:<26} {role.label} — {unit}")
        self.stdout.write(
            f"  Staff sign in with a TOTP code: secret {DEMO_TOTP_SECRET} in any authenticator app,"
            " or print the current code with `.venv/bin/python manage.py demo_totp`."
        )
        self.stdout.write(
            f"  Emails sent in development: {settings.SITE_URL}/dev/outbox/ (as the superuser)"
        )

    def _staff_of(self, agency: Agency, user: User) -> None:
        """A second-factor staff member of the agency, in every staff group."""
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, DEMO_TOTP_SECRET)
        StaffMembership.objects.update_or_create(user=user, defaults={"agency": agency})
        user.groups.add(*Group.objects.all())

    def _back_office(self, agency: Agency) -> list[tuple[str, StaffRole, str]]:
        """The agency's units and their people; returns (unit, role, email) for the logins."""
        people = []
        specialist_units: list[Unit] = []
        for kind, name, name_en, members in BACK_OFFICE:
            if kind == UnitKind.DESK:
                # One desk per agency: an existing desk is renamed rather than duplicated.
                unit, _created = Unit.objects.update_or_create(
                    agency=agency, kind=kind, defaults={"name": name, "name_en": name_en}
                )
            else:
                unit, _created = Unit.objects.update_or_create(
                    agency=agency, name=name, defaults={"kind": kind, "name_en": name_en}
                )
            if kind == UnitKind.SPECIALIST:
                specialist_units.append(unit)
            for role, email, full_name in members:
                user = self._user(email, full_name, is_staff=True)
                self._staff_of(agency, user)
                UnitMembership.objects.get_or_create(user=user, unit=unit, role=role)
                people.append((unit.name, role, email))
        # The agency's fields (lĩnh vực) shared out between its specialist units, in turn.
        fields = Field.objects.filter(procedures__agency=agency).distinct().order_by("order", "id")
        for i, field in enumerate(fields):
            specialist_units[i % len(specialist_units)].fields.add(field)
        return people

    def _demo_dossiers(self, agency: Agency, staff: User) -> None:
        """Three dossiers of the demo citizen: awaiting receipt, in processing, with a result."""
        import uuid

        from django.core.files.base import ContentFile

        from dossiers.services import drafts

        citizen = User.objects.get(email=CITIZEN_EMAIL)
        if citizen.dossiers.exists():
            return
        procedures = list(agency.procedures.published().prefetch_related("components")[:3])
        for step, procedure in enumerate(procedures):
            # dossier_draft_open locks the new row: it runs inside the transaction, as the form's.
            with transaction.atomic():
                dossier = drafts.dossier_draft_open(
                    user=citizen, procedure=procedure, form_token=uuid.uuid4()
                )
                for component in procedure.components.all():
                    if component.required:
                        kind = "pdf" if "pdf" in component.file_types else component.file_types[0]
                        sample = ContentFile(
                            DEMO_FILES.get(kind, DEMO_FILES["pdf"]), name=f"mau.{kind}"
                        )
                        drafts.attachment_add(
                            dossier=dossier, component=component, file=sample, user=citizen
                        )
            drafts.dossier_submit(dossier_id=dossier.pk, actor=citizen)
            if step >= 1:
                self._through_back_office(dossier.pk, approve=step >= 2)
        self.stdout.write(f"  {len(procedures)} demo dossiers for {CITIZEN_EMAIL}")

    def _through_back_office(self, dossier_id: int, *, approve: bool) -> None:
        """Move a demo dossier the way the back office does: the desk receives, the unit head
        assigns, the specialist examines (and drafts), the unit head reviews, the leader signs."""
        from django.core.files.base import ContentFile

        from dossiers.models import Dossier
        from dossiers.services import processing, workflow

        def person(unit, role) -> User:
            membership = UnitMembership.objects.filter(unit=unit, role=role).order_by("user__email")
            return membership.select_related("user").first().user  # type: ignore[union-attr]

        dossier = Dossier.objects.get(pk=dossier_id)
        desk = Unit.objects.get(agency_id=dossier.agency_id, kind=UnitKind.DESK)
        processing.dossier_receive(
            dossier_id=dossier_id, actor=person(desk, StaffRole.DESK_OFFICER)
        )
        step = Dossier.objects.get(pk=dossier_id).current_step
        if step is None:
            return
        specialist = person(step.unit, StaffRole.SPECIALIST)
        workflow.dossier_step_assign(
            dossier_id=dossier_id,
            actor=person(step.unit, StaffRole.UNIT_HEAD),
            assignee=specialist,
        )
        processing.dossier_start_processing(dossier_id=dossier_id, actor=specialist)
        if not approve:
            return
        draft = ContentFile(demo_result_pdf(Dossier.objects.get(pk=dossier_id)), name="ket-qua.pdf")
        workflow.dossier_result_draft(dossier_id=dossier_id, actor=specialist, draft_file=draft)
        workflow.dossier_step_forward(
            dossier_id=dossier_id, actor=person(step.unit, StaffRole.UNIT_HEAD)
        )
        leadership = Unit.objects.get(agency_id=dossier.agency_id, kind=UnitKind.LEADERSHIP)
        processing.dossier_approve(
            dossier_id=dossier_id, actor=person(leadership, StaffRole.LEADER), result_file=None
        )

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
