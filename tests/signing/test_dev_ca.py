"""`manage.py signing_dev_ca`: the development CA `make run` signs with (B-B, no TSA)."""

from django.core.management import call_command

import pytest
from asn1crypto import pem, x509

from signing.services import document_sign
from tests.signing.helpers import signatures, simple_pdf

pytestmark = pytest.mark.django_db


def test_dev_ca_is_idempotent_marked_not_trusted_and_signs(tmp_path, settings):
    folder = tmp_path / "signing"
    call_command("signing_dev_ca", directory=str(folder))
    p12 = (folder / "agency.p12").read_bytes()
    call_command("signing_dev_ca", directory=str(folder))
    assert (folder / "agency.p12").read_bytes() == p12  # kept

    settings.SIGNING_PROVIDER = "pkcs12"
    settings.SIGNING_PKCS12_PATH = str(folder / "agency.p12")
    settings.SIGNING_PKCS12_PASSWORD = "development-only"
    settings.SIGNING_TSA_URL = ""
    signed = document_sign(
        pdf=simple_pdf(), reason="Thử", signer_name="", signer_title="", location=""
    )
    embedded = signatures(signed)[0]
    assert "NOT TRUSTED — development" in embedded.signer_cert.subject.human_friendly

    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from signing.aio import run_coroutine

    _, _, der = pem.unarmor((folder / "dev-root.pem").read_bytes())
    status = run_coroutine(
        async_validate_pdf_signature(
            embedded, ValidationContext(trust_roots=[x509.Certificate.load(der)])
        )
    )
    assert status.intact and status.valid and status.trusted
    assert status.timestamp_validity is None  # B-B: make run has no TSA


def test_dev_ca_is_refused_in_production(tmp_path, settings):
    from django.core.management.base import CommandError

    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("signing_dev_ca", directory=str(tmp_path))
