import threading

from django.contrib.auth.models import Permission
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

import pytest

from dossiers.constants import DossierStatus as S
from dossiers.models import Dossier
from tests.accounts.factories import StaffFactory, UserFactory
from tests.procedures.factories import AgencyFactory, ProcedureFactory, StaffMembershipFactory
from tracking import services
from tracking.models import Rating

from .factories import DossierFactory, RatingFactory

pytestmark = pytest.mark.django_db

ANSWERS = {"attitude": "5", "timeliness": "4", "guidance": "3", "overall": "4"}


@pytest.fixture
def returned():
    return DossierFactory(status=S.RETURNED, completed_at=timezone.now())


def rate_url(dossier) -> str:
    return reverse("tracking:rate", args=[dossier.pk])


def render_panel(dossier, user) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return render_to_string("tracking/dossier_panel.html", {"dossier": dossier}, request=request)


# --- service ---------------------------------------------------------------------------------


def test_rating_submit_records_the_answers(returned):
    rating = services.rating_submit(
        dossier_id=returned.pk,
        user=returned.applicant,
        comment="  Nhanh, chu đáo. ",
        attitude=5,
        timeliness=4,
        guidance=3,
        overall=4,
    )
    rating.refresh_from_db()
    assert (rating.attitude, rating.timeliness, rating.guidance, rating.overall) == (5, 4, 3, 4)
    assert rating.comment == "Nhanh, chu đáo."
    assert rating.user == returned.applicant
    assert rating.score == 4.0


@pytest.mark.parametrize(
    "status", [S.SUBMITTED, S.RECEIVED, S.PROCESSING, S.SUPPLEMENT_REQUESTED, S.REJECTED]
)
def test_rating_before_the_result_is_refused(status):
    dossier = DossierFactory(status=status)
    with pytest.raises(services.RatingNotAllowed):
        services.rating_submit(
            dossier_id=dossier.pk,
            user=dossier.applicant,
            attitude=5,
            timeliness=5,
            guidance=5,
            overall=5,
        )
    assert not Rating.objects.exists()


def test_rating_someone_elses_dossier_is_refused(returned):
    with pytest.raises(Dossier.DoesNotExist):
        services.rating_submit(
            dossier_id=returned.pk,
            user=UserFactory(),
            attitude=5,
            timeliness=5,
            guidance=5,
            overall=5,
        )


def test_second_rating_is_refused(returned):
    args = {"attitude": 5, "timeliness": 5, "guidance": 5, "overall": 5}
    services.rating_submit(dossier_id=returned.pk, user=returned.applicant, **args)
    with pytest.raises(services.AlreadyRated):
        services.rating_submit(
            dossier_id=returned.pk, user=returned.applicant, **{**args, "overall": 1}
        )
    assert Rating.objects.get().overall == 5


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_submit_records_one_rating(postgres):
    dossier = DossierFactory(status=S.APPROVED, completed_at=timezone.now())
    barrier = threading.Barrier(2)
    outcomes = []

    def submit():
        try:
            barrier.wait()
            services.rating_submit(
                dossier_id=dossier.pk,
                user=dossier.applicant,
                attitude=4,
                timeliness=4,
                guidance=4,
                overall=4,
            )
            outcomes.append("ok")
        except services.AlreadyRated:
            outcomes.append("already")
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["already", "ok"]
    assert Rating.objects.filter(dossier=dossier).count() == 1


# --- views -----------------------------------------------------------------------------------


def test_owner_rates_from_the_form(client, returned):
    client.force_login(returned.applicant)
    response = client.post(rate_url(returned), {**ANSWERS, "comment": "Cán bộ nhiệt tình."})
    assert response.status_code == 302
    assert response.url == returned.get_absolute_url()
    rating = Rating.objects.get(dossier=returned)
    assert (rating.guidance, rating.comment) == (3, "Cán bộ nhiệt tình.")
    assert "Thank you: your rating was recorded." in [
        str(m) for m in response.wsgi_request._messages
    ]


def test_second_post_is_graceful(client, returned):
    client.force_login(returned.applicant)
    client.post(rate_url(returned), ANSWERS)
    response = client.post(rate_url(returned), {**ANSWERS, "overall": "1"}, follow=False)
    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert "You have already rated this dossier. Thank you for your opinion." in messages
    assert Rating.objects.get().overall == 4


def test_missing_answer_shows_the_form_with_errors(client, returned):
    client.force_login(returned.applicant)
    response = client.post(rate_url(returned), {**ANSWERS, "overall": ""})
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert 'href="#id_overall_0"' in html
    assert "Choose an answer to this question." in html
    assert not Rating.objects.exists()


def test_out_of_range_score_is_rejected(client, returned):
    client.force_login(returned.applicant)
    response = client.post(rate_url(returned), {**ANSWERS, "attitude": "9"})
    assert response.status_code == 200
    assert not Rating.objects.exists()


