"""Dossier codes (DESIGN §4): format, per-agency per-day sequence, race-free on PostgreSQL."""

import re
import threading
from datetime import UTC, date, datetime

from django.db import connection

import pytest

from dossiers import services
from dossiers.constants import DossierStatus
from dossiers.models import Dossier, DossierCodeSequence
from dossiers.services import TransitionRefused

from .factories import AgencyFactory, DossierFactory, ProcedureFactory, agency_staff

S = DossierStatus


@pytest.mark.django_db
def test_codes_follow_agency_date_and_a_daily_sequence():
    agency, other = AgencyFactory(code="VBC"), AgencyFactory(code="CTS")
    day = date(2027, 3, 10)
    assert services.dossier_code_next(agency=agency, day=day) == "VBC-270310-0001"
    assert services.dossier_code_next(agency=agency, day=day) == "VBC-270310-0002"
    assert services.dossier_code_next(agency=other, day=day) == "CTS-270310-0001"
    assert services.dossier_code_next(agency=agency, day=date(2027, 3, 11)) == "VBC-270311-0001"


@pytest.mark.django_db
def test_the_sequence_widens_past_9999():
    agency = AgencyFactory(code="VBC")
    DossierCodeSequence.objects.create(agency=agency, day=date(2027, 3, 10), last=9999)
    assert services.dossier_code_next(agency=agency, day=date(2027, 3, 10)) == "VBC-270310-10000"


@pytest.mark.django_db
def test_the_receipt_date_is_the_agency_s_day_in_hanoi(monkeypatch):
    # 17:30 UTC on 10 March is 00:30 on 11 March in Hà Nội.
    monkeypatch.setattr(
        "django.utils.timezone.now", lambda: datetime(2027, 3, 10, 17, 30, tzinfo=UTC)
    )
    procedure = ProcedureFactory(agency=AgencyFactory(code="VBC"))
    dossier = DossierFactory(procedure=procedure, status=S.SUBMITTED)
    result = services.dossier_receive(dossier_id=dossier.pk, actor=agency_staff(procedure.agency))
    assert result.dossier.code == "VBC-270311-0001"


@pytest.mark.django_db
def test_a_lookup_secret_has_six_unambiguous_characters():
    secrets = {services.lookup_secret_generate() for _ in range(200)}
    assert len(secrets) > 190
    for secret in secrets:
        assert re.fullmatch(r"[A-Z2-9]{6}", secret)
        assert not set(secret) & set("01OIL")


@pytest.mark.django_db
def test_a_rolled_back_receipt_gives_its_number_back():
    procedure = ProcedureFactory(agency=AgencyFactory(code="VBC"))
    staff = agency_staff(procedure.agency)
    draft = DossierFactory(procedure=procedure, status=S.DRAFT)
    with pytest.raises(TransitionRefused):
        services.dossier_receive(dossier_id=draft.pk, actor=staff)
    dossier = DossierFactory(procedure=procedure, status=S.SUBMITTED)
    code = services.dossier_receive(dossier_id=dossier.pk, actor=staff).dossier.code
    assert code.endswith("-0001")


def _run_in_threads(work, items, threads=5):
    """Run `work(item)` for every item from several threads with their own connections."""
    errors, results = [], []
    barrier = threading.Barrier(threads)
    chunks = [items[i::threads] for i in range(threads)]

    def run(chunk):
        try:
            barrier.wait(timeout=10)
            for item in chunk:
                try:
                    results.append(work(item))
                except Exception as exc:  # collected and asserted in the test
                    errors.append(exc)
        finally:
            connection.close()

    pool = [threading.Thread(target=run, args=(chunk,)) for chunk in chunks]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=60)
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_receipts_get_unique_gapless_codes(postgres):
    procedure = ProcedureFactory(agency=AgencyFactory(code="VBC"))
    staff = agency_staff(procedure.agency)
    ids = [DossierFactory(procedure=procedure, status=S.SUBMITTED).pk for _ in range(20)]

    results, errors = _run_in_threads(
        lambda pk: services.dossier_receive(dossier_id=pk, actor=staff).dossier.code, ids
    )
    assert errors == []
    codes = sorted(Dossier.objects.values_list("code", flat=True))
    assert len(set(codes)) == 20
    numbers = sorted(int(code.rsplit("-", 1)[1]) for code in codes)
    assert numbers == list(range(1, 21))
    assert sorted(results) == codes


@pytest.mark.django_db(transaction=True)
def test_two_officers_at_once_cannot_both_win(postgres):
    procedure = ProcedureFactory(agency=AgencyFactory(code="VBC"))
    officers = [agency_staff(procedure.agency) for _ in range(2)]
    dossier = DossierFactory(procedure=procedure, status=S.SUBMITTED)

    def act(officer):
        if officer is officers[0]:
            return services.dossier_receive(
                dossier_id=dossier.pk, actor=officer, expected_status=S.SUBMITTED
            ).dossier.status
        return services.dossier_reject(
            dossier_id=dossier.pk, actor=officer, reason="Thiếu", expected_status=S.SUBMITTED
        ).dossier.status

    results, errors = _run_in_threads(act, officers, threads=2)
    assert len(results) == 1
    assert len(errors) == 1 and isinstance(errors[0], TransitionRefused)
    dossier.refresh_from_db()
    assert dossier.status == results[0]
    assert dossier.events.count() == 1
