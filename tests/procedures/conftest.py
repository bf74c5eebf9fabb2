from pathlib import Path

import pytest

from procedures.cache import catalogue_changed
from procedures.management.commands.load_catalogue import load_catalogue
from procedures.models import Procedure
from procedures.search import fold

from .factories import AgencyFactory, FieldFactory

FIXTURE = Path(__file__).parent / "data" / "catalogue.json"


@pytest.fixture
def catalogue(db):
    """The small fixture catalogue: 3 procedures in 2 fields, templates stored."""
    load_catalogue(FIXTURE)
    return {p.national_code: p for p in Procedure.objects.all()}


def bulk_procedures(n: int, *, start: int = 0, fields=None, agencies=None) -> list[Procedure]:
    """n published procedures spread over fields and agencies, created in a few queries."""
    fields = fields or [FieldFactory() for _ in range(5)]
    agencies = agencies or [AgencyFactory() for _ in range(3)]
    procedures = []
    for i in range(start, start + n):
        name = f"Thủ tục hàng loạt số {i}"
        code = f"8.{i:06d}"
        procedures.append(
            Procedure(
                national_code=code,
                slug=code.replace(".", "-"),
                name=name,
                search_text=fold(f"{name} {code}"),
                field=fields[i % len(fields)],
                agency=agencies[i % len(agencies)],
                service_level="full" if i % 2 else "partial",
                popularity=i % 97,
            )
        )
    created = Procedure.objects.bulk_create(procedures, batch_size=500)
    # bulk_create sends no signals: say the catalogue changed, as load_catalogue does.
    catalogue_changed()
    return created
