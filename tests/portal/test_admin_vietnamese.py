"""The admin in Vietnamese has no English left: a superuser with a second factor walks every
page an officer opens (index, each model's list, an add page, a change page, its history)."""

import re
from datetime import date
from html.parser import HTMLParser

from django.conf import settings
from django.contrib import admin
from django.urls import reverse

import pytest
from allauth.mfa.models import Authenticator

from accounts.models import AuditEntry, Notification, OutgoingEmail
from dossiers import services
from dossiers.constants import CalendarDayKind, DossierStatus
from dossiers.models import Dossier
from payments.models import PaymentNotification
from procedures.constants import StaffRole, UnitKind
from procedures.models import UnitMembership
from tests.accounts.factories import StaffFactory, UserFactory
from tests.dossiers.factories import AttachmentFactory, CalendarDayFactory
from tests.payments.factories import DossierFactory, PaymentFactory
from tests.procedures.factories import (
    DossierComponentFactory,
    FeeFactory,
    FormFieldFactory,
    ProcedureFactory,
    ProcedureStepFactory,
    ProcessStepFactory,
    StaffMembershipFactory,
    UnitFactory,
)
from tests.tracking.factories import RatingFactory

pytestmark = pytest.mark.django_db
S = DossierStatus

# What Django's Vietnamese catalogue leaves in English or gets wrong, the portal's own columns
# without a translated name, and the history's raw action codes.
ENGLISH = [
    "Model name",
    "Add link",
    "Change or view list link",
    "Toggle theme",
    "Show counts",
    "Hide counts",
    "Created at",
    "Created by",
    "Answered at",
    "Reminder sent at",
    "Overdue flagged at",
    "(sample)",
    "submitted",
    "receive",
    "request_supplement",
    "start_processing",
    "fee_notice_issued",
    "Bản ghi nhớ",
    "Add",
    "Change",
    "Delete",
    "History",
    "Save",
    "Filter",
    "Search",
    "Action",
    "Actions",
    "Go",
    "View site",
    "Log out",
    "Welcome",
    "Home",
    "Recent actions",
    "My actions",
    "None available",
    "Skip to main content",
    "Start typing to filter",
    "Save and continue editing",
    "Save and add another",
    "Date/time",
    "Select all",
    "Clear selection",
    "Show all",
    "Yes",
    "No",
    "Unknown",
    "Close",
    "View",
    "Required",
    "Currently",
    "User",
    "Type",
    "Updated at",
    "Last used at",
    "Search text",
    "Sample data",
    "Authenticator",
    "Authenticators",
    "Name",
    "Date",
    "Status",
    "Password",
    "Permissions",
    "Groups",
    "Active",
    "Last login",
    "Date joined",
    "Personal info",
    "Important dates",
    "Today",
    "Now",
    "Download",
    "File",
    "Version",
    "Size",
    "Note",
    "Reason",
    "Deadline",
    "Message",
    "Amount",
    "Total",
    "Paid",
    "Pending",
    "Receipt",
    "Payment",
    "Dossier",
    "Procedure",
    "Agency",
    "Field",
    "Step",
    "Component",
    "Fee",
    "Rating",
    "Comment",
    "Verified",
    "Primary",
    "Code",
]
ENGLISH_RE = re.compile(
    r"(?<![\w@./-])(" + "|".join(re.escape(w) for w in ENGLISH) + r")(?![\w@/-])"
)
# Attributes a person reads or hears (a screen reader reads aria-label and title).
READ_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt"}


