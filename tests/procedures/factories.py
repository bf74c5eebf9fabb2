"""factory_boy factories for the procedure catalogue; other apps' tests import these."""

import factory
from factory.django import DjangoModelFactory

from procedures.constants import (
    DurationUnit,
    FormFieldKind,
    OriginalKind,
    ServiceLevel,
    StaffRole,
    UnitKind,
)
from procedures.models import (
    Agency,
    DossierComponent,
    Fee,
    Field,
    FormField,
    Procedure,
    ProcedureStep,
    ProcessStep,
    StaffMembership,
    Unit,
)


def letters_code(n: int) -> str:
    """A distinct upper-case code per n, letters only like real agency codes: 0 -> "TBAA"."""
    n += 26**2
    letters = ""
    while n:
        n, digit = divmod(n, 26)
        letters = chr(ord("A") + digit) + letters
    return f"T{letters}"


class AgencyFactory(DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("code",)

    code = factory.Sequence(letters_code)
    name = factory.Sequence(lambda n: f"Cục Thử nghiệm {n}")
    name_en = factory.Sequence(lambda n: f"Test Authority {n}")
    address = "18 Nguyễn Du, Hai Bà Trưng, Hà Nội"
    phone = "024 0000 0000"
    email = factory.LazyAttribute(lambda o: f"motcua.{o.code.lower()}@example.gov.vn")
    website = "https://example.gov.vn"
    bank_name = "Kho bạc Nhà nước"
    bank_account_name = factory.SelfAttribute("name")
    bank_account_number = factory.Sequence(lambda n: f"9999{n:08d}")


class StaffMembershipFactory(DjangoModelFactory):
    """Needs `user=`; no accounts factory is imported so the dependency stays one-way."""

    class Meta:
        model = StaffMembership

    agency = factory.SubFactory(AgencyFactory)


class FieldFactory(DjangoModelFactory):
    class Meta:
        model = Field
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"linh-vuc-{n}")
    name = factory.Sequence(lambda n: f"Lĩnh vực {n}")
    name_en = factory.Sequence(lambda n: f"Field {n}")
    order = factory.Sequence(lambda n: n)


class ProcedureFactory(DjangoModelFactory):
    class Meta:
        model = Procedure
        django_get_or_create = ("national_code",)

    national_code = factory.Sequence(lambda n: f"9.{n:06d}")
    slug = factory.LazyAttribute(lambda o: o.national_code.replace(".", "-"))
    name = factory.Sequence(lambda n: f"Thủ tục thử nghiệm số {n}")
    field = factory.SubFactory(FieldFactory)
    agency = factory.SubFactory(AgencyFactory)
    service_level = ServiceLevel.FULL
    applicant_types = factory.LazyFunction(lambda: ["person", "organisation"])
    applicants = "Tổ chức, cá nhân"
    content = "Nội dung thủ tục."
    conditions = "Không có."
    processing_days = 5
    result = "Giấy phép"
    legal_basis = "Luật Thử nghiệm"
    is_published = True
    is_sample = False
    popularity = 0


class ProcedureStepFactory(DjangoModelFactory):
    class Meta:
        model = ProcedureStep

    procedure = factory.SubFactory(ProcedureFactory)
    order = factory.Sequence(lambda n: n)
    text = factory.Sequence(lambda n: f"Bước {n}: thực hiện.")


class DossierComponentFactory(DjangoModelFactory):
    class Meta:
        model = DossierComponent

    procedure = factory.SubFactory(ProcedureFactory)
    order = factory.Sequence(lambda n: n)
    name = factory.Sequence(lambda n: f"Thành phần hồ sơ {n}")
    description = ""
    required = True
    copies = 1
    original_kind = OriginalKind.ORIGINAL
    file_types = factory.LazyFunction(lambda: ["pdf", "jpg", "png", "docx"])
    max_size_mb = 10
    multiple = False

    class Params:
        # DossierComponentFactory(with_template=True) attaches a small .docx-named template.
        with_template = factory.Trait(
            template=factory.django.FileField(filename="mau-don.docx", data=b"PK\x03\x04 template")
        )


class FormFieldFactory(DjangoModelFactory):
    class Meta:
        model = FormField

    procedure = factory.SubFactory(ProcedureFactory)
    order = factory.Sequence(lambda n: n)
    key = factory.Sequence(lambda n: f"field_{n}")
    label = factory.Sequence(lambda n: f"Thông tin {n}")
    kind = FormFieldKind.TEXT
    required = False
    choices = factory.LazyFunction(list)
    help = ""


class FeeFactory(DjangoModelFactory):
    class Meta:
        model = Fee

    procedure = factory.SubFactory(ProcedureFactory)
    order = factory.Sequence(lambda n: n)
    name = "Lệ phí"
    amount = 100_000


class UnitFactory(DjangoModelFactory):
    class Meta:
        model = Unit

    agency = factory.SubFactory(AgencyFactory)
    name = factory.Sequence(lambda n: f"Phòng Thử nghiệm {n}")
    kind = UnitKind.SPECIALIST


class ProcessStepFactory(DjangoModelFactory):
    """A step of a procedure's own process by default; pass `procedure=None, agency=...` for an
    agency's default process."""

    class Meta:
        model = ProcessStep

    procedure = factory.SubFactory(ProcedureFactory)
    order = factory.Sequence(lambda n: n)
    unit_kind = UnitKind.SPECIALIST
    role = StaffRole.SPECIALIST
    duration = 1
    duration_unit = DurationUnit.WORKING_DAYS
