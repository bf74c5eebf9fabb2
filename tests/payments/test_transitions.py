"""The payment transition table: the one door a payment's status goes through."""

import ast
from itertools import product
from pathlib import Path

import pytest

from payments import services
from payments.constants import PAYMENT_TRANSITIONS, PaymentStatus
from payments.models import Payment

from .factories import PaymentFactory

ROOT = Path(__file__).resolve().parents[2]
ILLEGAL = sorted(
    (before, after)
    for before, after in product(PaymentStatus.values, repeat=2)
    if (before, after) not in PAYMENT_TRANSITIONS
)


@pytest.mark.django_db
@pytest.mark.parametrize(("before", "after"), ILLEGAL)
def test_a_move_outside_the_table_is_refused_and_changes_nothing(before, after):
    payment = PaymentFactory(status=before, response_code="00")
    row = Payment.objects.values().get(pk=payment.pk)

    with pytest.raises(services.PaymentTransitionRefused, match="cannot move to"):
        services.payment_transition(
            payment_id=payment.pk,
            to_status=after,
            apply=lambda locked: setattr(locked, "response_code", "99"),
        )

    assert Payment.objects.values().get(pk=payment.pk) == row


@pytest.mark.django_db
@pytest.mark.parametrize(("before", "after"), sorted(PAYMENT_TRANSITIONS))
def test_every_move_in_the_table_is_made(before, after):
    payment = PaymentFactory(status=before)

    moved = services.payment_transition(
        payment_id=payment.pk,
        to_status=after,
        apply=lambda locked: setattr(locked, "response_code", "42"),
    )

    payment.refresh_from_db()
    assert (moved.status, payment.status, payment.response_code) == (after, after, "42")


def test_the_table_leaves_a_confirmed_payment_as_it_is():
    assert not [move for move in PAYMENT_TRANSITIONS if move[0] == PaymentStatus.CONFIRMED]


# --- Nothing else writes a payment's status ---------------------------------------------------

# The one module allowed to write `status`: the transition service.
DOOR = ROOT / "payments" / "services" / "transitions.py"
# Calls that write the keyword arguments they are given.
WRITING_CALLS = {
    "Payment",
    "create",
    "get_or_create",
    "update",
    "update_or_create",
    "bulk_update",
}


def _status_writes(tree: ast.AST) -> list[int]:
    """Lines that assign `<something>.status`, `setattr(…, "status", …)`, or pass `status=`
    (or `defaults={"status": …}`) to a call that writes a row."""
    lines = []
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        lines += [
            node.lineno
            for target in targets
            for sub in ast.walk(target)
            if isinstance(sub, ast.Attribute) and sub.attr == "status"
        ]
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if (
            name == "setattr"
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value == "status"
        ):
            lines.append(node.lineno)
        if name in WRITING_CALLS:
            for keyword in node.keywords:
                if keyword.arg == "status" or (
                    keyword.arg == "defaults"
                    and isinstance(keyword.value, ast.Dict)
                    and any(
                        isinstance(key, ast.Constant) and key.value == "status"
                        for key in keyword.value.keys
                    )
                ):
                    lines.append(node.lineno)
                if keyword.arg == "fields" and "status" in ast.unparse(keyword.value):
                    lines.append(node.lineno)
    return lines


def _modules():
    for package in ("payments", "payments_sandbox"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts and path != DOOR:
                yield path


def test_no_module_but_the_transition_service_writes_a_payment_status():
    writes = {
        str(path.relative_to(ROOT)): lines
        for path in _modules()
        if (lines := _status_writes(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert writes == {}


def test_the_status_write_check_sees_each_way_of_writing():
    sample = """
payment.status = "confirmed"
payment.status += ""
setattr(payment, "status", "failed")
Payment.objects.filter(pk=1).update(status="expired")
Payment.objects.update_or_create(pk=1, defaults={"status": "failed"})
Payment(status="initiated")
Payment.objects.bulk_update(rows, fields=["status"])
"""
    assert _status_writes(ast.parse(sample)) == [2, 3, 4, 5, 6, 7, 8]
    assert _status_writes(ast.parse(DOOR.read_text(encoding="utf-8")))
