"""A development certificate authority and agency certificate, so `make run` signs at once.

Writes, in var/signing/ (or --directory): `dev-root.pem` (the CA, to trust when verifying),
`agency.p12` (the agency's key, certificate and chain; password --password) and a README.
Idempotent: existing files are kept unless --force. Every subject says "NOT TRUSTED —
development": nothing signed with them has any legal value. Refused in production.
"""

import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

NOT_TRUSTED = "NOT TRUSTED — development"
DEFAULT_PASSWORD = "development-only"  # noqa: S105  (a throw-away development key)


def _name(common_name: str):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, NOT_TRUSTED),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def dev_ca_create(directory: Path, *, organisation: str, password: str) -> tuple[Path, Path]:
    """Create the development CA and agency PKCS#12 in `directory`; returns their paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12

    now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root_name = _name(f"Portal development CA ({NOT_TRUSTED})")
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    agency_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    agency = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{organisation} ({NOT_TRUSTED})"))
        .issuer_name(root_name)
        .public_key(agency_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    root_path = directory / "dev-root.pem"
    p12_path = directory / "agency.p12"
    root_path.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    p12_path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"agency",
            agency_key,
            agency,
            [root],
            serialization.BestAvailableEncryption(password.encode()),
        )
    )
    p12_path.chmod(0o600)
    (directory / "README.txt").write_text(
        f"{NOT_TRUSTED}: made by `manage.py signing_dev_ca` for `make run`.\n"
        "Documents signed with agency.p12 verify only where dev-root.pem is trusted, and have\n"
        "no legal value. Delete this folder (or run the command with --force) to renew them.\n",
        encoding="utf-8",
    )
    return root_path, p12_path


class Command(BaseCommand):
    help = "Create a development CA and agency certificate (NOT TRUSTED) in var/signing/."

    def add_arguments(self, parser):
        parser.add_argument("--directory", default=str(settings.VAR_DIR / "signing"))
        parser.add_argument("--password", default=DEFAULT_PASSWORD)
        parser.add_argument("--force", action="store_true", help="replace existing files")

    def handle(self, *args, directory: str, password: str, force: bool, **options):
        if settings.PRODUCTION:
            raise CommandError("a development CA has no place in production")
        folder = Path(directory)
        if not force and (folder / "agency.p12").is_file() and (folder / "dev-root.pem").is_file():
            self.stdout.write(f"development signing certificate kept: {folder / 'agency.p12'}")
            return
        root, p12 = dev_ca_create(
            folder, organisation=settings.SIGNING_ORGANISATION, password=password
        )
        self.stdout.write(f"development signing certificate ({NOT_TRUSTED}): {p12}, CA {root}")