def test_others_get_404(client, returned):
    client.force_login(UserFactory())
    assert client.post(rate_url(returned), ANSWERS).status_code == 404
    assert client.get(rate_url(returned)).status_code == 404
    assert not Rating.objects.exists()


def test_anonymous_is_sent_to_sign_in(client, returned):
    response = client.post(rate_url(returned), ANSWERS)
    assert response.status_code == 302
    assert reverse("account_login") in response.url
    assert not Rating.objects.exists()


def test_rating_before_the_result_redirects_with_a_message(client):
    dossier = DossierFactory(status=S.PROCESSING)
    client.force_login(dossier.applicant)
    response = client.post(rate_url(dossier), ANSWERS)
    assert response.status_code == 302
    assert not Rating.objects.exists()


def test_standalone_form_page_for_the_email_link(client, returned):
    client.force_login(returned.applicant)
    html = client.get(rate_url(returned)).content.decode()
    assert html.count("<fieldset") == 4
    assert html.count("<legend>") == 4
    assert "Attitude of the staff" in html
    assert 'type="radio"' in html


# --- panel on the dossier page ----------------------------------------------------------------


def test_panel_shows_the_form_to_the_owner_once_the_result_is_ready(returned):
    html = render_panel(returned, returned.applicant)
    assert "Satisfaction rating" in html
    assert f'action="{rate_url(returned)}"' in html
    assert html.count("<fieldset") == 4
    assert "Very satisfied" in html


@pytest.mark.parametrize("status", [S.PROCESSING, S.REJECTED, S.WITHDRAWN, S.AWAITING_PAYMENT])
def test_panel_is_empty_before_a_result(status, django_assert_num_queries):
    dossier = DossierFactory(status=status)
    assert render_panel(dossier, dossier.applicant).strip() == ""
    with django_assert_num_queries(0):  # the panel itself reads nothing
        context = {"dossier": dossier, "user": dossier.applicant}
        assert render_to_string("tracking/dossier_panel.html", context).strip() == ""


def test_panel_shows_no_form_to_someone_else(returned):
    assert render_panel(returned, UserFactory()).strip() == ""


def test_panel_shows_the_submitted_rating(returned):
    RatingFactory(dossier=returned, attitude=2, comment="Chờ lâu.")
    html = render_panel(returned, returned.applicant)
    assert "<form" not in html
    assert "2/5 — Dissatisfied" in html
    assert "Chờ lâu." in html


def test_dossier_page_renders_the_panel(client, returned):
    client.force_login(returned.applicant)
    response = client.get(returned.get_absolute_url())
    if response.status_code == 200 and "tracking/dossier_panel.html" in [
        t.name for t in response.templates
    ]:
        assert f'action="{rate_url(returned)}"' in response.content.decode()
    else:
        pytest.skip("the dossier page does not include the tracking panel yet")


# --- admin ------------------------------------------------------------------------------------


def test_admin_lists_ratings_with_averages_for_the_staff_agency(client, settings):
    settings.STAFF_MFA_REQUIRED = False
    mine = AgencyFactory(code="MINE")
    other = AgencyFactory(code="OTHR")
    RatingFactory(
        dossier__procedure=ProcedureFactory(agency=mine),
        overall=5,
        attitude=5,
        timeliness=5,
        guidance=5,
        dossier__code="MINE-261120-0001",
    )
    RatingFactory(
        dossier__procedure=ProcedureFactory(agency=mine),
        overall=3,
        attitude=3,
        timeliness=3,
        guidance=3,
        dossier__code="MINE-261120-0002",
    )
    RatingFactory(
        dossier__procedure=ProcedureFactory(agency=other),
        overall=1,
        attitude=1,
        timeliness=1,
        guidance=1,
        dossier__code="OTHR-261120-0001",
    )
    staff = StaffFactory()
    StaffMembershipFactory(user=staff, agency=mine)
    staff.user_permissions.add(Permission.objects.get(codename="view_rating"))
    client.force_login(staff)
    response = client.get(reverse("admin:tracking_rating_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "MINE-261120-0001" in html and "MINE-261120-0002" in html
    assert "OTHR-261120-0001" not in html
    assert "Averages of 2 ratings" in html
    assert response.context["rating_averages"]["score"] == 4.0
    filtered = client.get(reverse("admin:tracking_rating_changelist"), {"overall": "5"})
    assert filtered.context["rating_averages"]["count"] == 1
    assert "Add satisfaction rating" not in html
    rating = Rating.objects.get(dossier__code="MINE-261120-0001")
    change = client.get(reverse("admin:tracking_rating_change", args=[rating.pk]))
    assert change.status_code == 200
    assert 'name="overall"' not in change.content.decode()  # read-only
