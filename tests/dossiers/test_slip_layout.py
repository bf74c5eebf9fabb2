"""Every slip the agency issues fits one A4 page for an ordinary dossier (up to eight
components), and its signature block never sits alone on a page: when a long slip must break,
the block moves with at least its last table rows. Page counts by `pdfinfo`, page texts by
`pdftotext` (poppler-utils)."""

import re
import shutil
import subprocess
from datetime import UTC, date, datetime

from django.utils import timezone

import pytest

from dossiers import documents
from dossiers.constants import DossierStatus
from dossiers.models import SupplementRequest
from payments.constants import PaymentMethod, PaymentStatus
from payments.documents import payment_confirmation_pdf
from payments.models import FeeNoticeItem
from tests.conftest import missing_service
from tests.payments.factories import FeeNoticeFactory, PaymentFactory

from .factories import (
    AgencyFactory,
    AttachmentFactory,
    DossierComponentFactory,
    DossierFactory,
    ProcedureFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
S = DossierStatus
KINDS = ["receipt", "supplement", "rejection", "payment"]
# Where each slip signs: the block that must share its page with the content above it.
SIGNATURE = {
    "receipt": "NGƯỜI NỘP HỒ SƠ",
    "supplement": "NGƯỜI HƯỚNG DẪN",
    "rejection": "NGƯỜI TIẾP NHẬN / XỬ LÝ HỒ SƠ",
    "payment": "(văn bản điện tử, không cần chữ ký)",
}
# As long as the longest component names of the shipped catalogue (about 80 characters).
COMPONENT = "Bản sao giấy chứng nhận đăng ký doanh nghiệp hoặc quyết định thành lập, số {n}"


def pdf_pages(pdf: bytes) -> list[str]:
    """The text of each page of `pdf`."""
    if not (shutil.which("pdfinfo") and shutil.which("pdftotext")):
        missing_service("needs pdfinfo and pdftotext (apt-get install poppler-utils)")
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True)
    count = int(re.search(r"^Pages:\s+(\d+)", info.stdout.decode(), re.M).group(1))
    return [
        subprocess.run(
            ["pdftotext", "-enc", "UTF-8", "-f", str(n), "-l", str(n), "-", "-"],
            input=pdf,
            capture_output=True,
            check=True,
        ).stdout.decode()
        for n in range(1, count + 1)
    ]


def build_dossier(components: int):
    """A received, then rejected, dossier with `components` attached files, a supplement
    request naming all of them, and a confirmed payment of as many fee items."""
    agency = AgencyFactory(
        code="CVT",
        name="Cục Viễn thông",
        address="Tầng 5, tòa nhà số 18 Nguyễn Du, phường Nguyễn Du, quận Hai Bà Trưng, Hà Nội",
        phone="024 0000 0102",
        email="motcua.cvt@mic.example",
    )
    procedure = ProcedureFactory(
        agency=agency,
        name=(
            "Cấp giấy phép thiết lập mạng viễn thông công cộng cố định mặt đất không sử dụng "
            "băng tần số vô tuyến điện, số thuê bao viễn thông"
        ),
        processing_days=30,
    )
    procedure.fees.create(name="Phí thẩm định cấp giấy phép", amount=3_500_000)
    procedure.fees.create(name="Lệ phí cấp giấy phép", amount=1_000_000)
    applicant = UserFactory(full_name="Nguyễn Thị Phương Thảo")
    dossier = DossierFactory(
        procedure=procedure,
        applicant=applicant,
        status=S.RECEIVED,
        code="CVT-261202-0007",
        lookup_secret="K7M2QX",
        applicant_type="organisation",
        organisation_name="Công ty Cổ phần Viễn thông và Truyền dẫn Số Việt Nam",
        tax_code="0101234567",
        address="Số 25 ngõ 68 đường Cầu Giấy, phường Quan Hoa, quận Cầu Giấy, thành phố Hà Nội",
        received_at=datetime(2026, 12, 2, 2, 30, tzinfo=UTC),
        due_date=date(2027, 1, 14),
        received_by=UserFactory(full_name="Lê Văn Đức"),
    )
    parts = [
        DossierComponentFactory(procedure=procedure, name=COMPONENT.format(n=n), order=n)
        for n in range(1, components + 1)
    ]
    for part in parts:
        AttachmentFactory(dossier=dossier, component=part)
    request = SupplementRequest.objects.create(
        dossier=dossier,
        created_by=UserFactory(full_name="Phạm Minh Tuấn"),
        message=(
            "Bản sao giấy chứng nhận đăng ký doanh nghiệp chưa được chứng thực; đề nghị nộp "
            "bản sao có chứng thực. Phương án kỹ thuật chưa nêu vùng phủ sóng dự kiến."
        ),
        fields=["address"],
        asked_in_status=S.RECEIVED,
        deadline=date(2026, 12, 16),
    )
    request.components.set(parts)
    dossier.rejection_reason = (
        "Hồ sơ không đáp ứng điều kiện về vốn pháp định theo quy định; doanh nghiệp chưa "
        "bổ sung phương án kỹ thuật trong thời hạn yêu cầu."
    )
    notice = FeeNoticeFactory(dossier=dossier, total=500_000 * components)
    notice.items.all().delete()
    FeeNoticeItem.objects.bulk_create(
        FeeNoticeItem(fee_notice=notice, name=f"Phí thẩm định, hạng mục {n}", amount=500_000)
        for n in range(1, components + 1)
    )
    payment = PaymentFactory(
        fee_notice=notice,
        amount=notice.total,
        method=PaymentMethod.OFFLINE,
        status=PaymentStatus.CONFIRMED,
        confirmed_at=timezone.now(),
    )
    return dossier, payment


# As issued: with the verification QR code top left.
VERIFY_URL = "https://dichvucong.example.gov.vn/verify/0b9f6a52-3c1e-4d7a-9f55-2a1c8e4b7d10/"


def render(kind: str, dossier, payment) -> bytes:
    if kind == "payment":
        return payment_confirmation_pdf(payment, verify_url=VERIFY_URL)
    return documents.dossier_slip_pdf(dossier=dossier, kind=kind, verify_url=VERIFY_URL)


@pytest.mark.parametrize("components", [4, 8])
@pytest.mark.parametrize("kind", KINDS)
def test_an_ordinary_dossiers_slips_fit_one_page(kind, components):
    dossier, payment = build_dossier(components)
    pages = pdf_pages(render(kind, dossier, payment))
    assert len(pages) == 1, f"{kind} with {components} components: {len(pages)} pages"
    assert SIGNATURE[kind] in pages[0]


@pytest.mark.parametrize("delivery", ["post", "online"])
def test_the_receipt_fits_one_page_whichever_way_the_result_is_delivered(delivery):
    dossier, payment = build_dossier(8)
    dossier.result_delivery = delivery
    dossier.delivery_address = dossier.address + ", Việt Nam (gọi trước khi giao: 0912 345 678)"
    dossier.save()
    pages = pdf_pages(render("receipt", dossier, payment))
    assert len(pages) == 1
    assert SIGNATURE["receipt"] in pages[0]


@pytest.mark.parametrize("kind", ["receipt", "supplement", "payment"])
def test_a_long_slip_keeps_its_signature_with_its_last_rows(kind):
    dossier, payment = build_dossier(30)
    pages = pdf_pages(render(kind, dossier, payment))
    assert len(pages) > 1
    signed = [text for text in pages if SIGNATURE[kind] in text]
    assert len(signed) == 1
    last_row = "hạng mục 30" if kind == "payment" else "số 30"
    assert last_row in signed[0], f"the {kind} slip's signature block left its table"
