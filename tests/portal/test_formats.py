"""One date and one date-time format per language (portal/formats): day first, 24-hour clock,
on pages, in emails and notifications, on the printed slips and in admin."""

import re
from datetime import UTC, date, datetime

from django.template.loader import render_to_string
from django.utils import formats, translation

import pytest

from accounts.models import Notification
from accounts.services import email_render
from core.numbers import vnd
from dossiers import documents
from dossiers.constants import DossierStatus
from payments.constants import PaymentMethod, PaymentStatus
from procedures.constants import FormFieldKind
from tests.dossiers.factories import (
    AgencyFactory,
    AttachmentFactory,
    DossierComponentFactory,
    DossierFactory,
    ProcedureFactory,
    StaffFactory,
    UserFactory,
)
from tests.payments.factories import FeeNoticeFactory, PaymentFactory
from tests.procedures.factories import FormFieldFactory

pytestmark = pytest.mark.django_db
LANGUAGES = ["vi", "en"]
# 09:58 UTC is 16:58 in Hà Nội: an afternoon time shows whether the clock is 24-hour.
MOMENT = datetime(2026, 12, 2, 9, 58, tzinfo=UTC)
DAY = date(2026, 12, 2)
DATETIME_SHOWN = "02/12/2026 16:58"
DATE_SHOWN = "02/12/2026"
# What must never appear: a 12-hour clock, month first, Django's Vietnamese dashes.
WRONG = re.compile(r"a\.m\.|p\.m\.|\b[AP]M\b|12/02/2026|02-12-2026|4:58|Dec\. 2|tháng 12 năm")


def assert_day_first(text: str, *, with_time: bool = True) -> None:
    assert DATE_SHOWN in text
    if with_time:
        assert DATETIME_SHOWN in text
    assert not WRONG.search(text), WRONG.search(text).group(0)


@pytest.fixture
def dossier():
    procedure = ProcedureFactory(
        agency=AgencyFactory(code="VBC", name="Vụ Bưu chính"), name="Cấp giấy phép bưu chính"
    )
    procedure.fees.create(name="Phí thẩm định", amount=3_500_000_000)
    dossier = DossierFactory(
        procedure=procedure,
        status=DossierStatus.RECEIVED,
        code="VBC-261202-0001",
        lookup_secret="K7M2QX",
        submitted_at=MOMENT,
        received_at=MOMENT,
        due_date=DAY,
    )
    AttachmentFactory(dossier=dossier, component=DossierComponentFactory(procedure=procedure))
    return dossier


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_named_format_is_day_first_with_a_24_hour_clock(language):
    with translation.override(language):
        for name in ("DATE_FORMAT", "SHORT_DATE_FORMAT"):
            assert formats.date_format(DAY, name) == DATE_SHOWN
        for name in ("DATETIME_FORMAT", "SHORT_DATETIME_FORMAT"):
            assert formats.date_format(MOMENT, name, use_l10n=True) in (
                "02/12/2026 09:58",  # naive UTC formatting: the page converts first
                DATETIME_SHOWN,
            )
        assert formats.get_format("DATE_INPUT_FORMATS")[0] == "%d/%m/%Y"
    assert translation.get_language() == "en"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_notification_list_shows_day_first_24_hour_times(client, language):
    user = UserFactory(language=language)
    note = Notification.objects.create(user=user, title="Hồ sơ đã được tiếp nhận", body="…")
    Notification.objects.filter(pk=note.pk).update(created_at=MOMENT)
    client.force_login(user)
    client.cookies["django_language"] = language
    for url in ("/me/notifications/", "/me/"):
        html = client.get(url).content.decode()
        assert DATETIME_SHOWN in html
        assert not WRONG.search(html)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", ["dossier_submitted", "dossier_received"])
def test_emails_and_their_notifications_use_the_same_formats(dossier, language, template):
    context = {
        "user": dossier.applicant,
        "dossier": dossier,
        "detail_url": "http://testserver/me/dossiers/1/",
        "receipt_slip_url": "http://testserver/slip.pdf",
        "lookup_url": "http://testserver/lookup/",
    }
    subject, text, html = email_render(template=template, context=context, language=language)
    assert_day_first(text + html, with_time=template == "dossier_submitted")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_dossier_page_shows_dates_and_declared_numbers_in_the_readers_format(
    client, dossier, language
):
    FormFieldFactory(procedure=dossier.procedure, key="capital", kind=FormFieldKind.NUMBER)
    FormFieldFactory(procedure=dossier.procedure, key="founded", kind=FormFieldKind.DATE)
    dossier.data = {"capital": "3500000000", "founded": "2026-12-02"}
    dossier.save()
    client.force_login(dossier.applicant)
    client.cookies["django_language"] = language
    html = client.get(f"/me/dossiers/{dossier.pk}/").content.decode()
    assert_day_first(html)
    assert ("3.500.000.000" if language == "vi" else "3,500,000,000") in html
    assert "3500000000" not in html and "2026-12-02" not in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_printed_slips_are_day_first_whatever_the_readers_language(dossier, language):
    """The slips are Vietnamese forms: whatever language is active, they print dd/mm/yyyy."""
    notice = FeeNoticeFactory(dossier=dossier, total=3_500_000_000)
    payment = PaymentFactory(
        fee_notice=notice,
        amount=3_500_000_000,
        method=PaymentMethod.OFFLINE,
        status=PaymentStatus.CONFIRMED,
        confirmed_at=MOMENT,
    )
    with translation.override(language):
        receipt = render_to_string(
            documents.SLIP_TEMPLATES["receipt"], documents.slip_context(dossier, "receipt")
        )
    with translation.override("vi"):
        confirmation = render_to_string(
            "payments/payment_confirmation_pdf.html",
            {
                "payment": payment,
                "notice": notice,
                "items": [],
                "dossier": dossier,
                "agency": dossier.agency,
                "procedure": dossier.procedure,
                "confirmed_at": MOMENT,
                "printed_at": MOMENT,
            },
        )
    assert f"ngày {DATE_SHOWN}" in receipt and "16 giờ 58 phút" in receipt
    assert_day_first(confirmation)
    assert "3.500.000.000 đ" in confirmation


@pytest.mark.parametrize("language", LANGUAGES)
def test_admin_changelists_show_day_first_24_hour_times(client, settings, dossier, language):
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(StaffFactory(is_superuser=True))
    client.cookies["django_language"] = language
    PaymentFactory(fee_notice=FeeNoticeFactory(dossier=dossier), amount=3_500_000_000)
    from payments.models import Payment

    Payment.objects.update(created_at=MOMENT)
    dossiers = client.get("/admin/dossiers/dossier/").content.decode()
    assert_day_first(dossiers)
    payments = client.get("/admin/payments/payment/").content.decode()
    assert_day_first(payments)
    assert ("3.500.000.000 đ" if language == "vi" else "3,500,000,000 VND") in payments


@pytest.mark.parametrize(
    ("language", "shown"), [("vi", "3.500.000.000 đ"), ("en", "3,500,000,000 VND")]
)
def test_amounts_are_grouped_by_thousands_in_the_readers_language(language, shown):
    with translation.override(language):
        assert vnd(3_500_000_000) == shown
        assert vnd(None) == ""
