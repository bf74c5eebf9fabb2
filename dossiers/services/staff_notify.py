"""Telling the staff concerned about a hand-over: the person a step is given to, or the
unit's members who may take it (DESIGN §10)."""

from ..models import HandOver


def handover_notify(handover: HandOver) -> None:
    """Notify whoever must act next on `handover`'s dossier. Called inside the hand-over's
    transaction. (The staff notifications themselves are being added: for now, nothing.)"""
    return None
