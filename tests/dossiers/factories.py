"""factory_boy factories for dossiers, and small real files of each accepted type."""

import io
import itertools
import zipfile
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

import factory
from factory.django import DjangoModelFactory

from dossiers.constants import DossierStatus, HandOverKind
from dossiers.models import Attachment, CalendarDay, Dossier, DossierEvent, DossierStep, HandOver
from procedures.constants import StaffRole, UnitKind
from procedures.models import UnitMembership
from tests.accounts.factories import StaffFactory, UserFactory
from tests.procedures.factories import (
    AgencyFactory,
    DossierComponentFactory,
    ProcedureFactory,
    StaffMembershipFactory,
    UnitFactory,
)

__all__ = [
    "AgencyFactory",
    "AttachmentFactory",
    "CalendarDayFactory",
    "DossierComponentFactory",
    "DossierEventFactory",
    "DossierFactory",
    "DossierStepFactory",
    "HandOverFactory",
    "ProcedureFactory",
    "StaffFactory",
    "UserFactory",
    "UnitFactory",
    "agency_staff",
    "dossier_at_step",
    "unit_member",
]


class DossierFactory(DjangoModelFactory):
    class Meta:
        model = Dossier

    procedure = factory.SubFactory(ProcedureFactory)
    agency = factory.SelfAttribute("procedure.agency")
    applicant = factory.SubFactory(UserFactory)
    status = DossierStatus.DRAFT
    applicant_name = factory.SelfAttribute("applicant.full_name")
    applicant_type = "person"
    citizen_id = factory.SelfAttribute("applicant.citizen_id")
    phone = "0912345678"
    email = factory.SelfAttribute("applicant.email")
    address = "1 Tràng Tiền, Hoàn Kiếm, Hà Nội"


class AttachmentFactory(DjangoModelFactory):
    class Meta:
        model = Attachment

    dossier = factory.SubFactory(DossierFactory)
    component = factory.SubFactory(
        DossierComponentFactory, procedure=factory.SelfAttribute("..dossier.procedure")
    )
    file = factory.django.FileField(filename="don.pdf", data=b"%PDF-1.4\n%test\n")
    original_name = "don.pdf"
    size = 15
    sha256 = "0" * 64
    content_type = "application/pdf"
    uploaded_by = factory.SelfAttribute("dossier.applicant")


class DossierEventFactory(DjangoModelFactory):
    class Meta:
        model = DossierEvent

    dossier = factory.SubFactory(DossierFactory)
    action = "note"


class CalendarDayFactory(DjangoModelFactory):
    class Meta:
        model = CalendarDay


def agency_staff(agency, *, superuser=False, groups=None, **kwargs):
    """A staff user of `agency` (with a StaffMembership) in permission groups: by default the
    desk's and the processing unit's, as an officer who takes every step; `groups=()` for none."""
    from django.contrib.auth.models import Group

    from dossiers.groups import PROCESSING_GROUP, RECEPTION_GROUP, groups_setup

    if groups is None:
        groups = (RECEPTION_GROUP, PROCESSING_GROUP)

    user = StaffFactory(is_superuser=superuser, **kwargs)
    StaffMembershipFactory(user=user, agency=agency)
    if groups:
        groups_setup()
        user.groups.add(*Group.objects.filter(name__in=groups))
    return user


def unit_member(unit, role: str = StaffRole.SPECIALIST, **kwargs):
    """A staff user of the unit's agency holding `role` in `unit`, allowed to view dossiers in
    admin but in no permission group: the back office decides by unit roles."""
    from django.contrib.auth.models import Permission

    user = agency_staff(unit.agency, groups=(), **kwargs)
    UnitMembership.objects.create(user=user, unit=unit, role=role)
    # Enough to open the dossier admin: what they may do there is the policy's.
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="dossiers", codename="view_dossier")
    )
    return user


class DossierStepFactory(DjangoModelFactory):
    """A step of a dossier's internal process, open unless `finished_at` is given; the unit is
    a specialist unit of the dossier's agency by default."""

    class Meta:
        model = DossierStep

    dossier = factory.SubFactory(DossierFactory)
    order = factory.Sequence(lambda n: n + 1)
    unit_kind = UnitKind.SPECIALIST
    role = StaffRole.SPECIALIST
    hours = 16
    unit = factory.SubFactory(
        UnitFactory, agency=factory.SelfAttribute("..dossier.agency"), kind=UnitKind.SPECIALIST
    )
    started_at = factory.LazyFunction(timezone.now)
    deadline = factory.LazyAttribute(lambda o: o.started_at + timedelta(days=2))


class HandOverFactory(DjangoModelFactory):
    """A line of the processing-control slip; pass the steps, units and people it names."""

    class Meta:
        model = HandOver

    dossier = factory.SubFactory(DossierFactory)
    kind = HandOverKind.FORWARD


_STEP_CODES = itertools.count(1)


