"""Factories for the payment tests (dossiers has no factories yet: a minimal one here)."""

from datetime import timedelta

from django.utils import timezone

import factory
from factory.django import DjangoModelFactory

from dossiers.constants import DossierStatus
from dossiers.models import Dossier
from payments.constants import PaymentMethod, PaymentStatus
from payments.models import FeeNotice, FeeNoticeItem, Payment
from tests.accounts.factories import StaffFactory, UserFactory
from tests.procedures.factories import FeeFactory, ProcedureFactory


class DossierFactory(DjangoModelFactory):
    """A received dossier being processed (it has a code)."""

    class Meta:
        model = Dossier

    procedure = factory.SubFactory(ProcedureFactory)
    agency = factory.SelfAttribute("procedure.agency")
    applicant = factory.SubFactory(UserFactory)
    status = DossierStatus.PROCESSING
    code = factory.Sequence(lambda n: f"PAY-261120-{n:04d}")
    applicant_name = factory.SelfAttribute("applicant.full_name")
    applicant_type = "person"
    citizen_id = "001203004567"
    phone = "0912345678"
    email = factory.SelfAttribute("applicant.email")
    address = "12 Phố Huế, Hai Bà Trưng, Hà Nội"
    submitted_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=3))
    received_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=2))
    due_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=5))


class FeeNoticeFactory(DjangoModelFactory):
    """A fee notice written directly (tests of the issuing service use the service)."""

    class Meta:
        model = FeeNotice
        skip_postgeneration_save = True

    dossier = factory.SubFactory(DossierFactory, status=DossierStatus.AWAITING_PAYMENT)
    total = 150_000
    created_by = factory.SubFactory(StaffFactory)

    @factory.post_generation
    def items(self, create, extracted, **kwargs):
        if create:
            FeeNoticeItem.objects.create(fee_notice=self, name="Lệ phí cấp phép", amount=self.total)


class PaymentFactory(DjangoModelFactory):
    class Meta:
        model = Payment

    fee_notice = factory.SubFactory(FeeNoticeFactory)
    amount = factory.SelfAttribute("fee_notice.total")
    txn_ref = factory.Sequence(lambda n: f"2611201030{n:08d}")
    status = PaymentStatus.PENDING

    class Params:
        online = factory.Trait(
            method=PaymentMethod.ONLINE,
            provider="vnpay",
            status=PaymentStatus.INITIATED,
            initiated_at=factory.LazyFunction(timezone.now),
            expires_at=factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=15)),
        )


__all__ = [
    "DossierFactory",
    "FeeFactory",
    "FeeNoticeFactory",
    "PaymentFactory",
    "ProcedureFactory",
    "StaffFactory",
    "UserFactory",
]
