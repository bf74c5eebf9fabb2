"""Minimal dossier factories for the tracking tests (dossiers has none yet), and ratings."""

from datetime import timedelta

from django.utils import timezone

import factory
from factory.django import DjangoModelFactory

from dossiers.constants import DossierStatus
from dossiers.models import Dossier, DossierEvent
from tests.accounts.factories import UserFactory
from tests.procedures.factories import ProcedureFactory
from tracking.models import Rating


class DossierFactory(DjangoModelFactory):
    """A received dossier (it has a code), processing, due in five days."""

    class Meta:
        model = Dossier

    procedure = factory.SubFactory(ProcedureFactory)
    agency = factory.SelfAttribute("procedure.agency")
    applicant = factory.SubFactory(UserFactory)
    status = DossierStatus.PROCESSING
    code = factory.Sequence(lambda n: f"TST-261120-{n:04d}")
    lookup_secret = "K7Q2MX"
    applicant_name = "Nguyễn Văn An"
    applicant_type = "person"
    citizen_id = "001203004567"
    phone = "0912345678"
    email = "an.nguyen@example.com"
    address = "12 Phố Huế, Hai Bà Trưng, Hà Nội"
    submitted_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=3))
    received_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=2))
    due_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=5))

    class Params:
        draft = factory.Trait(
            status=DossierStatus.DRAFT,
            code=None,
            submitted_at=None,
            received_at=None,
            due_date=None,
        )


class DossierEventFactory(DjangoModelFactory):
    class Meta:
        model = DossierEvent

    dossier = factory.SubFactory(DossierFactory)
    action = "processing"
    from_status = DossierStatus.RECEIVED
    to_status = DossierStatus.PROCESSING
    # The portal's words (composed when read) and, apart, what a person typed.
    message = "dossier.processing_started"
    params = factory.LazyAttribute(lambda event: {"agency": event.dossier.agency_id})
    note = "Hồ sơ đang được thẩm định."
    handling_unit = factory.SelfAttribute("dossier.agency.name")
    is_public = True


class RatingFactory(DjangoModelFactory):
    class Meta:
        model = Rating

    dossier = factory.SubFactory(
        DossierFactory,
        status=DossierStatus.RETURNED,
        completed_at=factory.LazyFunction(timezone.now),
    )
    user = factory.SelfAttribute("dossier.applicant")
    attitude = 5
    timeliness = 4
    guidance = 4
    overall = 5
    comment = ""
