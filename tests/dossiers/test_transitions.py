"""The transition table (DESIGN §3): every allowed move succeeds, every other one is refused."""

import itertools

import pytest

from dossiers.constants import (
    ROLE_CAN_ACT_AS,
    TRANSITIONS,
    DossierStatus,
    Role,
    allowed_targets,
)
from dossiers.models import Dossier, DossierEvent
from dossiers.services import TransitionRefused, available_targets, dossier_transition

from .factories import DossierFactory

pytestmark = pytest.mark.django_db
S = DossierStatus
PAIRS = list(itertools.product(S.values, S.values))


def _expected(frm: str, to: str, role: str) -> bool:
    return TRANSITIONS.get((frm, to)) in ROLE_CAN_ACT_AS[role]


@pytest.mark.parametrize(("frm", "to"), PAIRS, ids=[f"{f}->{t}" for f, t in PAIRS])
def test_every_move_is_allowed_exactly_when_the_table_says(frm, to):
    for role in Role.values:
        # A supplemented dossier goes to processing only once it has a code (received before).
        code = f"AG-260101-{role}" if (frm, to) == (S.SUPPLEMENTED, S.PROCESSING) else None
        dossier = DossierFactory(status=frm, code=code)
        if _expected(frm, to, role):
            result = dossier_transition(dossier_id=dossier.pk, to_status=to, role=role)
            assert result.dossier.status == to
            event = DossierEvent.objects.get(dossier=dossier)
            assert (event.from_status, event.to_status) == (frm, to)
        else:
            with pytest.raises(TransitionRefused):
                dossier_transition(dossier_id=dossier.pk, to_status=to, role=role)
            dossier.refresh_from_db()
            assert dossier.status == frm
            assert not DossierEvent.objects.filter(dossier=dossier).exists()


def test_the_table_has_the_moves_of_the_design():
    assert allowed_targets(S.DRAFT, Role.CITIZEN) == [S.SUBMITTED]
    assert set(allowed_targets(S.SUBMITTED, Role.STAFF)) == {
        S.RECEIVED,
        S.SUPPLEMENT_REQUESTED,
        S.REJECTED,
    }
    # A supplement may be asked right after receipt (DESIGN §3), not only before or in processing.
    # Processing may be stopped (dừng giải quyết) once received, also while a supplement waits.
    assert set(allowed_targets(S.RECEIVED, Role.STAFF)) == {
        S.PROCESSING,
        S.SUPPLEMENT_REQUESTED,
        S.STOPPED,
    }
    assert set(allowed_targets(S.PROCESSING, Role.STAFF)) == {
        S.SUPPLEMENT_REQUESTED,
        S.AWAITING_PAYMENT,
        S.APPROVED,
        S.REJECTED,
        S.STOPPED,
    }
    assert S.STOPPED in allowed_targets(S.SUPPLEMENT_REQUESTED, Role.STAFF)
    assert allowed_targets(S.STOPPED, Role.STAFF) == []
    # The citizen may withdraw anything without a result, nothing with one.
    for status in (S.APPROVED, S.RETURNED, S.REJECTED, S.WITHDRAWN, S.DRAFT):
        assert S.WITHDRAWN not in allowed_targets(status, Role.CITIZEN)
    assert allowed_targets(S.RETURNED, Role.STAFF) == []


def test_supplemented_before_receipt_goes_back_to_receipt_only():
    dossier = DossierFactory(status=S.SUPPLEMENTED, code=None)
    assert set(available_targets(dossier, Role.STAFF)) == {S.RECEIVED}
    with pytest.raises(TransitionRefused, match="not been received"):
        dossier_transition(dossier_id=dossier.pk, to_status=S.PROCESSING, role=Role.STAFF)


def test_supplemented_after_receipt_goes_back_to_processing_only():
    dossier = DossierFactory(status=S.SUPPLEMENTED, code="AG-260101-0001")
    assert set(available_targets(dossier, Role.STAFF)) == {S.PROCESSING}
    with pytest.raises(TransitionRefused, match="already received"):
        dossier_transition(dossier_id=dossier.pk, to_status=S.RECEIVED, role=Role.STAFF)


def test_a_stale_expected_status_is_refused_with_a_clear_message():
    dossier = DossierFactory(status=S.RECEIVED)
    with pytest.raises(TransitionRefused) as refused:
        dossier_transition(
            dossier_id=dossier.pk,
            to_status=S.REJECTED,
            role=Role.STAFF,
            expected_status=S.SUBMITTED,
        )
    assert "someone else acted" in str(refused.value)
    assert Dossier.objects.get(pk=dossier.pk).status == S.RECEIVED


def test_an_error_in_apply_rolls_the_move_back():
    dossier = DossierFactory(status=S.SUBMITTED)

    def boom(d):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        dossier_transition(dossier_id=dossier.pk, to_status=S.RECEIVED, role=Role.STAFF, apply=boom)
    assert Dossier.objects.get(pk=dossier.pk).status == S.SUBMITTED
    assert not DossierEvent.objects.exists()
