"""Accounts: citizens and organisations, staff of every agency, the named benchmark users."""

import random
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from procedures.models import (
    Agency,
)

PASSWORD = "bench-Password-2025"  # noqa: S105 (every generated account; the bench database only)
STAFF_EMAIL = "staff@bench.example"
SUPERUSER_EMAIL = "admin@bench.example"
CITIZEN_EMAIL = "citizen200@bench.example"  # exactly 200 dossiers, for /me/dossiers/
UPLOADER_EMAIL = "uploader@bench.example"  # the 50 MB upload's account (no dossier of its own)
CITIZEN_DOSSIERS = 200
SECRET_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # noqa: S105 (not a secret)

# Word lists, split once (a list literal per word would be longer than the data).
FAMILY = "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý".split()  # noqa: SIM905
MIDDLE = "Văn Thị Hữu Đức Minh Thanh Ngọc Quang Xuân Thu Hoài Bảo".split()  # noqa: SIM905
GIVEN = (  # noqa: SIM905
    "An Bình Chi Dũng Giang Hà Hải Hạnh Hoa Hùng Hương Khánh Lan Linh Long Mai Minh Nam Nga "
    "Ngọc Phong Phương Quân Sơn Tâm Thảo Thắng Trang Trung Tú Tuấn Vy Yến Đạt Hiếu Lộc Nhung"
).split()
COMPANY_KIND = ["Công ty TNHH", "Công ty Cổ phần", "Công ty TNHH MTV", "Hợp tác xã"]
COMPANY_WORDS = (  # noqa: SIM905
    "Viễn thông Sao Mai|Truyền thông Hồng Hà|Bưu chính Phương Nam|Công nghệ Ánh Dương|"
    "Dữ liệu Trường Sơn|Phát thanh Cửu Long|In ấn Tây Hồ|Xuất bản Bến Thành|Tần số Việt|"
    "An ninh mạng Đại Việt|Chữ ký số Lạc Hồng|Mạng Hạ Long|Điện tử Sông Hàn|Nội dung số Kim Liên"
).split("|")
STREETS = "Nguyễn Du|Trần Hưng Đạo|Lê Lợi|Hai Bà Trưng|Cầu Giấy|Nguyễn Trãi".split("|")  # noqa: SIM905
CITIES = "Hà Nội|TP. Hồ Chí Minh|Đà Nẵng|Hải Phòng|Cần Thơ|Huế|Nha Trang".split("|")  # noqa: SIM905


# --- People ------------------------------------------------------------------------------------


class People:
    """Accounts with explicit ids; citizens are drawn with a skew (most have 1-3 dossiers)."""

    def __init__(self, rng: random.Random, citizens: int, agencies: list[Agency]):
        self.rng = rng
        self.rows: list[tuple] = []
        self.password = make_password(PASSWORD)
        self.now = timezone.now()
        self.superuser_id = self._add(
            SUPERUSER_EMAIL, "Quản trị hệ thống", staff=True, superuser=True
        )
        self.staff_by_agency: dict[int, list[int]] = {}
        for agency in agencies:
            ids = []
            for n in range(2):
                email = f"staff{n + 1}.{agency.code.lower()}@bench.example"
                ids.append(self._add(email, self._person_name(), staff=True))
            self.staff_by_agency[agency.pk] = ids
        self.citizen200_id = self._add(CITIZEN_EMAIL, "Nguyễn Văn Bench", organisation=False)
        self.uploader_id = self._add(UPLOADER_EMAIL, "Trần Thị Tải Lên", organisation=False)
        self.first_citizen = len(self.rows) + 1
        for n in range(citizens):
            self._add(f"person{n + 1}@bench.example", self._person_name())
        self.last_citizen = len(self.rows)
        self.info: dict[int, tuple] = {row[0]: row for row in self.rows}

    def _person_name(self) -> str:
        rng = self.rng
        return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"

    def _add(self, email, full_name, *, staff=False, superuser=False, organisation=None) -> int:
        rng = self.rng
        pk = len(self.rows) + 1
        if organisation is None:
            organisation = not staff and rng.random() < 0.55
        org_name = f"{rng.choice(COMPANY_KIND)} {rng.choice(COMPANY_WORDS)}" if organisation else ""
        joined = self.now - timedelta(days=rng.uniform(370, 900))
        self.rows.append(
            (
                pk,
                self.password,
                superuser,
                staff,
                True,
                email,
                full_name,
                f"09{rng.randrange(10**8):08d}",
                date(1960 + rng.randrange(45), 1 + rng.randrange(12), 1 + rng.randrange(28)),
                f"{rng.randrange(10**12):012d}",
                f"Số {rng.randrange(1, 300)} phố {rng.choice(STREETS)}, {rng.choice(CITIES)}",
                "organisation" if organisation else "person",
                org_name,
                f"{rng.randrange(10**10):010d}" if organisation else "",
                "vi",
                joined,
                joined,
            )
        )
        return pk

    COLUMNS = [
        "id",
        "password",
        "is_superuser",
        "is_staff",
        "is_active",
        "email",
        "full_name",
        "phone",
        "date_of_birth",
        "citizen_id",
        "address",
        "applicant_type",
        "organisation_name",
        "tax_code",
        "language",
        "date_joined",
        "activated_at",
    ]

    def random_citizen(self) -> int:
        span = self.last_citizen - self.first_citizen + 1
        return self.first_citizen + min(span - 1, int(span * self.rng.random() ** 1.6))
