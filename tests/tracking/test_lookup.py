import re
from datetime import timedelta

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

import pytest

from dossiers.constants import DossierStatus as S
from tests.procedures.factories import AgencyFactory, ProcedureFactory
from tracking.selectors import lookup_example_code

from .factories import DossierEventFactory, DossierFactory

pytestmark = pytest.mark.django_db

LOOKUP = reverse("tracking:lookup")
HISTORY = reverse("tracking:history")
NOT_FOUND = "No dossier matches this code."


def _body(response) -> str:
    """The page without the per-request CSRF token of the header's language form."""
    html = response.content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


@pytest.fixture
def dossier():
    agency = AgencyFactory(
        code="CBC", name="Cục Bưu chính", name_en="", require_lookup_secret=False
    )
    procedure = ProcedureFactory(agency=agency, name="Cấp giấy phép bưu chính")
    return DossierFactory(procedure=procedure, code="CBC-261125-0001")


@pytest.mark.parametrize(
    "typed", ["CBC-261125-0001", "  cbc-261125-0001 ", "Cbc - 261125 - 0001", "CBC 261125 0001"]
)
def test_lookup_by_code_in_any_case_and_with_spaces(client, dossier, typed):
    response = client.get(LOOKUP, {"code": typed})
    assert response.status_code == 200
    html = _body(response)
    assert "Dossier CBC-261125-0001" in html
    assert "Cấp giấy phép bưu chính" in html
    assert "Cục Bưu chính" in html
    assert "Nguyễn V** A*" in html
    assert "Processing" in html
    assert "On schedule" in html
    assert f"{HISTORY}?code=CBC-261125-0001" in html


def test_lookup_shows_dates_and_no_personal_data(client, dossier):
    html = _body(client.get(LOOKUP, {"code": dossier.code}))
    assert timezone.localtime(dossier.received_at).strftime("%d/%m/%Y") in html
    assert dossier.due_date.strftime("%d/%m/%Y") in html
    for private in (
        "Nguyễn Văn An",
        "0912345678",
        "an.nguyen@example.com",
        "001203004567",
        "Phố Huế",
        dossier.lookup_secret,
    ):
        assert private not in html


def test_qr_link_from_the_slip_lands_on_the_result(client, dossier):
    """The receipt slip's QR code encodes /lookup/?code=<code>."""
    response = client.get(f"/lookup/?code={dossier.code}")
    assert response.status_code == 200
    assert "Dossier CBC-261125-0001" in _body(response)
    assert response["Cache-Control"].startswith("max-age=0")
    assert "no-store" in response["Cache-Control"]


def test_organisation_name_is_masked(client):
    d = DossierFactory(
        applicant_type="organisation",
        organisation_name="Công ty Cổ phần Viễn thông Sao Mai",
        applicant_name="Trần Thị Bích",
    )
    html = _body(client.get(LOOKUP, {"code": d.code}))
    assert "Công t* C* p*** V*** t**** S** M**" in html
    assert "Sao Mai" not in html
    assert "Trần" not in html


def test_overdue_dossier_is_flagged(client):
    d = DossierFactory(due_date=timezone.localdate() - timedelta(days=1))
    assert "Overdue" in _body(client.get(LOOKUP, {"code": d.code}))


def test_completed_on_its_due_date_is_on_time(client):
    d = DossierFactory(
        status=S.RETURNED, due_date=timezone.localdate(), completed_at=timezone.now()
    )
    html = _body(client.get(LOOKUP, {"code": d.code}))
    assert "Completed on time" in html
    assert "Result returned" in html


def test_form_without_code_shows_no_result(client, dossier):
    response = client.get(LOOKUP)
    assert response.status_code == 200
    html = _body(response)
    assert 'name="code"' in html
    assert NOT_FOUND not in html
    assert "result-title" not in html


