"""Each provider signs: the same PAdES signature whether the key is in a file, a token or a
remote service; the registry picks the configured one."""

import pytest

from signing.providers.base import SigningUnavailable
from signing.providers.pkcs11 import PKCS11Provider
from signing.providers.pkcs12 import PKCS12Provider
from signing.providers.registry import signer_provider
from signing.providers.remote import RemoteProvider
from signing.services import document_sign
from tests.signing.helpers import has_dss, simple_pdf, validate


def _sign(provider) -> bytes:
    return document_sign(
        pdf=simple_pdf(),
        reason="Phê duyệt",
        signer_name="Trần Thị B",
        signer_title="Phó Giám đốc",
        location="Hà Nội",
        provider=provider,
    )


def _assert_agency_signature(data: bytes, pki) -> None:
    status = validate(data, pki)
    assert status.intact and status.valid and status.trusted
    assert status.timestamp_validity is not None and status.timestamp_validity.intact
    assert "Sở Tư pháp (test)" in status.signing_cert.subject.human_friendly
    assert has_dss(data)


def test_pkcs12_provider_signs(agency_signing):
    _assert_agency_signature(_sign(PKCS12Provider()), agency_signing)


def test_pkcs12_with_a_wrong_password_is_unavailable(agency_signing):
    with pytest.raises((SigningUnavailable, ValueError)):
        _sign(PKCS12Provider(password="wrong"))


def test_remote_provider_signs_through_the_local_service(agency_signing, remote_signing_server):
    provider = RemoteProvider(url=remote_signing_server.url, key_id="agency", token="test-token")
    _assert_agency_signature(_sign(provider), agency_signing)


def test_remote_service_refuses_a_wrong_token(agency_signing, remote_signing_server):
    provider = RemoteProvider(url=remote_signing_server.url, key_id="agency", token="nope")
    with pytest.raises(SigningUnavailable):
        _sign(provider)


def test_pkcs11_provider_signs_with_softhsm(agency_signing, softhsm_token):
    provider = PKCS11Provider(
        module=softhsm_token["module"],
        token_label=softhsm_token["token_label"],
        pin=softhsm_token["pin"],
        key_label=softhsm_token["key_label"],
    )
    _assert_agency_signature(_sign(provider), agency_signing)


def test_pkcs11_with_a_wrong_pin_is_unavailable(agency_signing, softhsm_token):
    provider = PKCS11Provider(
        module=softhsm_token["module"],
        token_label=softhsm_token["token_label"],
        pin="0000",
        key_label="agency",
    )
    with pytest.raises(SigningUnavailable):
        _sign(provider)


def test_registry_reads_the_setting(settings):
    settings.SIGNING_PROVIDER = "none"
    assert signer_provider() is None
    for identifier, cls in (("pkcs12", PKCS12Provider), ("remote", RemoteProvider)):
        settings.SIGNING_PROVIDER = identifier
        assert isinstance(signer_provider(), cls)
    settings.SIGNING_PROVIDER = "signing.providers.pkcs11.PKCS11Provider"
    assert isinstance(signer_provider(), PKCS11Provider)


def test_system_checks_name_what_a_provider_misses(settings, tmp_path):
    from signing.checks import signing_settings_check

    settings.SIGNING_PROVIDER = "none"
    assert signing_settings_check(None) == []
    settings.SIGNING_PROVIDER = "pkcs12"
    settings.SIGNING_PKCS12_PATH = str(tmp_path / "missing.p12")
    assert [c.id for c in signing_settings_check(None)] == ["signing.W001"]
    settings.SIGNING_PROVIDER = "nowhere.Provider"
    assert [c.id for c in signing_settings_check(None)] == ["signing.E001"]