def dossier_at_step(*, unit, status=DossierStatus.PROCESSING, procedure=None, **step) -> Dossier:
    """A received dossier of `unit`'s agency whose current step is an open step in `unit`
    (`step`: the DossierStep's fields, e.g. role, assignee, deadline, approves)."""
    procedure = procedure or ProcedureFactory(agency=unit.agency)
    dossier = DossierFactory(
        procedure=procedure,
        status=status,
        code=f"{unit.agency.code}-{next(_STEP_CODES):06d}",
        received_at=timezone.now() - timedelta(days=2),
        due_date=timezone.localdate() + timedelta(days=5),
    )
    dossier.current_step = DossierStepFactory(
        dossier=dossier, unit=unit, unit_kind=unit.kind, **step
    )
    dossier.save(update_fields=["current_step"])
    return dossier


# --- Real bytes of each type ----------------------------------------------------------------

# A person's answers to the dossier form, as a browser posts them.
APPLICANT_FORM = {
    "applicant_type": "person",
    "applicant_name": "Nguyễn Văn An",
    "citizen_id": "001200012345",
    "phone": "0912345678",
    "email": "an@example.com",
    "address": "1 Tràng Tiền, Hà Nội",
}

PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
OLE_BYTES = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
HTML_BYTES = b"<!DOCTYPE html><html><script>alert(1)</script></html>"


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX_BYTES = zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX_BYTES = zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
ODT_BYTES = zip_bytes(
    {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office/>"}
)
PLAIN_ZIP_BYTES = zip_bytes({"readme.txt": b"hello"})


def upload(name: str = "don.pdf", data: bytes = PDF_BYTES, content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, data, content_type=content_type)


# --- A back office: units, people and an internal process --------------------------------------


class BackOffice:
    """An agency's desk, one specialist unit (and a second one), its leadership, two people per
    role, and `procedure`'s internal process: desk 4 h → specialist → unit head → leader → desk
    4 h, adding up to the procedure's processing time (at least 4 working days)."""

    def __init__(self, procedure, *, separation_of_duties: bool = True) -> None:
        from procedures.constants import DurationUnit, StaffRole, UnitKind
        from procedures.models import ProcessStep, Unit, UnitMembership

        agency = procedure.agency
        # The process below replaces any the procedure came with (the catalogue's sample).
        ProcessStep.objects.filter(procedure=procedure).delete()
        if procedure.processing_days < 4:
            procedure.processing_days = 4
            procedure.save(update_fields=["processing_days"])
        agency.separation_of_duties = separation_of_duties
        agency.save(update_fields=["separation_of_duties"])
        self.procedure, self.agency = procedure, agency
        self.desk = Unit.objects.create(
            agency=agency, kind=UnitKind.DESK, name="Bộ phận một cửa", name_en="One-stop desk"
        )
        self.unit = Unit.objects.create(
            agency=agency, kind=UnitKind.SPECIALIST, name="Phòng Bưu chính", name_en="Postal Unit"
        )
        self.other_unit = Unit.objects.create(
            agency=agency, kind=UnitKind.SPECIALIST, name="Phòng Viễn thông"
        )
        self.unit.fields.add(procedure.field)
        self.leadership = Unit.objects.create(
            agency=agency, kind=UnitKind.LEADERSHIP, name="Lãnh đạo", name_en="Leadership"
        )

        def person(unit, role, name):
            user = agency_staff(agency, full_name=name)
            UnitMembership.objects.create(user=user, unit=unit, role=role)
            return user

        self.desk1 = person(self.desk, StaffRole.DESK_OFFICER, "Cán bộ Một Cửa")
        self.desk2 = person(self.desk, StaffRole.DESK_OFFICER, "Cán bộ Trả Kết Quả")
        self.specialist1 = person(self.unit, StaffRole.SPECIALIST, "Chuyên viên Một")
        self.specialist2 = person(self.unit, StaffRole.SPECIALIST, "Chuyên viên Hai")
        self.head = person(self.unit, StaffRole.UNIT_HEAD, "Trưởng phòng Bưu chính")
        self.outsider = person(self.other_unit, StaffRole.SPECIALIST, "Chuyên viên Viễn thông")
        self.other_head = person(self.other_unit, StaffRole.UNIT_HEAD, "Trưởng phòng Viễn thông")
        self.leader1 = person(self.leadership, StaffRole.LEADER, "Lãnh đạo Một")
        self.leader2 = person(self.leadership, StaffRole.LEADER, "Lãnh đạo Hai")
        hours = procedure.processing_days * 8
        plan = [
            (UnitKind.DESK, StaffRole.DESK_OFFICER, 4, {}),
            (
                UnitKind.SPECIALIST,
                StaffRole.SPECIALIST,
                hours - 4 - 8 - 8 - 4,
                {
                    "may_request_supplement": True,
                    "may_issue_fee_notice": True,
                    "drafts_result": True,
                },
            ),
            (UnitKind.SPECIALIST, StaffRole.UNIT_HEAD, 8, {}),
            (UnitKind.LEADERSHIP, StaffRole.LEADER, 8, {"approves": True}),
            (UnitKind.DESK, StaffRole.DESK_OFFICER, 4, {}),
        ]
        self.steps = [
            ProcessStep.objects.create(
                procedure=procedure,
                order=i,
                unit_kind=kind,
                role=role,
                duration=duration,
                duration_unit=DurationUnit.WORKING_HOURS,
                **flags,
            )
            for i, (kind, role, duration, flags) in enumerate(plan)
        ]
