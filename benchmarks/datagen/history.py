"""Dossiers and their history, simulated on a timeline over the last 12 months."""

import random
import uuid
from bisect import bisect_left
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from dossiers.calendar import add_working_days
from procedures.models import Agency, Procedure

from .people import People

AGENCY_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CITIZEN_DOSSIERS = 200
SECRET_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # noqa: S105 (not a secret)

UNITS = [
    "Bộ phận Một cửa",
    "Phòng Cấp phép",
    "Phòng Thẩm định",
    "Phòng Kế hoạch - Tài chính",
    "Văn phòng",
    "Lãnh đạo đơn vị",
]
INTERNAL_NOTES = [
    "Chuyển chuyên viên thẩm định.",
    "Đã kiểm tra thành phần hồ sơ.",
    "Xin ý kiến phòng chuyên môn.",
    "Trình lãnh đạo ký duyệt.",
    "Đã đối chiếu thông tin doanh nghiệp.",
    "Chờ kết quả thẩm định kỹ thuật.",
]
PUBLIC_NOTES = [
    "Hồ sơ đang được thẩm định.",
    "Hồ sơ đã được chuyển phòng chuyên môn.",
    "Hồ sơ đang chờ lãnh đạo phê duyệt.",
]
SUPPLEMENT_MESSAGES = [
    "Đề nghị bổ sung bản sao có chứng thực của giấy tờ còn thiếu.",
    "Bản quét chưa rõ nét, đề nghị nộp lại bản rõ hơn.",
    "Thông tin trong đơn chưa khớp với giấy chứng nhận đăng ký doanh nghiệp.",
]
REJECTION_REASONS = [
    "Doanh nghiệp chưa đáp ứng điều kiện về vốn theo quy định.",
    "Hồ sơ không thuộc thẩm quyền giải quyết của cơ quan.",
    "Phương án kỹ thuật không đáp ứng quy chuẩn.",
]
BANK_CODES = ["NCB", "VCB", "BIDV", "VTB", "TCB", "MB"]


# --- Dossiers and their history ----------------------------------------------------------------


# Procedure popularity follows a Zipf law: the procedure of rank r is chosen with weight
# 1 / r**ZIPF_EXPONENT. The load benchmark's spread procedure pages use the same law.
ZIPF_EXPONENT = 0.9


def zipf_weight(rank: int) -> float:
    return 1.0 / rank**ZIPF_EXPONENT


class ProcInfo:
    __slots__ = (
        "pk",
        "agency_id",
        "days",
        "components",
        "required",
        "fees",
        "fee_total",
        "keys",
        "weight",
    )

    def __init__(self, p: Procedure):
        self.pk = p.pk
        self.agency_id = p.agency_id
        self.days = p.processing_days
        self.components = [
            (c.pk, c.required, c.multiple, c.file_types, c.name) for c in p.components.all()
        ]
        self.required = [c for c in self.components if c[1]] or self.components[:1]
        self.fees = [(f.name, f.amount) for f in p.fees.all()]
        self.fee_total = sum(a for _, a in self.fees)
        self.keys = [(f.key, f.kind) for f in p.form_fields.all()]
        self.weight = 0.0