class _ReadableText(HTMLParser):
    """The text a person reads on the page: text nodes, labelled attributes and the words on
    buttons; not scripts, styles, form values they typed, nor the catalogue data in select
    options."""

    SKIP = {"script", "style", "textarea", "option", "pre", "code"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1
        attributes = dict(attrs)
        for name in READ_ATTRIBUTES & attributes.keys():
            self.parts.append(attributes[name] or "")
        if tag == "input" and attributes.get("type") in ("submit", "button", "reset"):
            self.parts.append(attributes.get("value") or "")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def _english_on(html: str) -> list[str]:
    parser = _ReadableText()
    parser.feed(html)
    found = []
    for part in parser.parts:
        for match in ENGLISH_RE.finditer(" ".join(part.split())):
            found.append(f"{match.group(1)!r} in {' '.join(part.split())[:90]!r}")
    return found


@pytest.fixture
def superuser(client):
    user = StaffFactory(is_superuser=True, full_name="Quản Trị Viên", language="vi")
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    return user


@pytest.fixture
def sample_data(superuser):
    """One object of every model the admin lists, made the way the portal makes them."""
    procedure = ProcedureFactory(processing_days=5)
    component = DossierComponentFactory(procedure=procedure)
    FormFieldFactory(procedure=procedure)
    ProcedureStepFactory(procedure=procedure)
    FeeFactory(procedure=procedure)
    officer = StaffFactory()
    StaffMembershipFactory(user=officer, agency=procedure.agency)
    # The back office: a unit with a member, the agency's default process and the procedure's.
    unit = UnitFactory(agency=procedure.agency, kind=UnitKind.DESK, name="Bộ phận một cửa")
    UnitMembership.objects.create(user=officer, unit=unit, role=StaffRole.DESK_OFFICER)
    # Only the desk receives: the superuser who receives below works there too.
    UnitMembership.objects.create(user=superuser, unit=unit, role=StaffRole.DESK_OFFICER)
    ProcessStepFactory(procedure=None, agency=procedure.agency, unit_kind=UnitKind.DESK)
    ProcessStepFactory(procedure=procedure, duration=5)
    # A Vietnamese applicant: the emails and notifications written to them show in admin too.
    dossier = DossierFactory(
        procedure=procedure, status=S.SUBMITTED, code="", applicant=UserFactory(language="vi")
    )
    AttachmentFactory(dossier=dossier, component=component)
    services.dossier_receive(dossier_id=dossier.pk, actor=superuser)
    services.dossier_request_supplement(
        dossier_id=dossier.pk,
        actor=superuser,
        message="Bản chụp CCCD bị mờ.",
        components=[component],
    )
    payment = PaymentFactory()
    PaymentNotification.objects.create(provider="vnpay", payment=payment, result_code="00")
    RatingFactory()
    CalendarDayFactory(date=date(2026, 12, 31), kind=CalendarDayKind.DAY_OFF, note="Nghỉ bù")
    citizen = UserFactory(language="vi")
    Notification.objects.create(user=citizen, title="Hồ sơ đã được tiếp nhận", body="…")
    OutgoingEmail.objects.create(to=citizen.email, subject="Hồ sơ đã được tiếp nhận", body_text="…")
    AuditEntry.objects.create(actor=superuser, action="dossier_receive", succeeded=True)
    return dossier


def _admin_pages(rf, user):
    """Every page an officer opens: the index, then for each model its list, add page, and the
    change and history pages of one object."""
    yield reverse("admin:index")
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        name = f"admin:{opts.app_label}_{opts.model_name}"
        yield reverse(f"{name}_changelist")
        request = rf.get("/")
        request.user = user
        if model_admin.has_add_permission(request):
            yield reverse(f"{name}_add")
        obj = model_admin.get_queryset(request).order_by("pk").first()
        if obj is None:
            continue
        yield reverse(f"{name}_change", args=[obj.pk])
        yield reverse(f"{name}_history", args=[obj.pk])
    # The dossier's step forms, and the fee notice started from a dossier.
    dossier = Dossier.objects.order_by("pk").first()
    for step in ("request_supplement", "approve", "reject"):
        yield reverse("admin:dossiers_dossier_step", args=[dossier.pk, step])
    yield reverse("admin:payments_feenotice_add") + f"?dossier={dossier.pk}"


def test_the_admin_in_vietnamese_has_no_english_left(client, rf, superuser, sample_data):
    visited, problems = 0, {}
    for url in _admin_pages(rf, superuser):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Language"] == "vi", url
        for found in _english_on(response.content.decode()):
            problems.setdefault(found, url)
        visited += 1
    assert visited > 30
    assert problems == {}


def test_the_admin_names_procedures_and_history_as_an_officer_says_them(
    client, superuser, sample_data
):
    index = client.get(reverse("admin:index")).content.decode()
    assert ">Thủ tục</a>" in index
    assert "Số thủ tục" not in index
    page = client.get(reverse("admin:dossiers_dossier_change", args=[sample_data.pk]))
    html = page.content.decode()
    assert ">Lịch sử</a>" in html
    # The history reads as steps, not as stored codes.
    assert "Tiếp nhận hồ sơ" in html
    assert "Yêu cầu bổ sung hồ sơ" in html


@pytest.mark.parametrize(("language", "mark"), [("vi", "Dữ liệu mẫu"), ("en", "Sample data")])
def test_the_footer_marks_the_sample_contacts_in_the_reader_s_language(client, language, mark):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    footer = client.get("/").content.decode().split('<footer class="site-footer">', 1)[1]
    assert "(sample)" not in footer
    assert f'<span class="tag-sample">{mark}</span>' in footer


def test_real_contacts_are_not_marked_as_sample(client, settings):
    settings.PORTAL_CONTACT_IS_SAMPLE = False
    footer = client.get("/").content.decode().split('<footer class="site-footer">', 1)[1]
    assert "tag-sample" not in footer
