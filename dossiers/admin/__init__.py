"""Staff work in Django admin: the dossier queue, the dossier page with one button per step,
and the working-day calendar. Every step calls a service; status is never edited here.

`dossier` (the dossier admin), `steps` (the step table and page), `filters`, `inlines` and
`calendar`; importing this package registers them.
"""

from .calendar import CalendarDayAdmin
from .dossier import DossierAdmin, DossierChoiceField, dossier_choice_label
from .steps import STEPS, Step

__all__ = [
    "STEPS",
    "CalendarDayAdmin",
    "DossierAdmin",
    "DossierChoiceField",
    "Step",
    "dossier_choice_label",
]
