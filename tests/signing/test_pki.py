"""The test PKI itself: served on loopback, its URLs reach it, its statuses are what they say."""

import urllib.request

from asn1crypto import crl, x509


def test_agency_certificate_points_at_the_served_crl_and_ocsp(test_pki):
    cert = x509.Certificate.load(test_pki.cert_der("agency"))
    crl_url = cert.crl_distribution_points[0].url
    assert crl_url.startswith(test_pki.base_url)
    assert cert.ocsp_urls == [f"{test_pki.base_url}/portal-test/ocsp/interm"]
    with urllib.request.urlopen(crl_url, timeout=5) as response:  # noqa: S310  (loopback)
        listed = crl.CertificateList.load(response.read())
    serials = {
        entry["user_certificate"].native
        for entry in listed["tbs_cert_list"]["revoked_certificates"]
    }
    revoked = x509.Certificate.load(test_pki.cert_der("revoked"))
    assert revoked.serial_number in serials
    assert cert.serial_number not in serials


def test_pkcs12_of_the_agency_loads_as_a_signer(test_pki):
    signer = test_pki.agency_signer()
    assert "Sở Tư pháp (test)" in signer.signing_cert.subject.human_friendly
    assert test_pki.trust_roots[0].read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
