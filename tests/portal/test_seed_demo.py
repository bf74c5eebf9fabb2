"""`make run`'s demo data: loads on an empty database, twice without changes."""

from django.core.management import call_command

import pytest
from allauth.mfa.models import Authenticator

from accounts.models import User
from dossiers.models import Dossier

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_signable_accounts_and_dossiers_once():
    call_command("load_catalogue", verbosity=0)
    call_command("seed_demo")
    call_command("seed_demo")
    staff = User.objects.get(email="canbo@demo.gov.vn")
    assert staff.is_staff and staff.staff_membership.agency.code
    assert Authenticator.objects.filter(user=staff, type="totp").count() == 1
    citizen = User.objects.get(email="congdan@demo.vn")
    assert citizen.check_password("demo-Portal-2026")
    statuses = sorted(Dossier.objects.filter(applicant=citizen).values_list("status", flat=True))
    assert statuses == ["approved", "processing", "submitted"]
    assert Dossier.objects.exclude(code=None).count() == 2


@pytest.mark.django_db(transaction=True)
def test_seed_demo_runs_on_postgresql_outside_any_test_transaction(postgres):
    """As `make run` runs it on PostgreSQL: no surrounding transaction, so a row lock taken
    outside `transaction.atomic()` fails there ("select_for_update cannot be used outside of a
    transaction"), which SQLite and a wrapping test transaction both hide."""
    call_command("load_catalogue", verbosity=0)
    call_command("seed_demo")
    citizen = User.objects.get(email="congdan@demo.vn")
    statuses = sorted(Dossier.objects.filter(applicant=citizen).values_list("status", flat=True))
    assert statuses == ["approved", "processing", "submitted"]
    assert all(d.attachments.exists() for d in Dossier.objects.filter(applicant=citizen))


def test_the_demo_result_is_signed_when_signing_is_on(agency_signing):
    """`make run` signs (with its development CA): the demo's approved result must be a PDF
    the approval can sign, approved by a leader of the demo back office."""
    from signing.models import IssuedDocument

    call_command("load_catalogue", verbosity=0)
    call_command("seed_demo")
    approved = Dossier.objects.get(status="approved")
    issued = IssuedDocument.objects.get(kind="result", dossier_code=approved.code)
    assert issued.signed and issued.sha256 == approved.result_sha256
    assert issued.signer_name in {"Đặng Văn Vụ Trưởng", "Ngô Thị Phó Vụ Trưởng"}
