"""Staff work in the admin: the queue, the dossier page, the step buttons, the calendar."""

from datetime import timedelta

from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

import pytest

from dossiers.constants import DossierStatus
from dossiers.groups import PROCESSING_GROUP, RECEPTION_GROUP, groups_setup
from dossiers.models import Dossier, SupplementRequest

from .factories import (
    PDF_BYTES,
    AgencyFactory,
    AttachmentFactory,
    DossierComponentFactory,
    DossierFactory,
    ProcedureFactory,
    StaffFactory,
    UserFactory,
    agency_staff,
)

pytestmark = pytest.mark.django_db
S = DossierStatus
CHANGELIST = "admin:dossiers_dossier_changelist"
BOTH = (RECEPTION_GROUP, PROCESSING_GROUP)


@pytest.fixture
def agency():
    return AgencyFactory(code="VBC", name="Vụ Bưu chính")


@pytest.fixture
def procedure(agency):
    return ProcedureFactory(agency=agency, processing_days=5)


@pytest.fixture
def officer(client, agency, staff_settings):
    user = agency_staff(agency, groups=BOTH, full_name="Lê Văn Đức")
    client.force_login(user)
    return user


def _change_url(dossier):
    return reverse("admin:dossiers_dossier_change", args=[dossier.pk])


def _step_url(dossier, step):
    return reverse("admin:dossiers_dossier_step", args=[dossier.pk, step])


# --- Groups ---------------------------------------------------------------------------------


def test_the_staff_groups_exist_with_their_permissions():
    groups_setup()
    reception = Group.objects.get(name=RECEPTION_GROUP)
    processing = Group.objects.get(name=PROCESSING_GROUP)
    reception_perms = set(reception.permissions.values_list("codename", flat=True))
    processing_perms = set(processing.permissions.values_list("codename", flat=True))
    assert {"view_dossier", "receive_dossier", "view_calendarday"} <= reception_perms
    assert not {"add_calendarday", "change_calendarday", "manage_calendar"} & reception_perms
    assert "process_dossier" not in reception_perms
    assert {"view_dossier", "process_dossier"} <= processing_perms
    assert "receive_dossier" not in processing_perms


# --- The queue ------------------------------------------------------------------------------


def test_staff_see_only_their_agency_s_dossiers(client, officer, procedure):
    mine = DossierFactory(procedure=procedure, status=S.SUBMITTED, applicant_name="Người Của Tôi")
    theirs = DossierFactory(status=S.SUBMITTED, applicant_name="Người Cơ Quan Khác")
    html = client.get(reverse(CHANGELIST)).content.decode()
    assert "Người Của Tôi" in html
    assert "Người Cơ Quan Khác" not in html
    assert client.get(_change_url(mine)).status_code == 200
    assert client.get(_change_url(theirs)).status_code == 404
    assert (
        client.post(_step_url(theirs, "receive"), {"expected_status": S.SUBMITTED}).status_code
        == 404
    )
    attachment = AttachmentFactory(dossier=theirs)
    url = reverse("admin:dossiers_dossier_file", args=[theirs.pk, attachment.pk])
    assert client.get(url).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == S.SUBMITTED


def test_a_superuser_sees_every_agency(client, staff_settings, procedure):
    DossierFactory(procedure=procedure, status=S.SUBMITTED, applicant_name="Một")
    DossierFactory(status=S.SUBMITTED, applicant_name="Hai")
    client.force_login(StaffFactory(is_superuser=True))
    html = client.get(reverse(CHANGELIST)).content.decode()
    assert "Một" in html and "Hai" in html


def test_staff_without_an_agency_see_nothing(client, staff_settings, procedure):
    DossierFactory(procedure=procedure, status=S.SUBMITTED, applicant_name="Một")
    groups_setup()
    user = StaffFactory()
    user.groups.add(*Group.objects.filter(name__in=BOTH))
    client.force_login(user)
    response = client.get(reverse(CHANGELIST))
    assert "Một" not in response.content.decode()


