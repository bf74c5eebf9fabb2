"""Signing and issuing: PAdES signatures pyHanko's validator accepts, records, idempotence."""

import hashlib

import pytest

from signing.constants import DocumentKind
from signing.models import IssuedDocument
from signing.services import document_issue, document_sign, verify_url_for
from tests.signing.helpers import has_dss, signatures, simple_pdf, validate

pytestmark = pytest.mark.django_db


def test_signed_pdf_is_intact_trusted_and_timestamped_at_level_lt(agency_signing):
    signed = document_sign(
        pdf=simple_pdf(),
        reason="Phê duyệt kết quả",
        signer_name="Nguyễn Văn A",
        signer_title="Giám đốc",
        location="Hà Nội",
    )
    status = validate(signed, agency_signing)
    assert status.intact and status.valid and status.trusted
    assert status.timestamp_validity is not None and status.timestamp_validity.trusted
    assert status.bottom_line
    assert has_dss(signed)  # B-LT: revocation data of the chain embedded
    sig = signatures(signed)[0]
    assert sig.sig_object["/Reason"] == "Phê duyệt kết quả"
    assert sig.sig_object["/Name"] == "Nguyễn Văn A"
    assert "Sở Tư pháp (test)" in sig.signer_cert.subject.human_friendly


def test_without_a_tsa_the_signature_is_b_b(agency_signing, settings):
    settings.SIGNING_TSA_URL = ""
    signed = document_sign(
        pdf=simple_pdf(), reason="r", signer_name="", signer_title="", location=""
    )
    status = validate(signed, agency_signing)
    assert status.intact and status.trusted
    assert status.timestamp_validity is None


def test_issue_records_hash_reference_and_file_and_renders_the_verify_url(agency_signing):
    seen = []

    def render(url: str) -> bytes:
        seen.append(url)
        return simple_pdf(url)

    document = document_issue(
        kind=DocumentKind.RECEIPT, dossier_code="HS-1", render=render, issue_key="receipt:1"
    )
    assert seen == [verify_url_for(document.reference)]
    assert seen[0].endswith(f"/verify/{document.reference}/")
    data = document.file.read()
    assert document.signed
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert validate(data, agency_signing).bottom_line
    again = document_issue(
        kind=DocumentKind.RECEIPT, dossier_code="HS-1", render=render, issue_key="receipt:1"
    )
    assert again.pk == document.pk and len(seen) == 1


def test_with_signing_off_documents_are_recorded_unsigned(settings):
    settings.SIGNING_PROVIDER = "none"
    document = document_issue(
        kind=DocumentKind.REJECTION, dossier_code="HS-2", render=lambda url: simple_pdf(url)
    )
    data = document.file.read()
    assert not document.signed
    assert signatures(data) == []
    assert IssuedDocument.objects.get(sha256=hashlib.sha256(data).hexdigest()) == document


@pytest.mark.parametrize("label", ["revoked", "expired"])
def test_a_revoked_or_expired_agency_certificate_does_not_sign(agency_signing, settings, label):
    from signing.providers.base import SigningUnavailable

    settings.SIGNING_PKCS12_PATH = str(agency_signing.pkcs12_for(label))
    with pytest.raises(SigningUnavailable, match="not valid"):
        document_sign(pdf=simple_pdf(), reason="r", signer_name="", signer_title="", location="")