def test_the_example_code_has_the_shape_of_a_real_agencys_codes(client, dossier):
    """The hint names the first catalogue agency's code in the issued shape, not a made-up one."""
    AgencyFactory(code="ATTT")
    html = _body(client.get(LOOKUP))
    example = re.search(r"For example ([A-Z0-9-]+)\.", html).group(1)
    assert example == "CBC-251120-0001"
    assert re.fullmatch(r"[A-Z0-9]+-\d{6}-\d{4}", example)
    assert "BCVT" not in html


def test_the_example_code_follows_a_catalogue_change(client, dossier, django_assert_num_queries):
    """Kept per process by catalogue version: no query once known, a new one when it moves."""
    first = _body(client.get(LOOKUP))
    assert "For example CBC-251120-0001." in first
    with django_assert_num_queries(0):
        assert lookup_example_code() == "CBC-251120-0001"
    agency = dossier.agency
    agency.code = "VBC"
    agency.save()  # a catalogue change
    assert "For example VBC-251120-0001." in _body(client.get(LOOKUP))


def test_not_found_is_the_same_for_malformed_absent_and_draft(client, dossier):
    draft = DossierFactory(draft=True, applicant_name="Phạm Văn Bình")
    answers = {}
    for label, code in {
        "absent": "CBC-261125-9999",
        "malformed": "<script>?!",
        "blank": "   ",
        "draft-id": str(draft.pk),
    }.items():
        response = client.get(LOOKUP, {"code": code})
        assert response.status_code == 200
        html = _body(response)
        assert NOT_FOUND in html
        assert "Phạm" not in html
        # What differs is only the echo of the typed code (in the form and the language switch).
        html = re.sub(r'(id="id_code"|name="next") value="[^"]*"', "", html)
        answers[label] = re.sub(r'\?next=[^"]*"', "", html)
        history = client.get(HISTORY, {"code": code})
        assert history.status_code == 200
        assert NOT_FOUND in _body(history)
    assert len(set(answers.values())) == 1


def test_history_shows_public_steps_only(client, dossier):
    DossierEventFactory(
        dossier=dossier,
        from_status=S.SUBMITTED,
        to_status=S.RECEIVED,
        message="dossier.received",
        params={"due_date": "2027-03-15"},
        note="Đã tiếp nhận hồ sơ, gọi 0987654321.",
        internal_note="Gọi lại cho ông An, SĐT 0912345678",
        handling_unit="Bộ phận một cửa Cục Bưu chính",
    )
    DossierEventFactory(
        dossier=dossier,
        note="Chuyển phòng Cấp phép — ghi chú nội bộ",
        is_public=False,
        handling_unit="Phòng Cấp phép bí mật",
    )
    DossierEventFactory(
        dossier=dossier,
        action="submitted",
        from_status=S.DRAFT,
        to_status=S.SUBMITTED,
        note="",
        handling_unit="",
    )
    response = client.get(HISTORY, {"code": "cbc-261125-0001"})
    assert response.status_code == 200
    html = _body(response)
    assert "Processing history of dossier CBC-261125-0001" in html
    # The portal's own words, never what a person typed (issue: free text is not public).
    assert "Dossier received; due date 15/03/2027." in html
    assert "Bộ phận một cửa Cục Bưu chính" in html
    assert "Applicant" in html  # the unit of a move only the applicant can make
    for hidden in (
        "Đã tiếp nhận hồ sơ",
        "0987654321",
        "Gọi lại",
        "0912345678",
        "ghi chú nội bộ",
        "Phòng Cấp phép bí mật",
        "Nguyễn Văn An",
        "an.nguyen@example.com",
    ):
        assert hidden not in html