@pytest.mark.parametrize("superuser", [False, True], ids=["agency officer", "superuser"])
def test_no_staff_member_sees_or_opens_a_citizen_s_unsent_draft(
    client, staff_settings, agency, procedure, superuser
):
    """A draft belongs to its author until it is submitted: not in the queue, its search or
    counts, not on any admin page of the dossier, not through the citizen file URLs."""
    draft = DossierFactory(procedure=procedure, applicant_name="Bản Nháp Riêng Tư")
    DossierFactory(procedure=procedure, status=S.SUBMITTED, applicant_name="Đã Gửi")
    attachment = AttachmentFactory(dossier=draft)
    staff = agency_staff(agency, superuser=superuser, groups=BOTH)
    client.force_login(staff)
    for query in ["", "?q=Ri%C3%AAng", "?status=draft"]:
        html = client.get(reverse(CHANGELIST) + query).content.decode()
        assert "Bản Nháp Riêng Tư" not in html
    assert "Đã Gửi" in client.get(reverse(CHANGELIST)).content.decode()
    refused = [
        _change_url(draft),
        reverse("admin:dossiers_dossier_history", args=[draft.pk]),
        reverse("admin:dossiers_dossier_delete", args=[draft.pk]),
        reverse("admin:dossiers_dossier_file", args=[draft.pk, attachment.pk]),
        reverse("admin:dossiers_dossier_result", args=[draft.pk]),
        reverse("admin:dossiers_dossier_slip", args=[draft.pk, "receipt"]),
        reverse("dossiers:file", args=[draft.pk, attachment.pk]),
        reverse("dossiers:slip", args=[draft.pk, "receipt"]),
    ]
    for url in refused:
        assert client.get(url).status_code in (403, 404), url
    assert client.post(_step_url(draft, "receive"), {"expected_status": S.DRAFT}).status_code == 404
    autocomplete = client.get(
        reverse("admin:autocomplete"),
        {
            "term": "Riêng",
            "app_label": "payments",
            "model_name": "feenotice",
            "field_name": "dossier",
        },
    )
    assert "Bản Nháp" not in autocomplete.content.decode()
    draft.refresh_from_db()
    assert draft.status == S.DRAFT


def test_the_author_still_opens_the_files_of_their_own_draft(client, procedure):
    draft = DossierFactory(procedure=procedure)
    attachment = AttachmentFactory(dossier=draft)
    client.force_login(draft.applicant)
    url = reverse("dossiers:file", args=[draft.pk, attachment.pk])
    assert client.get(url).status_code == 200


def test_the_queue_counts_by_status_and_filters(client, officer, procedure):
    today = timezone.localdate()
    late = DossierFactory(
        procedure=procedure, status=S.PROCESSING, code="VBC-1", due_date=today - timedelta(days=3)
    )
    soon = DossierFactory(procedure=procedure, status=S.RECEIVED, code="VBC-2", due_date=today)
    waiting = DossierFactory(
        procedure=procedure,
        status=S.SUPPLEMENT_REQUESTED,
        code="VBC-3",
        due_date=today - timedelta(days=3),  # waiting on the citizen: never overdue
    )
    DossierFactory(procedure=procedure, status=S.SUBMITTED)
    html = client.get(reverse(CHANGELIST)).content.decode()
    assert 'class="status-counts"' in html
    assert 'Awaiting receipt<span class="count">1</span>' in html
    assert 'Overdue<span class="count">1</span>' in html

    def codes(**params):
        response = client.get(reverse(CHANGELIST), params)
        return {d.code for d in response.context["cl"].result_list}

    assert codes(deadline="overdue") == {late.code}
    assert codes(deadline="due_soon") == {soon.code}
    assert codes(waiting="yes") == {waiting.code}
    assert codes(status__exact=S.PROCESSING) == {late.code}


@pytest.mark.parametrize("field", ["code", "applicant_name", "citizen_id", "email"])
def test_the_queue_searches_by_code_name_id_and_email(client, officer, procedure, field):
    target = DossierFactory(
        procedure=procedure,
        status=S.RECEIVED,
        code="VBC-270310-0099",
        applicant_name="Đỗ Thị Hoa",
        citizen_id="079300000123",
        email="hoa@example.com",
    )
    DossierFactory(procedure=procedure, status=S.RECEIVED, code="VBC-270310-0100")
    response = client.get(reverse(CHANGELIST), {"q": getattr(target, field)})
    assert [d.pk for d in response.context["cl"].result_list] == [target.pk]


