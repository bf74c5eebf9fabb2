"""History and notification texts are composed when read, in the reader's language; the data
migration turns the sentences stored before into message ids and parameters."""

import importlib
import re

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

import pytest

from accounts.messages import message_render
from accounts.models import Notification
from dossiers import services
from dossiers.constants import DossierStatus as S
from dossiers.models import DossierEvent
from payments import services as payments
from payments.forms import ReceiptForm

from .factories import (
    AgencyFactory,
    DossierComponentFactory,
    DossierFactory,
    ProcedureFactory,
    UserFactory,
    agency_staff,
    upload,
)

pytestmark = pytest.mark.django_db

AGENCY_VI, AGENCY_EN = "Cục Viễn thông", "Telecommunications Authority"
migration = importlib.import_module("dossiers.migrations.0005_compose_history_and_notifications")


@pytest.fixture
def agency():
    return AgencyFactory(code="CVT", name=AGENCY_VI, name_en=AGENCY_EN)


@pytest.fixture
def citizen():
    # Writes in Vietnamese: whatever was sent to them, an English reader reads English.
    return UserFactory(language="vi")


@pytest.fixture
def paid_online(agency, citizen):
    """A dossier received, processed, sent a fee notice of 15,000,000 VND and paid at NCB."""
    procedure = ProcedureFactory(agency=agency, processing_days=5)
    DossierComponentFactory(procedure=procedure, required=True)
    officer = agency_staff(agency)
    dossier = DossierFactory(procedure=procedure, applicant=citizen)
    for component in procedure.components.all():
        services.attachment_add(dossier=dossier, component=component, file=upload(), user=citizen)
    services.dossier_submit(dossier_id=dossier.pk, actor=citizen)
    services.dossier_receive(dossier_id=dossier.pk, actor=officer)
    services.dossier_start_processing(dossier_id=dossier.pk, actor=officer)
    notice = payments.fee_notice_issue(
        dossier_id=dossier.pk, items=[("Lệ phí", 15_000_000)], actor=officer
    )
    payment = notice.payments.get()
    payments.payment_confirm(payment_id=payment.pk, bank_code="NCB", provider_reference="1")
    dossier.refresh_from_db()
    return dossier


def _section(html: str, title_id: str) -> str:
    found = re.search(rf'<section aria-labelledby="{title_id}">(.*?)</section>', html, re.S)
    assert found, title_id
    return found.group(1)


def _get(client, url, language, **params):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def test_the_applicant_reads_the_same_history_in_vietnamese_and_in_english(
    client, paid_online, citizen
):
    client.force_login(citizen)
    url = reverse("dossiers:detail", args=[paid_online.pk])
    due = paid_online.due_date.strftime("%d/%m/%Y")

    english = _section(_get(client, url, "en"), "history-title")
    for text in (
        f"Dossier received; due date {due}.",
        f"({AGENCY_EN})",
        "Fee notice: 15,000,000 VND",
        "Fee paid online through NCB Bank: 15,000,000 VND",
        "Awaiting fee payment",
        "Processing started.",
    ):
        assert text in english
    for vietnamese in (AGENCY_VI, "Thông báo nộp phí", "Đã nộp phí", "Ngân hàng NCB", "Chờ"):
        assert vietnamese not in english

    vietnamese = _section(_get(client, url, "vi"), "history-title")
    with translation.override("vi"):
        awaiting = str(S.AWAITING_PAYMENT.label)
    for text in (
        f"Đã tiếp nhận hồ sơ; ngày hẹn trả kết quả {due}.",
        f"({AGENCY_VI})",
        "Thông báo nộp phí: 15.000.000 đ",
        "Đã nộp phí trực tuyến qua Ngân hàng NCB: 15.000.000 đ",
        awaiting,
    ):
        assert text in vietnamese
    assert AGENCY_EN not in vietnamese and "Fee" not in vietnamese