class Generator:
    def __init__(self, rng: random.Random, scale: float, people: People, sample_files: dict):
        self.rng = rng
        self.scale = scale
        self.people = people
        self.files = sample_files
        self.now = timezone.now()
        self.never = self.now + timedelta(days=3650)
        self.due_cache: dict[tuple[date, int], date] = {}
        procedures = list(
            Procedure.objects.published()
            .prefetch_related("components", "form_fields", "fees")
            .order_by("id")
        )
        self.procs = [ProcInfo(p) for p in procedures]
        # Popularity: a Zipf law over a shuffled order, the real catalogue's procedures first.
        order = list(range(len(self.procs)))
        # The real catalogue first; generated variants have national codes 9.9xxxxx.
        real = [i for i, p in enumerate(procedures) if not p.national_code.startswith("9.9")]
        real_set = set(real)
        generated = [i for i in order if i not in real_set]
        rng.shuffle(real)
        rng.shuffle(generated)
        for rank, i in enumerate(real + generated, start=1):
            self.procs[i].weight = zipf_weight(rank)
        self.cum_weights = []
        total = 0.0
        for p in self.procs:
            total += p.weight
            self.cum_weights.append(total)
        self.dossiers: list[tuple] = []
        self.events: list[tuple] = []
        self.attachments: list[list] = []
        self.supplements: list[tuple] = []
        self.supplement_components: list[tuple] = []
        self.fee_notices: list[tuple] = []
        self.fee_items: list[tuple] = []
        self.payments: list[tuple] = []
        self.ratings: list[tuple] = []
        self.notifications: list[tuple] = []
        self.receipts: list[tuple[datetime, int, int]] = []  # (received_at, agency, dossier index)
        self.processing_spans: list[tuple[int, datetime, datetime, int]] = []

    def due(self, day: date, days: int) -> date:
        key = (day, days)
        if key not in self.due_cache:
            self.due_cache[key] = add_working_days(day, days)
        return self.due_cache[key]

    def pick_procedure(self) -> ProcInfo:
        x = self.rng.random() * self.cum_weights[-1]
        return self.procs[min(bisect_left(self.cum_weights, x), len(self.procs) - 1)]

    def later(self, t: datetime, low_hours: float, high_hours: float) -> datetime:
        return t + timedelta(hours=self.rng.uniform(low_hours, high_hours))

    def answer_time(self, asked: datetime) -> datetime:
        """When the applicant answers a supplement request: within days, or (10%) never."""
        if self.rng.random() < 0.10:
            return self.never
        return self.later(asked, 12, 24 * 20)

    def build(self, count: int) -> None:
        rng = self.rng
        special = set(rng.sample(range(count), min(CITIZEN_DOSSIERS, count // 2)))
        for index in range(count):
            applicant = (
                self.people.citizen200_id if index in special else self.people.random_citizen()
            )
            self.dossier(index + 1, applicant)

    def dossier(self, pk: int, applicant_id: int) -> None:
        rng = self.rng
        proc = self.pick_procedure()
        staff = self.people.staff_by_agency.get(proc.agency_id) or [self.people.superuser_id]
        officer = rng.choice(staff)
        user = self.people.info[applicant_id]
        created = self.now - timedelta(days=365 * rng.random() ** 1.15, minutes=rng.randrange(600))
        timeline = []  # (time, action, from, to, public, actor, unit, note, internal_note)
        supplements = []  # (time asked, asked_in_status, answered time, component id)
        payment = None  # (issued, paid or None)
        state = {
            "status": "draft",
            "submitted": None,
            "received": None,
            "due": None,
            "completed": None,
            "restart": None,
            "rejection": "",
        }

        def move(t, action, to, actor, unit="", note="", public=True) -> bool:
            if t > self.now:
                return False
            timeline.append((t, action, state["status"], to, public, actor, unit, note, ""))
            state["status"] = to
            return True

        fate = rng.random()
        t = created
        if fate >= 0.06:  # 6% stay drafts
            t = self.later(t, 0.1, 48)
            ok = move(t, "submit", "submitted", applicant_id)
            if ok:
                state["submitted"] = t
            early_supplement = rng.random() < 0.05
            if ok and early_supplement:
                t = self.later(t, 2, 48)
                component = rng.choice(proc.required)[0]
                message = rng.choice(SUPPLEMENT_MESSAGES)
                if move(
                    t, "request_supplement", "supplement_requested", officer, UNITS[0], message
                ):
                    asked = t
                    t = self.answer_time(t)
                    answered = t if t <= self.now else None
                    supplements.append((asked, "submitted", answered, component, message))
                    ok = bool(answered) and move(t, "supplement", "supplemented", applicant_id)
                else:
                    ok = False
            if ok and rng.random() < 0.02:
                t = self.later(t, 2, 48)
                reason = rng.choice(REJECTION_REASONS)
                if move(t, "reject", "rejected", officer, UNITS[0], reason):
                    state["completed"] = t
                    state["rejection"] = reason
                ok = False
            if ok:
                t = self.later(t, 1, 40)
                if move(t, "receive", "received", officer, UNITS[0], "Hồ sơ đã được tiếp nhận."):
                    state["received"] = t
                    day = timezone.localtime(t, AGENCY_TZ).date()
                    state["due"] = self.due(day, proc.days)
                    state["restart"] = t
                else:
                    ok = False
            withdraw_at = rng.random() < 0.03
            if ok:
                t = self.later(t, 0.2, 24)
                ok = move(t, "start_processing", "processing", officer, UNITS[1])
            span_start = t
            if ok and rng.random() < 0.10:
                t = self.later(t, 4, 24 * 3)
                component = rng.choice(proc.required)[0]
                message = rng.choice(SUPPLEMENT_MESSAGES)
                if move(
                    t, "request_supplement", "supplement_requested", officer, UNITS[2], message
                ):
                    asked = t
                    t = self.answer_time(t)
                    answered = t if t <= self.now else None
                    supplements.append((asked, "processing", answered, component, message))
                    ok = bool(answered) and move(t, "supplement", "supplemented", applicant_id)
                    if ok:
                        t = self.later(t, 1, 24)
                        ok = move(t, "start_processing", "processing", officer, UNITS[1])
                        if ok:
                            day = timezone.localtime(t, AGENCY_TZ).date()
                            state["due"] = self.due(day, proc.days)
                            state["restart"] = t
                else:
                    ok = False
            if ok and withdraw_at:
                t = self.later(t, 2, 24 * 5)
                move(t, "withdraw", "withdrawn", applicant_id, note="Người nộp rút hồ sơ.")
                state["completed"] = None
                ok = False
            if ok and proc.fee_total and rng.random() < 0.8:
                t = self.later(t, 2, 24 * 4)
                if move(t, "request_payment", "awaiting_payment", officer, UNITS[3]):
                    issued = t
                    # Most pay within days; a few never do.
                    t = self.later(t, 0.2, 24 * 10) if rng.random() > 0.05 else self.never
                    paid = t if t <= self.now else None
                    payment = (issued, paid)
                    ok = bool(paid) and move(t, "payment_settled", "processing", None, UNITS[3])
                else:
                    ok = False
            if ok:
                factor = rng.triangular(0.3, 1.35, 0.7)
                t = max(t, state["restart"] + timedelta(days=proc.days * 1.4 * factor))
                t = self.later(t, 0, 8)
                if rng.random() < 0.92:
                    if move(t, "approve", "approved", officer, UNITS[5], "Hồ sơ đã có kết quả."):
                        state["completed"] = t
                        t = self.later(t, 2, 24 * 10)
                        move(t, "return_result", "returned", officer, UNITS[0], "Đã trả kết quả.")
                else:
                    reason = rng.choice(REJECTION_REASONS)
                    if move(t, "reject", "rejected", officer, UNITS[5], reason):
                        state["completed"] = t
                        state["rejection"] = reason
            if (
                state["status"]
                in (
                    "processing",
                    "supplemented",
                    "awaiting_payment",
                    "approved",
                    "returned",
                    "rejected",
                    "supplement_requested",
                )
                and state["received"]
            ):
                end = state["completed"] or min(self.now, t)
                if end > span_start:
                    self.processing_spans.append((pk, span_start, end, officer))

        status = state["status"]
        code, secret = None, ""
        if state["received"]:
            self.receipts.append((state["received"], proc.agency_id, len(self.dossiers)))
            secret = "".join(rng.choice(SECRET_ALPHABET) for _ in range(6))
        data = {}
        for key, kind in proc.keys:
            data[key] = (
                "2025-01-15"
                if kind == "date"
                else ("10" if kind == "number" else "Nội dung kê khai mẫu")
            )
        result_name = result_file = result_sha = ""
        if status in ("approved", "returned"):
            name, _size, sha, _ct = self.files["result"]
            result_file, result_name, result_sha = name, "ket-qua-giai-quyet.pdf", sha
        updated = timeline[-1][0] if timeline else created
        self.dossiers.append(
            [
                pk,
                proc.pk,
                proc.agency_id,
                applicant_id,
                status,
                code,
                secret,
                uuid.UUID(int=rng.getrandbits(128), version=4),
                user[6],
                user[11],
                user[12],
                user[9],
                user[13],
                user[7],
                user[5],
                user[10],
                data,
                created,
                updated,
                state["submitted"],
                state["received"],
                state["due"],
                state["completed"],
                officer if state["received"] else None,
                result_file,
                result_name,
                result_sha,
                "Kết quả được gửi bản điện tử." if result_file else "",
                state["rejection"],
            ]
        )
        for event in timeline:
            self.events.append((pk, *event))
        self._attachments(pk, proc, applicant_id, created, supplements, status == "draft")
        for asked, asked_in, answered, component, message in supplements:
            sr_id = len(self.supplements) + 1
            self.supplements.append(
                (
                    sr_id,
                    pk,
                    asked,
                    officer,
                    message,
                    asked_in,
                    (asked + timedelta(days=15)).date(),
                    answered,
                )
            )
            self.supplement_components.append(
                (len(self.supplement_components) + 1, sr_id, component)
            )
            if answered:
                # The new version of the component asked for.
                self._attachment(pk, component, applicant_id, answered, version=2, supplement=sr_id)
        if payment:
            self._payment(pk, proc, officer, payment)
        if status in ("approved", "returned") and rng.random() < 0.35:
            overall = rng.choices([5, 4, 3, 2, 1], weights=[55, 30, 9, 4, 2])[0]
            scores = [max(1, min(5, overall + rng.choice([-1, 0, 0, 0, 1]))) for _ in range(3)]
            rated_at = min(self.now, state["completed"] + timedelta(days=rng.uniform(0.1, 10)))
            self.ratings.append(
                (
                    len(self.ratings) + 1,
                    pk,
                    applicant_id,
                    rated_at,
                    *scores,
                    overall,
                    "Cán bộ hướng dẫn nhiệt tình." if overall >= 4 and rng.random() < 0.3 else "",
                )
            )
        for t, action, _frm, _to, *_rest in timeline:
            if action in ("receive", "request_supplement", "request_payment", "approve", "reject"):
                read = t + timedelta(hours=rng.uniform(1, 72))
                self.notifications.append(
                    (
                        len(self.notifications) + 1,
                        applicant_id,
                        t,
                        f"Hồ sơ: {action}",
                        "Trạng thái hồ sơ của bạn đã thay đổi.",
                        f"/me/dossiers/{pk}/",
                        read if read < self.now and rng.random() < 0.85 else None,
                    )
                )

    def _attachments(self, pk, proc, applicant_id, created, supplements, draft) -> None:
        rng = self.rng
        asked = {s[3] for s in supplements if s[2]}
        for component_id, required, multiple, _types, _name in proc.components:
            if draft and rng.random() < 0.4:
                continue
            if not required and rng.random() > 0.3:
                continue
            copies = 1 + (rng.random() < 0.3 if multiple else 0)
            for _ in range(copies):
                version_current = component_id not in asked
                self._attachment(
                    pk, component_id, applicant_id, created, version=1, current=version_current
                )

    def _attachment(
        self, pk, component_id, user_id, when, *, version, current=True, supplement=None
    ):
        kind = self.rng.choice(("pdf", "pdf", "pdf2"))
        name, size, sha, content_type = self.files[kind]
        self.attachments.append(
            [
                pk,
                component_id,
                version,
                name,
                f"ho-so-{component_id}-v{version}.pdf",
                size,
                sha,
                content_type,
                user_id,
                when + timedelta(minutes=self.rng.uniform(1, 30)),
                current,
                supplement,
            ]
        )

    def _payment(self, pk, proc, officer, payment) -> None:
        rng = self.rng
        issued, paid = payment
        notice_id = len(self.fee_notices) + 1
        self.fee_notices.append(
            (
                notice_id,
                pk,
                proc.fee_total,
                "Đề nghị nộp phí, lệ phí theo quy định.",
                officer,
                issued,
                paid,
            )
        )
        for order, (name, amount) in enumerate(proc.fees):
            self.fee_items.append((len(self.fee_items) + 1, notice_id, order, name, amount))
        pay_id = len(self.payments) + 1
        online = rng.random() < 0.7
        if paid:
            status = "confirmed"
        else:
            status = rng.choice(["pending", "initiated" if online else "receipt_submitted"])
        receipt = self.files["receipt"] if not online and status != "pending" else None
        self.payments.append(
            (
                pay_id,
                notice_id,
                "online" if online else "offline",
                "vnpay" if online else "",
                status,
                proc.fee_total,
                f"BENCH{pay_id:010d}",
                f"{14000000 + pay_id}" if online and paid else "",
                rng.choice(BANK_CODES) if online else "",
                "00" if online and paid else "",
                issued + timedelta(minutes=5) if online else None,
                paid,
                None if online or not paid else officer,
                receipt[0] if receipt else "",
                "bien-lai.png" if receipt else "",
                receipt[1] if receipt else None,
                receipt[2] if receipt else "",
                receipt[3] if receipt else "",
                issued + timedelta(hours=2) if receipt else None,
                issued,
                paid or issued,
            )
        )

    def assign_codes(self) -> dict[tuple[int, date], int]:
        """Codes `<AGENCY>-<YYMMDD>-<NNNN>` in order of receipt, per agency and local day."""
        agency_codes = dict(Agency.objects.values_list("id", "code"))
        counters: Counter = Counter()
        for received, agency_id, index in sorted(self.receipts):
            day = timezone.localtime(received, AGENCY_TZ).date()
            counters[(agency_id, day)] += 1
            self.dossiers[index][5] = (
                f"{agency_codes[agency_id].upper()}-{day:%y%m%d}-{counters[(agency_id, day)]:04d}"
            )
        return counters

    def pad_events(self, target: int) -> None:
        """Internal hand-overs and public progress notes during processing, up to `target`."""
        rng = self.rng
        missing = target - len(self.events)
        if missing <= 0 or not self.processing_spans:
            return
        extra = defaultdict(int)
        spans = self.processing_spans
        for _ in range(missing):
            extra[rng.randrange(len(spans))] += 1
        for i, n in extra.items():
            pk, start, end, officer = spans[i]
            seconds = (end - start).total_seconds()
            for _ in range(n):
                t = start + timedelta(seconds=rng.uniform(0, seconds))
                if rng.random() < 0.8:
                    self.events.append(
                        (
                            pk,
                            t,
                            "handover",
                            "processing",
                            "processing",
                            False,
                            officer,
                            rng.choice(UNITS[1:]),
                            "",
                            rng.choice(INTERNAL_NOTES),
                        )
                    )
                else:
                    self.events.append(
                        (
                            pk,
                            t,
                            "note",
                            "processing",
                            "processing",
                            True,
                            officer,
                            rng.choice(UNITS[1:]),
                            rng.choice(PUBLIC_NOTES),
                            "",
                        )
                    )

    def fit_attachments(self, target: int) -> None:
        """Exactly `target` attachment rows: sample down, or add further files to components."""
        rng = self.rng
        rows = self.attachments
        if len(rows) > target:
            keep = sorted(rng.sample(range(len(rows)), target))
            rows = [rows[i] for i in keep]
        while len(rows) < target and rows:
            extra = list(rng.choice(rows))
            extra[10] = True
            rows.append(extra)
        # The highest version of each component is the current one.
        top: dict[tuple[int, int], int] = {}
        for row in rows:
            key = (row[0], row[1])
            top[key] = max(top.get(key, 0), row[2])
        for row in rows:
            if row[2] < top[(row[0], row[1])]:
                row[10] = False
        rows.sort(key=lambda r: (r[0], r[9]))
        self.attachments = rows