def test_the_queue_costs_the_same_queries_for_10_or_10000_dossiers(client, officer, procedure):
    applicant = UserFactory()

    def fill(n):
        Dossier.objects.bulk_create(
            [
                Dossier(
                    procedure=procedure,
                    agency=procedure.agency,
                    applicant=applicant,
                    status=S.PROCESSING if i % 3 else S.SUBMITTED,
                    applicant_name=f"Người nộp {i}",
                    due_date=timezone.localdate() + timedelta(days=i % 20 - 10),
                )
                for i in range(n)
            ],
            batch_size=1000,
        )

    def count(params=None):
        cache.clear()  # the cost of building the page, not of the stored copy
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(CHANGELIST), params or {}).status_code == 200
        return len(queries)

    fill(10)
    few = count(), count({"deadline": "overdue"}), count({"q": "Người"})
    fill(9_990)
    assert Dossier.objects.count() == 10_000
    many = count(), count({"deadline": "overdue"}), count({"q": "Người"})
    assert few == many, (few, many)
    assert max(many) <= 15, many


# --- The dossier page and its steps -----------------------------------------------------------


def test_the_dossier_page_shows_applicant_files_history_and_allowed_steps(
    client, officer, procedure
):
    dossier = DossierFactory(
        procedure=procedure,
        status=S.SUBMITTED,
        applicant_name="Vũ Thị Lan",
        citizen_id="001300000777",
    )
    attachment = AttachmentFactory(dossier=dossier, original_name="Đơn đề nghị.pdf")
    html = client.get(_change_url(dossier)).content.decode()
    assert "Vũ Thị Lan" in html and "001300000777" in html
    assert "Đơn đề nghị.pdf" in html
    assert reverse("admin:dossiers_dossier_file", args=[dossier.pk, attachment.pk]) in html
    assert "Receive (issue code and due date)" in html
    assert _step_url(dossier, "request_supplement") in html
    assert _step_url(dossier, "reject") in html
    assert _step_url(dossier, "approve") not in html  # not from "submitted"
    assert 'name="_save"' not in html  # status and data are never edited here
    response = client.get(reverse("admin:dossiers_dossier_file", args=[dossier.pk, attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")


def test_receiving_in_admin_issues_the_code_and_emails_the_applicant(
    client, officer, procedure, mailoutbox, django_capture_on_commit_callbacks
):
    dossier = DossierFactory(procedure=procedure, status=S.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _step_url(dossier, "receive"), {"expected_status": S.SUBMITTED}, follow=True
        )
    dossier.refresh_from_db()
    assert dossier.status == S.RECEIVED
    assert dossier.code.startswith("VBC-")
    assert dossier.received_by == officer
    assert f"Received: code {dossier.code}" in response.content.decode()
    assert len(mailoutbox) == 1 and dossier.code in mailoutbox[0].body


def test_a_step_on_a_dossier_that_changed_meanwhile_is_refused_with_the_reason(
    client, officer, procedure
):
    dossier = DossierFactory(procedure=procedure, status=S.RECEIVED)  # another officer received it
    response = client.post(
        _step_url(dossier, "receive"), {"expected_status": S.SUBMITTED}, follow=True
    )
    assert "someone else acted on it" in response.content.decode()
    dossier.refresh_from_db()
    assert dossier.status == S.RECEIVED


def test_a_step_the_officer_s_group_does_not_allow_is_forbidden(client, staff_settings, procedure):
    reception_only = agency_staff(procedure.agency, groups=[RECEPTION_GROUP])
    client.force_login(reception_only)
    dossier = DossierFactory(procedure=procedure, status=S.PROCESSING)
    assert _step_url(dossier, "approve") not in client.get(_change_url(dossier)).content.decode()
    response = client.post(_step_url(dossier, "approve"), {"expected_status": S.PROCESSING})
    assert response.status_code == 403


def test_request_supplement_from_admin(client, officer, procedure, mailoutbox):
    component = DossierComponentFactory(procedure=procedure, name="Bản sao giấy chứng nhận")
    dossier = DossierFactory(procedure=procedure, status=S.PROCESSING, code="VBC-270310-0001")
    url = _step_url(dossier, "request_supplement")
    page = client.get(url).content.decode()
    assert "Bản sao giấy chứng nhận" in page and "Deadline (working days)" in page
    response = client.post(
        url,
        {
            "expected_status": S.PROCESSING,
            "message": "Bản sao bị mờ.",
            "components": [component.pk],
            "info_fields": ["address"],
            "deadline_days": 5,
        },
    )
    assert response.status_code == 302
    request = SupplementRequest.objects.get()
    assert request.fields == ["address"]
    assert request.asked_in_status == S.PROCESSING
    assert Dossier.objects.get(pk=dossier.pk).status == S.SUPPLEMENT_REQUESTED


@pytest.mark.parametrize("groups", [BOTH, (RECEPTION_GROUP,), (PROCESSING_GROUP,)])
def test_a_supplement_is_offered_right_after_receipt(client, staff_settings, procedure, groups):
    """The desk that has just received the dossier, or the unit that takes it over, can ask for
    a supplement before processing starts."""
    client.force_login(agency_staff(procedure.agency, groups=groups))
    component = DossierComponentFactory(procedure=procedure, name="Bản sao giấy chứng nhận")
    dossier = DossierFactory(procedure=procedure, status=S.RECEIVED, code="VBC-270310-0003")
    url = _step_url(dossier, "request_supplement")
    assert url in client.get(_change_url(dossier)).content.decode()
    response = client.post(
        url,
        {
            "expected_status": S.RECEIVED,
            "message": "Bản sao bị mờ.",
            "components": [component.pk],
            "deadline_days": 5,
        },
    )
    assert response.status_code == 302
    assert SupplementRequest.objects.get().asked_in_status == S.RECEIVED
    dossier.refresh_from_db()
    assert dossier.status == S.SUPPLEMENT_REQUESTED and dossier.code == "VBC-270310-0003"


def test_the_overdue_column_marks_late_dossiers_and_reads_plainly_otherwise(
    client, officer, procedure
):
    today = timezone.localdate()
    DossierFactory(
        procedure=procedure, status=S.PROCESSING, code="VBC-1", due_date=today - timedelta(days=1)
    )
    DossierFactory(
        procedure=procedure, status=S.PROCESSING, code="VBC-2", due_date=today + timedelta(days=9)
    )
    html = client.get(reverse(CHANGELIST)).content.decode()
    rows = {code: html.split(f">{code}<", 1)[1].split("</tr>", 1)[0] for code in ("VBC-1", "VBC-2")}
    assert '<span class="overdue-flag">Overdue</span>' in rows["VBC-1"]
    assert '<span class="on-time">No</span>' in rows["VBC-2"]
    for row in rows.values():
        assert "icon-no.svg" not in row and "icon-yes.svg" not in row


def test_the_file_table_shows_the_start_of_the_hash_and_the_whole_of_it_on_demand(
    client, officer, procedure
):
    dossier = DossierFactory(procedure=procedure, status=S.SUBMITTED)
    attachment = AttachmentFactory(dossier=dossier)
    html = client.get(_change_url(dossier)).content.decode()
    files = html.split('id="attachments-group"', 1)[1].split("</fieldset>", 1)[0]
    sha = attachment.sha256
    assert (
        f'<details class="sha"><summary title="{sha}">{sha[:12]}…</summary><code>{sha}</code>'
        in files
    )
    assert f'<td class="field-sha256"><p>{sha}</p></td>' not in files


def test_approve_needs_a_result_file(client, officer, procedure):
    dossier = DossierFactory(procedure=procedure, status=S.PROCESSING, code="VBC-270310-0002")
    url = _step_url(dossier, "approve")
    response = client.post(url, {"expected_status": S.PROCESSING})
    assert response.status_code == 200
    assert Dossier.objects.get(pk=dossier.pk).status == S.PROCESSING
    response = client.post(
        url,
        {
            "expected_status": S.PROCESSING,
            "result_file": SimpleUploadedFile("Giấy phép.pdf", PDF_BYTES),
        },
    )
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == S.APPROVED
    result = client.get(reverse("admin:dossiers_dossier_result", args=[dossier.pk]))
    assert b"".join(result.streaming_content) == PDF_BYTES


def test_reject_with_a_reason_then_the_rejection_slip(client, officer, procedure):
    dossier = DossierFactory(procedure=procedure, status=S.SUBMITTED)
    response = client.post(
        _step_url(dossier, "reject"), {"expected_status": S.SUBMITTED, "reason": ""}
    )
    assert response.status_code == 200  # the reason is required
    client.post(
        _step_url(dossier, "reject"),
        {"expected_status": S.SUBMITTED, "reason": "Không thuộc thẩm quyền."},
    )
    dossier.refresh_from_db()
    assert dossier.status == S.REJECTED
    slip = client.get(reverse("admin:dossiers_dossier_slip", args=[dossier.pk, "rejection"]))
    assert slip.status_code == 200 and slip.content.startswith(b"%PDF")


def test_processing_shows_the_fee_notice_link_when_payments_provides_it(client, officer, procedure):
    dossier = DossierFactory(procedure=procedure, status=S.PROCESSING)
    html = client.get(_change_url(dossier)).content.decode()
    try:
        url = reverse("admin:payments_feenotice_add") + f"?dossier={dossier.pk}"
    except NoReverseMatch:
        assert "Issue a fee notice" not in html
    else:
        assert url in html


def test_the_calendar_admin_lists_days(client, officer):
    from dossiers.models import CalendarDay

    CalendarDay.objects.create(date="2027-02-13", kind="working_day", note="Làm bù Tết")
    response = client.get(reverse("admin:dossiers_calendarday_changelist"))
    assert response.status_code == 200
    assert "Làm bù Tết" in response.content.decode()


def test_only_holders_of_the_calendar_permission_edit_the_calendar(client, officer):
    """The desk and processing groups read the calendar; they cannot add, change or delete a
    day, even with the model's own add/change/delete permissions."""
    from django.contrib.auth.models import Permission

    from dossiers.models import CalendarDay

    day = CalendarDay.objects.create(date="2027-02-13", kind="working_day", note="Làm bù Tết")
    officer.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["add_calendarday", "change_calendarday", "delete_calendarday"]
        )
    )
    add = reverse("admin:dossiers_calendarday_add")
    change = reverse("admin:dossiers_calendarday_change", args=[day.pk])
    delete = reverse("admin:dossiers_calendarday_delete", args=[day.pk])
    posted = {"date": "2027-03-02", "kind": "day_off", "note": "Nghỉ thêm"}
    assert client.get(add).status_code == 403
    assert client.post(add, posted).status_code == 403
    assert client.post(change, posted).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert client.get(change).status_code == 200  # read only
    assert list(CalendarDay.objects.values_list("note", flat=True)) == ["Làm bù Tết"]


def test_the_calendar_group_edits_the_calendar(client, staff_settings, agency):
    from dossiers.groups import CALENDAR_GROUP
    from dossiers.models import CalendarDay

    client.force_login(agency_staff(agency, groups=[CALENDAR_GROUP]))
    response = client.post(
        reverse("admin:dossiers_calendarday_add"),
        {"date": "2027-03-02", "kind": "day_off", "note": "Nghỉ thêm"},
    )
    assert response.status_code == 302
    assert CalendarDay.objects.get().note == "Nghỉ thêm"


def test_a_tampered_step_post_is_refused_without_error(client, officer, procedure):
    dossier = DossierFactory(procedure=procedure, status=S.SUBMITTED)
    response = client.post(_step_url(dossier, "receive"), {"expected_status": "bogus"}, follow=True)
    assert response.status_code == 200
    assert "The request was incomplete" in response.content.decode()
    assert Dossier.objects.get(pk=dossier.pk).status == S.SUBMITTED
    assert client.get(_step_url(dossier, "no_such_step")).status_code == 404


def test_the_procedure_filter_lists_only_the_officers_agency_and_hides_the_agency_filter(
    client, officer, procedure
):
    other = ProcedureFactory(name="Thủ tục của cơ quan khác")
    DossierFactory(procedure=procedure, agency=procedure.agency)

    response = client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    choices = [
        c["display"]
        for spec in response.context["cl"].filter_specs
        for c in spec.choices(response.context["cl"])
    ]
    assert procedure.name in choices
    assert other.name not in choices
    assert "agency" not in [
        getattr(spec, "title", "") for spec in response.context["cl"].filter_specs
    ]
    filtered = client.get(reverse(CHANGELIST), {"procedure__id__exact": other.pk})
    assert list(filtered.context["cl"].result_list) == []


def test_a_superuser_filters_by_any_procedure_and_agency(client, staff_settings, procedure):
    other = ProcedureFactory(name="Thủ tục của cơ quan khác")
    DossierFactory(procedure=other, agency=other.agency, status=S.SUBMITTED)
    DossierFactory(procedure=procedure, agency=procedure.agency, status=S.SUBMITTED)
    client.force_login(StaffFactory(is_superuser=True))

    response = client.get(reverse(CHANGELIST), {"procedure__id__exact": other.pk})

    cl = response.context["cl"]
    choices = [c["display"] for spec in cl.filter_specs for c in spec.choices(cl)]
    assert {procedure.name, other.name} <= set(choices)
    assert "agency" in [getattr(spec, "field_path", None) for spec in cl.filter_specs]
    assert [d.procedure_id for d in cl.result_list] == [other.pk]
