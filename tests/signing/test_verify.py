"""pdf_verify: each kind of file gets its own verdict (pyHanko underneath, the test PKI)."""

import pytest

from signing.verify import Certificate, Integrity, Outcome, Timestamp, pdf_verify

from . import pdfs

pytestmark = pytest.mark.django_db


def test_good_signature_is_valid_timestamped_and_names_organisation_and_person(signed_pdfs):
    verdict = pdf_verify(signed_pdfs.good)

    assert verdict.outcome == Outcome.VALID_NOT_ISSUED
    [check] = verdict.signatures
    assert check.valid
    assert check.integrity == Integrity.INTACT
    assert check.certificate == Certificate.VALID
    assert check.timestamp == Timestamp.TRUSTED and check.timestamped
    assert check.signed_at is not None
    assert check.organisation == "Sở Tư pháp (test)"
    assert check.person == "Nguyễn Văn An"
    assert check.covers_whole_file


def test_issued_file_gives_its_dossier_code_and_kind(signed_pdfs, issue):
    record = issue(signed_pdfs.good, dossier_code="STP-261207-0042", kind="receipt")

    verdict = pdf_verify(signed_pdfs.good)

    assert verdict.outcome == Outcome.ISSUED
    assert verdict.issued is not None
    assert verdict.issued.dossier_code == "STP-261207-0042"
    assert verdict.issued.kind == "receipt"
    assert verdict.issued.reference == str(record.reference)


def test_one_byte_changed_after_signing_is_modified(signed_pdfs, issue):
    issue(signed_pdfs.good)  # the original is on record; the changed copy is not

    verdict = pdf_verify(signed_pdfs.one_byte_changed)

    assert verdict.outcome == Outcome.INVALID
    assert verdict.signatures[0].integrity == Integrity.MODIFIED
    assert verdict.issued is None


def test_content_replaced_in_a_later_revision_is_modified(signed_pdfs):
    verdict = pdf_verify(signed_pdfs.edited_after_signing)

    assert verdict.outcome == Outcome.INVALID
    [check] = verdict.signatures
    assert check.integrity == Integrity.MODIFIED
    assert not check.covers_whole_file


def test_a_second_signature_added_later_leaves_the_first_one_valid(signed_pdfs):
    verdict = pdf_verify(signed_pdfs.countersigned)

    assert verdict.outcome == Outcome.VALID_NOT_ISSUED
    first, second = verdict.signatures
    assert first.integrity == Integrity.SIGNED_AGAIN and first.valid
    assert first.person == "Nguyễn Văn An"
    assert second.integrity == Integrity.INTACT and second.valid
    assert second.person == "Lê Thị Cúc"


def test_a_form_field_filled_after_signing_is_modified(signed_pdfs):
    """Filling anything but a signature after signing changes what was signed."""
    verdict = pdf_verify(pdfs.text_field_filled_after_signing(signed_pdfs.good))

    assert verdict.signatures[0].integrity == Integrity.MODIFIED


@pytest.mark.parametrize(
    ("case", "state"),
    [
        ("revoked", Certificate.REVOKED),
        ("expired", Certificate.EXPIRED),
        ("unknown_ca", Certificate.UNKNOWN_CA),
    ],
)
def test_certificate_problems_each_have_their_state(signed_pdfs, case, state):
    verdict = pdf_verify(getattr(signed_pdfs, case))

    assert verdict.outcome == Outcome.INVALID
    [check] = verdict.signatures
    assert check.certificate == state
    assert check.integrity == Integrity.INTACT  # the file itself was not touched


def test_no_trust_roots_configured_means_unknown_ca(signed_pdfs, settings):
    settings.SIGNING_TRUST_ROOTS = []

    verdict = pdf_verify(signed_pdfs.good)

    assert verdict.signatures[0].certificate == Certificate.UNKNOWN_CA


def test_signature_without_timestamp_is_valid_but_says_so(signed_pdfs):
    verdict = pdf_verify(signed_pdfs.good_without_timestamp)

    [check] = verdict.signatures
    assert check.valid
    assert check.timestamp == Timestamp.NONE
    assert check.signed_at is not None  # the signer's claimed time, labelled as such


def test_unsigned_pdf(issue):
    data = pdfs.plain_pdf()
    assert pdf_verify(data).outcome == Outcome.UNSIGNED

    issue(data)
    assert pdf_verify(data).outcome == Outcome.ISSUED_UNSIGNED


@pytest.mark.parametrize(
    "data", [b"", b"not a pdf at all", b"%PDF-1.7\n garbage without any structure"]
)
def test_unreadable_file(data):
    verdict = pdf_verify(data)

    assert verdict.outcome == Outcome.UNREADABLE
    assert not verdict.signed


def test_revocation_service_down_is_unchecked_not_valid(test_pki, settings, monkeypatch):
    """Without an answer from OCSP and the CRL, the certificate is not declared valid."""
    from signing import verify

    settings.SIGNING_TRUST_ROOTS = [str(path) for path in test_pki.trust_roots]
    data = pdfs.signed_pdf(test_pki.agency_signer())  # no timestamp: nothing fetched to sign
    monkeypatch.setattr(verify, "MAX_FETCHES", 0)

    check = pdf_verify(data).signatures[0]

    assert check.certificate == Certificate.UNCHECKED
    assert not check.valid


# Documents the portal itself signs (signing.services, PAdES B-LT)


def test_document_the_portal_issued_is_valid_intact_and_on_record(agency_signing):
    from signing.services import document_issue

    document = document_issue(
        kind="result",
        dossier_code="STP-261207-0007",
        render=lambda url: pdfs.plain_pdf(),
        signer_name="Trần Thị Bình",
        signer_title="Phó Giám đốc",
        qr_in_signature=True,
    )
    data = document.file.read()

    verdict = pdf_verify(data)

    assert verdict.outcome == Outcome.ISSUED
    assert verdict.issued is not None and verdict.issued.dossier_code == "STP-261207-0007"
    [check] = verdict.signatures
    # B-LT adds the revocation data after the signature: still the content that was signed.
    assert check.integrity == Integrity.INTACT
    assert check.certificate == Certificate.VALID
    assert check.timestamped
    assert check.person == "Trần Thị Bình"
    assert check.organisation == "Sở Tư pháp (test)"


def test_signed_with_the_portals_certificate_but_not_on_record(agency_signing):
    from signing.services import document_sign

    data = document_sign(
        pdf=pdfs.plain_pdf(),
        reason="Phát hành văn bản",
        signer_name="Trần Thị Bình",
        signer_title="Phó Giám đốc",
        location="Hà Nội",
    )

    verdict = pdf_verify(data)

    assert verdict.valid
    assert verdict.issued is None
    assert verdict.outcome == Outcome.VALID_NOT_ISSUED
    assert verdict.title == "Valid signature, not issued by this portal"


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.95])
def test_a_truncated_signed_file_gives_a_verdict_not_an_error(signed_pdfs, cut):
    data = signed_pdfs.good[: int(len(signed_pdfs.good) * cut)]

    verdict = pdf_verify(data)

    assert verdict.outcome in (Outcome.UNREADABLE, Outcome.INVALID, Outcome.UNSIGNED)
    assert not verdict.valid
