"""The back office as its four people live it (issue 17), in real browsers against the real stack.

A desk officer registers a dossier brought to the counter for a citizen who has an account; the
unit head assigns it to a specialist, who asks for a supplement the citizen answers from their
personal page; the specialist drafts the result, the unit head sends it back once and then hands
the second draft to the leader, who approves it; the desk sends the result by post. Each staff
member signs in with a password and a TOTP code in their own browser. At every stage a visitor's
public lookup names the unit handling the dossier and its step's expected date, never an
officer. Every page anyone visits passes axe-core; the journey runs once per language.
"""

import re

from django.core.management import call_command
from django.template.defaultfilters import date as date_filter
from django.utils import timezone, translation

import pytest

from dossiers.constants import Channel, DossierStatus, HandOverKind, ResultDelivery, StepOutcome
from dossiers.models import Dossier, HandOver
from procedures.models import Procedure
from tests.dossiers.factories import BackOffice, UserFactory
from tests.journey.people import PASSWORD, pdf, staff_login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.services,
    pytest.mark.xdist_group("celery-worker"),
    pytest.mark.django_db(transaction=True),
]

S = DossierStatus
# A procedure individuals apply for, with two scanned components and two declared fields.
PROCEDURE = "Gia hạn giấy phép sử dụng tần số và thiết bị vô tuyến điện"
SECRETS = {
    "desk": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXA",
    "head": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXB",
    "specialist": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXC",
    "leader": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXD",
}
SUPPLEMENT = "Bản sao giấy phép cũ bị mờ, đề nghị nộp lại bản rõ nét."
SEND_BACK = "Dự thảo ghi sai thời hạn gia hạn."
WAYBILL = "EE123456789VN"
ADDRESS = "12 Lý Thường Kiệt, Hoàn Kiếm, Hà Nội"