def test_the_public_history_names_the_agency_in_the_reader_s_language(client, paid_online):
    cache.clear()
    url, code = reverse("tracking:history"), paid_online.code
    english = _get(client, url, "en", code=code)
    table = english.split("<table", 1)[1]
    assert AGENCY_EN in table and AGENCY_VI not in english
    assert "Fee notice" not in table and "15.000.000" not in table  # amounts: applicant only
    vietnamese = _get(client, url, "vi", code=code)
    assert AGENCY_VI in vietnamese.split("<table", 1)[1]


def test_notifications_read_in_the_reader_s_language_whatever_they_were_sent_in(
    client, paid_online, citizen
):
    client.force_login(citizen)
    code = paid_online.code
    english = _get(client, reverse("accounts:notifications"), "en")
    assert f"Fee notice for dossier {code}" in english
    assert f"Payment confirmed for dossier {code}" in english
    assert f"Dossier received: {code}" in english
    assert "Thông báo nộp phí" not in english and "hồ sơ" not in english.split("<main", 1)[1]
    vietnamese = _get(client, reverse("accounts:me"), "vi")
    assert f"Thông báo nộp phí cho hồ sơ {code}" in vietnamese


def test_the_notification_list_loads_catalogue_names_once_for_the_page(client, citizen, agency):
    procedure = ProcedureFactory(agency=agency, name="Cấp phép mạng viễn thông")
    client.force_login(citizen)

    def queries(n: int) -> int:
        Notification.objects.all().delete()
        for _ in range(n):
            Notification.objects.create(
                user=citizen,
                title="Đã gửi hồ sơ",
                message="dossier_submitted",
                params={"procedure": procedure.pk},
            )
        with CaptureQueriesContext(connection) as ctx:
            html = _get(client, reverse("accounts:notifications"), "en")
        assert html.count("Dossier sent: Cấp phép mạng viễn thông") == n
        return len(ctx.captured_queries)

    queries(1)  # warm up: the session and the user
    assert queries(2) == queries(15)


def test_the_receipt_upload_hint_follows_the_reader_s_language():
    with translation.override("en"):
        assert str(ReceiptForm().fields["receipt"].help_text) == "PDF, JPG or PNG, at most 10 MB."
    with translation.override("vi"):
        assert "tối đa 10 MB" in str(ReceiptForm().fields["receipt"].help_text)


# --- The data migration ----------------------------------------------------------------------


def _old_event(dossier, action, **fields):
    """An event as the portal stored it before: a sentence in `note`, no message."""
    fields.setdefault("to_status", dossier.status)
    return DossierEvent.objects.create(dossier=dossier, action=action, **fields)


