"""Existing history events and notifications become composed messages (id + parameters).

Before, an event stored a sentence in the language of whoever acted (the portal's default for
payments) in `note`, which the public lookup printed, next to the free text people typed. Now
the portal's own words are a message id and parameters, rendered when read in the reader's
language, and `note` holds only what a person wrote (the applicant and staff read it, the
public never). Notifications kept their title in the recipient's language; they get the
message id and parameters of that title.

The texts below are the sentences the portal wrote until now, in both languages, exactly as
they were stored; the conversion functions take the apps registry so the tests can run them.
"""

import re
from datetime import date

from django.db import migrations

DATE = re.compile(r"(\d{2})/(\d{2})/(\d{4})")


def _iso_date(text: str) -> str:
    found = DATE.search(text or "")
    if not found:
        return ""
    day, month, year = (int(part) for part in found.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return ""


def _amount(text: str) -> int | None:
    """"Thông báo nộp phí: 15.000.000 ₫" -> 15000000 (the sentence holds one amount)."""
    found = re.search(r"(\d{1,3}(?:[.,]\d{3})+|\d+)\s*₫", text or "")
    return int(re.sub(r"\D", "", found.group(1))) if found else None


def _strip_prefixes(text: str, prefixes: tuple[str, ...]) -> str:
    for prefix in prefixes:
        if text.startswith(prefix):
            return text[len(prefix) :].strip()
    return text


# Sentences the services wrote into `note` / `internal_note`, both languages.
SUPPLEMENT_DUE = ("Supplement due by ", "Hạn bổ sung hồ sơ: ")
OVERDUE = ("The supplement deadline (", "Đã hết hạn bổ sung (")
CONTINUED = (
    "Processing continues after the supplement: the due date counts again from today.",
    "Tiếp tục xử lý sau khi bổ sung hồ sơ: ngày hẹn trả được tính lại từ hôm nay.",
)
FEE_NOTICE = ("Fee notice: ", "Thông báo nộp phí: ")
FEE_PAID = ("Fee paid: ", "Đã nộp phí: ")
RECEIPT_SUBMITTED = (
    "Payment receipt submitted for checking.",
    "Đã gửi chứng từ thanh toán để kiểm tra.",
)
RECEIPT_REJECTED = ("Payment receipt rejected: ", "Chứng từ thanh toán bị từ chối: ")

# action -> message id, for steps whose old text (if any) was the person's own.
SIMPLE = {
    "submitted": "dossier.submitted",
    "start_processing": "dossier.processing_started",
    "supplement": "dossier.supplemented",
    "request_payment": "dossier.payment_requested",
    "payment_settled": "dossier.payment_settled",
    "approve": "dossier.approved",
    "reject": "dossier.rejected",
    "return_result": "dossier.returned",
    "withdrawn": "dossier.withdrawn",
}


def _convert_event(event, due_dates: dict) -> None:
    """Set `message` and `params` on one old event; leave in `note` only what a person typed."""
    action, note = event.action, event.note or ""
    params = dict(event.params or {})
    if action in SIMPLE:
        event.message = SIMPLE[action]
    elif action == "receive":
        event.message = "dossier.received"
        if due_dates.get(event.pk):
            params["due_date"] = due_dates[event.pk]
        else:
            event.message = "dossier.received.no_date"
    elif action == "continue_processing":
        event.message = "dossier.processing_continued"
        if due_dates.get(event.pk):
            params["due_date"] = due_dates[event.pk]
        else:
            event.message = "dossier.processing_continued.no_date"
        if event.internal_note.strip() in CONTINUED:
            event.internal_note = ""
    elif action == "request_supplement":
        deadline = _iso_date(note) if note.startswith(SUPPLEMENT_DUE) else ""
        if deadline:
            event.message, params["date"], note = "dossier.supplement_requested", deadline, ""
    elif action == "supplement_overdue":
        deadline = _iso_date(event.internal_note)
        if deadline and event.internal_note.startswith(OVERDUE):
            event.message, params["date"], event.internal_note = (
                "dossier.supplement_overdue",
                deadline,
                "",
            )
    elif action in ("fee_notice_issued", "payment_confirmed"):
        prefixes = FEE_NOTICE if action == "fee_notice_issued" else FEE_PAID
        total = _amount(note) if note.startswith(prefixes) else None
        if total is not None:
            event.message = (
                "payment.fee_notice_issued" if action == "fee_notice_issued" else "payment.confirmed"
            )
            params["total"], note = total, ""
    elif action == "payment_receipt_submitted":
        event.message = "payment.receipt_submitted"
        if note.strip() in RECEIPT_SUBMITTED:
            note = ""
    elif action == "payment_receipt_rejected":
        event.message = "payment.receipt_rejected"
        note = _strip_prefixes(note, RECEIPT_REJECTED)
    event.note = note
    agency = event.dossier.agency
    if event.handling_unit and event.handling_unit in (agency.name, agency.name_en):
        params["agency"] = agency.pk
    event.params = params


def _due_dates(DossierEvent) -> dict:
    """The due date each receipt / continuation set, where it can still be known: the
    dossier's current due date belongs to its last such step."""
    last: dict[int, tuple] = {}
    for pk, dossier_id, due in (
        DossierEvent.objects.filter(action__in=["receive", "continue_processing"])
        .order_by("created_at", "id")
        .values_list("pk", "dossier_id", "dossier__due_date")
    ):
        last[dossier_id] = (pk, due)
    return {pk: due.isoformat() for pk, due in last.values() if due}


def convert_events(apps, schema_editor) -> int:
    """Give every event without a message its message id and parameters. Returns the count."""
    DossierEvent = apps.get_model("dossiers", "DossierEvent")
    due_dates = _due_dates(DossierEvent)
    changed = 0
    rows = DossierEvent.objects.filter(message="").select_related("dossier__agency")
    for event in rows.iterator(chunk_size=500):
        _convert_event(event, due_dates)
        # Events are append-only for the application; the migration writes through the
        # queryset (the historical model has no such guard anyway).
        DossierEvent.objects.filter(pk=event.pk).update(
            message=event.message,
            params=event.params,
            note=event.note,
            internal_note=event.internal_note,
        )
        changed += 1
    return changed


# Notification titles as the emails' subjects wrote them: message id -> (English, Vietnamese).
TITLES = {
    "account_activated": ("Your account is active", "Tài khoản đã được kích hoạt"),
    "dossier_submitted": ("Dossier sent: %(procedure)s", "Đã gửi hồ sơ: %(procedure)s"),
    "dossier_received": ("Dossier received: %(code)s", "Đã tiếp nhận hồ sơ: %(code)s"),
    "dossier_supplement_requested": (
        "Please supplement your dossier %(code)s",
        "Đề nghị bổ sung hồ sơ %(code)s",
    ),
    "dossier_supplement_requested.no_code": (
        "Please supplement your dossier",
        "Đề nghị bổ sung hồ sơ",
    ),
    "dossier_supplement_reminder": (
        "Reminder: supplement your dossier by %(date)s",
        "Nhắc nhở: đề nghị bổ sung hồ sơ chậm nhất ngày %(date)s",
    ),
    "dossier_supplement_answered": (
        "Dossier %(code)s has been supplemented",
        "Hồ sơ %(code)s đã được bổ sung",
    ),
    "dossier_supplement_answered.no_code": (
        "A dossier has been supplemented",
        "Một hồ sơ đã được bổ sung",
    ),
    "dossier_approved": (
        "The result of your dossier %(code)s is ready",
        "Hồ sơ %(code)s đã có kết quả",
    ),
    "dossier_rejected": ("Your dossier %(code)s was rejected", "Hồ sơ %(code)s bị từ chối"),
    "dossier_rejected.no_code": ("Your dossier was rejected", "Hồ sơ bị từ chối"),
    "payment_confirmed": (
        "Payment confirmed for dossier %(code)s",
        "Đã xác nhận thanh toán cho hồ sơ %(code)s",
    ),
    "payment_fee_notice": (
        "Fee notice for dossier %(code)s",
        "Thông báo nộp phí cho hồ sơ %(code)s",
    ),
    "payment_paid_online": (
        "Fee paid online for dossier %(code)s",
        "Đã thanh toán trực tuyến phí, lệ phí của hồ sơ %(code)s",
    ),
    "payment_receipt_rejected": (
        "Payment receipt not accepted for dossier %(code)s",
        "Chứng từ thanh toán cho hồ sơ %(code)s không được chấp nhận",
    ),
    "payment_receipt_submitted": (
        "Payment receipt to check for dossier %(code)s",
        "Chứng từ thanh toán cần kiểm tra: hồ sơ %(code)s",
    ),
}
LINKS = (
    (re.compile(r"^/me/dossiers/(\d+)/"), "dossier"),
    (re.compile(r"^/admin/dossiers/dossier/(\d+)/"), "dossier"),
    (re.compile(r"^/admin/payments/payment/(\d+)/"), "payment"),
)


def _title_pattern(text: str) -> re.Pattern:
    escaped = re.escape(text)
    return re.compile(
        "^" + re.sub(r"%\\\((\w+)\\\)s", lambda m: f"(?P<{m.group(1)}>.+)", escaped) + "$"
    )


PATTERNS = [
    (message_id, _title_pattern(text))
    for message_id, texts in TITLES.items()
    for text in texts
]


def _dossier_of(link: str, Dossier, Payment):
    for pattern, kind in LINKS:
        found = pattern.match(link or "")
        if found:
            pk = int(found.group(1))
            if kind == "payment":
                payment = Payment.objects.filter(pk=pk).select_related("fee_notice__dossier")
                first = payment.first()
                return first.fee_notice.dossier if first else None
            return Dossier.objects.filter(pk=pk).first()
    return None


def convert_notifications(apps, schema_editor) -> int:
    """Give every notification whose title the portal wrote its message id and parameters."""
    Notification = apps.get_model("accounts", "Notification")
    Dossier = apps.get_model("dossiers", "Dossier")
    Payment = apps.get_model("payments", "Payment")
    changed = 0
    for notification in Notification.objects.filter(message="").iterator(chunk_size=500):
        title = notification.title.strip()
        match = next(
            ((mid, found) for mid, pattern in PATTERNS if (found := pattern.match(title))), None
        )
        if match is None:
            continue
        message_id, found = match
        params: dict = {}
        names = set(found.groupdict())
        if names:
            dossier = _dossier_of(notification.link, Dossier, Payment)
            if dossier is None:
                continue
            params = {"dossier": dossier.pk, "procedure": dossier.procedure_id}
            if dossier.code:
                params["code"] = dossier.code
            if "date" in names:
                params["date"] = _iso_date(found.group("date"))
            if "code" in names and not dossier.code or "date" in names and not params["date"]:
                continue
        Notification.objects.filter(pk=notification.pk).update(message=message_id, params=params)
        changed += 1
    return changed


def forwards(apps, schema_editor) -> None:
    convert_events(apps, schema_editor)
    convert_notifications(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("dossiers", "0004_event_message_params"),
        ("accounts", "0003_notification_message_params"),
        ("payments", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