def test_history_rows_escape_what_they_show_and_give_the_local_time(client):
    """The rows are written in Python (tracking_tags.history_rows): every value still escaped,
    the time in the portal's zone and the short format of each language, the badge as before."""
    agency = AgencyFactory(code="CXS", name='Cục <script>alert("x")</script>', name_en="")
    dossier = DossierFactory(procedure=ProcedureFactory(agency=agency), code="CXS-261125-0001")
    event = DossierEventFactory(
        dossier=dossier,
        from_status=S.SUBMITTED,
        to_status=S.RECEIVED,
        message="dossier.received",
        params={"due_date": "2027-03-15", "agency": agency.pk},
    )
    utc = timezone.make_aware(timezone.datetime(2026, 11, 25, 1, 30), timezone.UTC)
    type(event).objects.filter(pk=event.pk).update(created_at=utc)  # 08:30 in Hà Nội

    html = client.get(HISTORY, {"code": dossier.code}, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    row = re.search(r"<tr><td>25/11/2026 08:30</td>.*?</tr>", html)
    assert row is not None
    assert "<script>" not in html
    assert "Cục &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in row.group(0)
    assert '<span class="status ">Đã tiếp nhận</span>' in row.group(0)
    assert "Đã tiếp nhận hồ sơ; ngày hẹn trả kết quả 15/03/2027." in row.group(0)


@pytest.fixture
def secret_dossier():
    agency = AgencyFactory(code="CTS", name="Cục Tần số", require_lookup_secret=True)
    d = DossierFactory(
        procedure=ProcedureFactory(agency=agency), code="CTS-261125-0007", lookup_secret="K7Q2MX"
    )
    DossierEventFactory(
        dossier=d, message="dossier.supplement_requested", params={"date": "2027-01-20"}
    )
    return d


def test_lookup_secret_missing_asks_for_it(client, secret_dossier):
    summary = _body(client.get(LOOKUP, {"code": secret_dossier.code}))
    assert "Lookup secret" in summary
    assert 'name="secret"' in summary
    response = client.get(HISTORY, {"code": secret_dossier.code})
    html = _body(response)
    assert response.status_code == 200
    assert "Lookup secret required" in html
    assert "20/01/2027" not in html
    assert "does not match" not in html
    assert "K7Q2MX" not in html


def test_lookup_secret_wrong_reveals_nothing(client, secret_dossier):
    html = _body(client.get(HISTORY, {"code": secret_dossier.code, "secret": "AAAAAA"}))
    assert "The lookup secret does not match this dossier." in html
    assert "20/01/2027" not in html
    assert "K7Q2MX" not in html


def test_lookup_secret_right_shows_history(client, secret_dossier):
    html = _body(client.get(HISTORY, {"code": secret_dossier.code, "secret": " k7q2mx "}))
    assert "Supplement due by 20/01/2027." in html
    assert "Lookup secret required" not in html


def test_lookup_secret_required_but_never_issued_is_refused(client, secret_dossier):
    secret_dossier.lookup_secret = ""
    secret_dossier.save()
    html = _body(client.get(HISTORY, {"code": secret_dossier.code, "secret": ""}))
    assert "20/01/2027" not in html


def test_secret_not_required_is_ignored(client, dossier):
    DossierEventFactory(dossier=dossier, message="dossier.approved")
    html = _body(client.get(HISTORY, {"code": dossier.code, "secret": "WRONG"}))
    assert "The result is ready." in html


def _count_queries(client, url, params) -> int:
    cache.clear()  # the cost of building the page, not of the stored copy
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", [LOOKUP, HISTORY])
def test_query_budget_does_not_grow_with_the_history(client, url, django_assert_max_num_queries):
    short = DossierFactory()
    long = DossierFactory()
    for d, n in ((short, 10), (long, 200)):
        DossierEventFactory.create_batch(n, dossier=d)
    cache.clear()
    with django_assert_max_num_queries(5):
        client.get(url, {"code": long.code})
    assert _count_queries(client, url, {"code": short.code}) == _count_queries(
        client, url, {"code": long.code}
    )
    assert _body(client.get(HISTORY, {"code": long.code})).count("<tr>") == 201


def test_signed_in_user_lookup_stays_within_budget(client, dossier, django_assert_max_num_queries):
    client.force_login(dossier.applicant)
    # The first page of a catalogue version loads its agencies' and units' names for the process.
    client.get(HISTORY, {"code": dossier.code})
    with django_assert_max_num_queries(4):
        response = client.get(HISTORY, {"code": dossier.code})
    assert response.status_code == 200