def test_the_migration_turns_old_sentences_into_messages_and_keeps_what_people_typed(agency):
    dossier = DossierFactory(
        procedure=ProcedureFactory(agency=agency),
        status=S.PROCESSING,
        code="CVT-270310-0001",
        due_date="2027-03-17",
    )
    received_only = DossierFactory(
        procedure=dossier.procedure,
        status=S.RECEIVED,
        code="CVT-270310-0003",
        due_date="2027-03-19",
    )
    old = {
        "receive": _old_event(dossier, "receive", handling_unit=AGENCY_VI, note="Đủ hồ sơ"),
        "receive_alone": _old_event(received_only, "receive", handling_unit=AGENCY_EN),
        "supplement": _old_event(
            dossier, "request_supplement", note="Hạn bổ sung hồ sơ: 15/03/2027."
        ),
        "continue": _old_event(
            dossier,
            "continue_processing",
            internal_note="Tiếp tục xử lý sau khi bổ sung hồ sơ: ngày hẹn trả được tính lại "
            "từ hôm nay.",
        ),
        "overdue": _old_event(
            dossier,
            "supplement_overdue",
            internal_note="Đã hết hạn bổ sung (15/03/2027) nhưng người nộp hồ sơ chưa gửi bổ sung.",
            is_public=False,
        ),
        "fee": _old_event(dossier, "fee_notice_issued", note="Thông báo nộp phí: 15.000.000 ₫"),
        "paid": _old_event(dossier, "payment_confirmed", note="Đã nộp phí: 15.000.000 ₫"),
        "receipt": _old_event(
            dossier,
            "payment_receipt_rejected",
            note="Chứng từ thanh toán bị từ chối: Ảnh mờ, gọi 0912345678",
            is_public=False,
        ),
        "withdrawn": _old_event(dossier, "withdrawn", note="Tôi rút, CCCD 079204001234"),
        "other": _old_event(dossier, "note", note="Ghi chú 0912345678"),
    }
    assert migration.convert_events(apps, None) == len(old)
    rows = {key: DossierEvent.objects.get(pk=event.pk) for key, event in old.items()}

    def text(key, language):
        with translation.override(language):
            return message_render(rows[key].message, rows[key].params)

    # The dossier's due date is the one its last receipt or continuation set.
    assert rows["receive"].params == {"agency": agency.pk}
    assert rows["receive"].note == "Đủ hồ sơ"  # typed by the officer: kept, private
    assert text("receive", "en") == "Dossier received."
    assert rows["receive_alone"].params == {"due_date": "2027-03-19", "agency": agency.pk}
    assert text("receive_alone", "en") == "Dossier received; due date 19/03/2027."
    assert text("supplement", "en") == "Supplement due by 15/03/2027."
    assert rows["supplement"].note == ""
    assert (
        text("continue", "en")
        == "Processing continues after the supplement; new due date 17/03/2027."
    )
    assert rows["continue"].internal_note == ""
    assert rows["overdue"].params == {"date": "2027-03-15"} and rows["overdue"].internal_note == ""
    assert text("fee", "en") == "Fee notice: 15,000,000 VND" and rows["fee"].note == ""
    assert text("paid", "en") == "Fee paid: 15,000,000 VND"
    assert text("paid", "vi") == "Đã nộp phí: 15.000.000 đ"
    assert rows["receipt"].note == "Ảnh mờ, gọi 0912345678"
    assert text("receipt", "en") == "The payment receipt was not accepted."
    assert rows["withdrawn"].message == "dossier.withdrawn"
    assert rows["withdrawn"].note == "Tôi rút, CCCD 079204001234"
    assert rows["other"].message == "" and rows["other"].note == "Ghi chú 0912345678"
    # Run again: nothing left to convert but the unknown step, which stays as it is.
    assert migration.convert_events(apps, None) == 1


def test_the_migration_gives_notifications_their_message(agency, citizen):
    dossier = DossierFactory(
        procedure=ProcedureFactory(agency=agency, name="Cấp phép"),
        applicant=citizen,
        code="CVT-270310-0002",
    )
    page = f"/me/dossiers/{dossier.pk}/"
    rows = [
        Notification.objects.create(
            user=citizen, title=f"Thông báo nộp phí cho hồ sơ {dossier.code}", link=page
        ),
        Notification.objects.create(user=citizen, title="Đã gửi hồ sơ: Cấp phép", link=page),
        Notification.objects.create(
            user=citizen,
            title="Nhắc nhở: đề nghị bổ sung hồ sơ chậm nhất ngày 15/03/2027",
            link=page,
        ),
        Notification.objects.create(user=citizen, title="Tài khoản đã được kích hoạt", link="/me/"),
        Notification.objects.create(user=citizen, title="Một tin khác", link=page),
    ]
    assert migration.convert_notifications(apps, None) == 4
    fee, sent, reminder, activated, other = (Notification.objects.get(pk=n.pk) for n in rows)
    assert fee.message == "payment_fee_notice" and fee.params["code"] == dossier.code
    assert sent.message == "dossier_submitted" and sent.params["procedure"] == dossier.procedure_id
    assert reminder.params["date"] == "2027-03-15"
    assert activated.message == "account_activated"
    assert other.message == ""
    with translation.override("en"):
        assert fee.display_title == f"Fee notice for dossier {dossier.code}"
        assert reminder.display_title == "Reminder: supplement your dossier by 15/03/2027"
        assert activated.display_title == "Your account is active"
        assert other.display_title == "Một tin khác"
