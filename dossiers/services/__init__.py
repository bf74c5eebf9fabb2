"""Every write to a dossier goes through these services (STYLE: rooms and doors)."""

from .transitions import DossierError, TransitionRefused, dossier_transition

__all__ = ["DossierError", "TransitionRefused", "dossier_transition"]