@pytest.fixture
def back_office(lang, transactional_db, settings):
    call_command("load_catalogue", verbosity=0)
    office = BackOffice(Procedure.objects.get(name=PROCEDURE))
    # The portal processes check passwords with the real hashers, not the tests' fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    for role, user in (
        ("desk", office.desk1),
        ("head", office.head),
        ("specialist", office.specialist1),
        ("leader", office.leader1),
    ):
        staff_login(user, secret=SECRETS[role])
    office.citizen = UserFactory(
        email=f"lan.{lang}@example.com",
        full_name="Trần Thị Lan",
        citizen_id="001190054321",
        language=lang,
        password=PASSWORD,
    )
    return office


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_back_office_journey(lang, stack, mailbox, back_office, people, tmp_path):
    office = back_office
    procedure = office.procedure
    files = {
        "ban-khai.pdf": pdf("ban khai"),
        "giay-phep-cu.pdf": pdf("giay phep cu"),
        "giay-phep-cu-ro.pdf": pdf("giay phep cu ro net"),
        "du-thao.pdf": pdf("du thao 1"),
        "du-thao-2.pdf": pdf("du thao 2"),
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)

    def path(name: str) -> str:
        return str(tmp_path / name)

    def localized(value) -> str:
        """A lazy label, or a unit's name, as the journey's reader sees it."""
        with translation.override(lang):
            return str(value.display_name if hasattr(value, "display_name") else value)

    def short_date(moment) -> str:
        with translation.override(lang):
            return date_filter(timezone.localtime(moment), "SHORT_DATE_FORMAT")

    citizen = people("citizen", citizen=True)
    visitor = people("visitor", citizen=True)
    desk = people("desk", citizen=False)
    head = people("head", citizen=False)
    specialist = people("specialist", citizen=False)
    leader = people("leader", citizen=False)
    t = citizen.t
    officers = [
        user.full_name
        for user in (
            office.desk1,
            office.desk2,
            office.head,
            office.specialist1,
            office.specialist2,
            office.leader1,
            office.leader2,
        )
    ]
    citizen.sign_in_citizen(stack, office.citizen.email)

    # 1. The desk registers the dossier brought to the counter, for the citizen's account.
    desk.sign_in_staff(stack, office.desk1.email, secret=SECRETS["desk"])
    d = desk.page
    d.goto(stack + "/admin/dossiers/dossier/")
    desk.check("dossier-list")
    d.get_by_role("link", name=t("Register a dossier at the desk")).click()
    d.wait_for_url("**/admin/dossiers/dossier/intake/")
    desk.check("intake-pick")
    d.select_option("select[name=procedure]", str(procedure.pk))
    d.fill("input[name=find]", office.citizen.email)
    d.locator("form[method=get] input[type=submit]").click()
    d.wait_for_url("**/intake/?*")
    # The account's details fill the form.
    assert d.input_value("input[name=applicant_name]") == "Trần Thị Lan"
    assert d.input_value("input[name=email]") == office.citizen.email
    desk.check("intake-form")
    intake = d.locator("form[method=post]")
    intake.locator(f"input[name=channel][value={Channel.COUNTER}]").check()
    intake.locator("input[name=applicant_type][value=person]").check()
    intake.locator(f"input[name=result_delivery][value={ResultDelivery.POST}]").check()
    intake.locator("input[name=delivery_address]").fill(ADDRESS)
    for field in intake.locator("input[name^=data_][required]").all():
        field.fill("6" if field.get_attribute("type") == "number" else "GP-2026-0815")
    for select in intake.locator("select[name^=data_]").all():
        select.select_option(index=1)
    scans = intake.locator("input[type=file]")
    assert scans.count() == 2
    scans.nth(0).set_input_files(path("ban-khai.pdf"))
    scans.nth(1).set_input_files(path("giay-phep-cu.pdf"))
    intake.locator("input[type=submit]").click()
    d.locator(".intake-slip").wait_for()
    desk.check("intake-done")
    dossier = Dossier.objects.get(procedure=procedure, applicant=office.citizen)
    assert dossier.status == S.RECEIVED and dossier.channel == Channel.COUNTER
    assert dossier.result_delivery == ResultDelivery.POST
    # The receipt slip is printed at once.
    slip = d.request.get(stack + d.locator(".intake-slip").get_attribute("href"))
    assert slip.ok and slip.body().startswith(b"%PDF")
    code = dossier.code
    change_url = f"{stack}/admin/dossiers/dossier/{dossier.pk}/change/"

    def subject(message: str) -> str:
        return "^" + re.escape(message % {"code": code}) + "$"

    received = mailbox.wait_for(office.citizen.email, subject(t("Dossier received: %(code)s")))
    assert dossier.due_date.strftime("%d/%m/%Y") in received["body"]

    def current_step():
        return Dossier.objects.select_related("current_step__unit").get(pk=dossier.pk).current_step

    def public_lookup(label: str, *, unit=None) -> None:
        """A visitor looks the code up: the unit handling the dossier (`unit`, when given,
        else none) and its step's expected date, and no officer's name."""
        visitor.page.goto(f"{stack}/lookup/?code={code}")
        text = visitor.main_text()
        assert code in text
        step = current_step()
        if unit is None:
            assert step is None and t("Now handled by") not in text
        else:
            assert step is not None and step.unit == unit
            handled = re.search(re.escape(t("Now handled by")) + r"\s*(.+)", text)
            assert handled, text
            assert localized(unit) in handled.group(1)
            assert short_date(step.deadline) in handled.group(1)
        for name in officers:
            assert name not in text, f"{name} shown on the public lookup ({label})"
        visitor.check(f"lookup-{label}")

    public_lookup("received", unit=office.unit)

    # The dossier shows in the citizen's transaction list, with the unit handling it.
    c = citizen.page
    c.goto(stack + "/me/dossiers/")
    assert code in citizen.main_text()
    citizen.check("transaction-list")
    c.goto(f"{stack}/me/dossiers/{dossier.pk}/")
    page_text = citizen.main_text()
    assert localized(office.unit) in page_text
    assert not any(name in page_text for name in officers)
    citizen.check("dossier-received")
    dossier_url = c.url

    # 2. The unit head assigns it to a specialist.
    head.sign_in_staff(stack, office.head.email, secret=SECRETS["head"])
    h = head.page
    h.goto(change_url)
    head.check("dossier-in-pool")
    h.get_by_role("link", name=t("Assign to a specialist")).click()
    head.check("assign-form")
    h.locator("select[name=assignee]").select_option(label=office.specialist1.full_name)
    h.locator("form.step-form input[type=submit]").click()
    h.locator(".messagelist").wait_for()
    head.check("assigned")
    assert current_step().assignee == office.specialist1
    public_lookup("assigned", unit=office.unit)

    # 3. The specialist starts processing and asks for a supplement.
    specialist.sign_in_staff(stack, office.specialist1.email, secret=SECRETS["specialist"])
    s = specialist.page
    s.goto(change_url)
    specialist.check("dossier-assigned")
    s.get_by_role("button", name=t("Start processing")).click()
    s.locator(".messagelist").wait_for()
    specialist.check("processing")
    s.get_by_role("link", name=t("Request a supplement")).click()
    specialist.check("supplement-form")
    component = procedure.components.order_by("order", "id")[1]
    s.fill("textarea[name=message]", SUPPLEMENT)
    s.get_by_label(component.name).check()
    s.locator("form.step-form input[type=submit]").click()
    s.locator(".messagelist").wait_for()
    specialist.check("supplement-requested")
    assert Dossier.objects.get(pk=dossier.pk).status == S.SUPPLEMENT_REQUESTED
    asked = mailbox.wait_for(
        office.citizen.email, subject(t("Please supplement your dossier %(code)s"))
    )
    assert SUPPLEMENT in asked["body"]
    public_lookup("supplement-requested", unit=office.unit)

    # 4. The citizen answers from their personal page.
    c.goto(dossier_url)
    assert SUPPLEMENT in citizen.main_text()
    citizen.check("supplement-requested")
    c.get_by_role("link", name=t("Supplement the dossier")).click()
    citizen.check("supplement-answer")
    c.locator("main input[type=file]").first.set_input_files(path("giay-phep-cu-ro.pdf"))
    c.get_by_role("button", name=t("Send supplement")).click()
    c.wait_for_url(re.compile(r".*/me/dossiers/\d+/(#.*)?$"))
    assert "giay-phep-cu-ro.pdf" in citizen.main_text()
    citizen.check("supplemented")
    assert Dossier.objects.get(pk=dossier.pk).status == S.SUPPLEMENTED
    public_lookup("supplemented", unit=office.unit)

    # 5. The specialist continues and drafts the result for the unit head's review.
    s.goto(change_url)
    assert "giay-phep-cu-ro.pdf" in specialist.admin_text()
    specialist.check("dossier-supplemented")
    s.get_by_role("button", name=t("Continue processing (new due date)")).click()
    s.locator(".messagelist").wait_for()
    assert Dossier.objects.get(pk=dossier.pk).status == S.PROCESSING

    def draft(name: str, label: str) -> None:
        s.goto(change_url)
        s.get_by_role("link", name=t("Draft the result and send it for review")).click()
        s.locator("input[name=draft_file]").set_input_files(path(name))
        specialist.check(label)
        s.locator("form.step-form input[type=submit]").click()
        s.locator(".messagelist").wait_for()
        specialist.check(f"{label}-sent")
        step = current_step()
        assert step.role == "unit_head" and step.unit == office.unit

    draft("du-thao.pdf", "draft")
    public_lookup("in-review", unit=office.unit)

    # 6. The unit head sends the draft back once, then hands the second draft to the leader.
    h.goto(change_url)
    assert "du-thao.pdf" in head.admin_text()
    # The review is the head's at once: nothing to take from a pool.
    assert h.get_by_role("button", name=t("Take this dossier")).count() == 0
    head.check("review")
    h.get_by_role("link", name=t("Send back to the previous step")).click()
    head.check("send-back-form")
    h.fill("textarea[name=reason]", SEND_BACK)
    h.locator("form.step-form input[type=submit]").click()
    h.locator(".messagelist").wait_for()
    head.check("sent-back")
    assert current_step().assignee == office.specialist1
    public_lookup("sent-back", unit=office.unit)
    s.goto(change_url)
    assert SEND_BACK in specialist.admin_text()
    specialist.check("returned-draft")
    draft("du-thao-2.pdf", "second-draft")
    h.goto(change_url)
    assert "du-thao-2.pdf" in head.admin_text()
    head.check("second-review")
    h.get_by_role("link", name=t("Hand over to the next step")).click()
    head.check("hand-over-form")
    h.locator("form.step-form input[type=submit]").click()
    h.locator(".messagelist").wait_for()
    head.check("handed-to-leader")
    public_lookup("to-sign", unit=office.leadership)

    # 7. The leader approves the draft as the result.
    leader.sign_in_staff(stack, office.leader1.email, secret=SECRETS["leader"])
    ld = leader.page
    ld.goto(change_url)
    leader.check("dossier-to-sign")
    ld.get_by_role("link", name=t("Approve with the result")).click()
    assert "du-thao-2.pdf" in leader.admin_text()
    leader.check("approve-form")
    ld.locator("form.step-form input[type=submit]").click()
    ld.locator(".messagelist").wait_for()
    leader.check("approved")
    assert Dossier.objects.get(pk=dossier.pk).status == S.APPROVED
    mailbox.wait_for(
        office.citizen.email, subject(t("The result of your dossier %(code)s is ready"))
    )
    public_lookup("approved", unit=office.desk)

    # 8. The desk sends the result by post with its tracking number.
    d.goto(change_url)
    desk.check("dossier-to-return")
    d.get_by_role("link", name=t("Mark the result returned")).click()
    assert ADDRESS in desk.admin_text()
    assert d.locator(f"input[name=delivered_via][value={ResultDelivery.POST}]").is_checked()
    d.fill("input[name=waybill_number]", WAYBILL)
    desk.check("return-form")
    d.locator("form.step-form input[type=submit]").click()
    d.locator(".messagelist").wait_for()
    desk.check("returned")
    returned = Dossier.objects.get(pk=dossier.pk)
    assert returned.status == S.RETURNED and returned.waybill_number == WAYBILL
    handed = mailbox.wait_for(
        office.citizen.email, subject(t("The result of your dossier %(code)s was handed over"))
    )
    assert WAYBILL in handed["body"] and ADDRESS in handed["body"]
    public_lookup("returned")
    c.goto(dossier_url)
    assert WAYBILL in citizen.main_text()
    citizen.check("returned")

    # The processing-control slip on the dossier page lists every hand-over, in order.
    expected = [
        (HandOverKind.FORWARD, office.desk1),
        (HandOverKind.ASSIGN, office.head),
        (HandOverKind.FORWARD, office.specialist1),
        (HandOverKind.BACK, office.head),
        (HandOverKind.FORWARD, office.specialist1),
        (HandOverKind.FORWARD, office.head),
        (HandOverKind.FORWARD, office.leader1),
        (HandOverKind.FINISH, office.desk1),
    ]
    recorded = list(
        HandOver.objects.filter(dossier=dossier)
        .order_by("created_at", "id")
        .values_list("kind", "from_user")
    )
    assert recorded == [(kind, user.pk) for kind, user in expected]
    slip = d.locator("section.control-slip")
    rows = slip.locator("tbody tr")
    assert rows.count() == len(expected)
    for row, (kind, user) in zip(rows.all(), expected, strict=True):
        cells = row.locator("td").all_inner_texts()
        assert cells[1] == localized(HandOverKind(kind).label)
        assert user.full_name in cells[2]
    assert SEND_BACK in rows.nth(3).inner_text()
    outcomes = HandOver.objects.filter(dossier=dossier).exclude(outcome="")
    for outcome in outcomes.values_list("outcome", flat=True):
        assert localized(StepOutcome(outcome).label) in slip.inner_text()
