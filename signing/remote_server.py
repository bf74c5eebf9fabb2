"""A faithful local implementation of the remote signing protocol (signing/providers/remote.py).

It stands for the service an agency runs next to its HSM: here the key comes from a PKCS#12
file. The tests run it on loopback; it also serves a development set-up:

    python -m signing.remote_server --pkcs12 var/signing/agency.p12 --password … \
        --key-id agency --token s3cret --port 9556

It imports nothing from Django. Every request needs `Authorization: Bearer <token>`; a wrong
token is 401, an unknown key 404, a malformed body 400. Signatures are computed by
`cryptography` over the digest the client sent (RSA PKCS#1 v1.5, or ECDSA).
"""

import argparse
import base64
import hmac
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DIGESTS = ("sha256", "sha384", "sha512")


@dataclass
class RemoteKey:
    """One key the service signs with: the private key, its certificate and chain (DER)."""

    private_key: object
    certificate: bytes
    chain: list[bytes]

    @classmethod
    def from_pkcs12(cls, data: bytes, password: bytes | None) -> "RemoteKey":
        from cryptography.hazmat.primitives.serialization import Encoding, pkcs12

        loaded = pkcs12.load_pkcs12(data, password)
        if loaded.key is None or loaded.cert is None:
            raise ValueError("the PKCS#12 file holds no key or no certificate")
        return cls(
            private_key=loaded.key,
            certificate=loaded.cert.certificate.public_bytes(Encoding.DER),
            chain=[c.certificate.public_bytes(Encoding.DER) for c in loaded.additional_certs],
        )

    def sign_digest(self, digest: bytes, digest_algorithm: str) -> tuple[bytes, str]:
        """The raw signature of an already computed digest, and its pyHanko mechanism name."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
        from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

        algorithms: dict[str, hashes.HashAlgorithm] = {
            "sha256": hashes.SHA256(),
            "sha384": hashes.SHA384(),
            "sha512": hashes.SHA512(),
        }
        algorithm = algorithms[digest_algorithm]
        key = self.private_key
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(digest, padding.PKCS1v15(), Prehashed(algorithm)), (
                f"{digest_algorithm}_rsa"
            )
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(digest, ec.ECDSA(Prehashed(algorithm))), f"{digest_algorithm}_ecdsa"
        raise ValueError("unsupported key type")


def make_handler(*, keys: dict[str, RemoteKey], token: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "PortalRemoteSigner/1"

        def log_message(self, format, *args):  # noqa: A002  (the base class's name)
            pass

        def _reply(self, status: int, body: dict) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _key(self, parts: list[str]) -> RemoteKey | None:
            given = self.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                self._reply(401, {"error": "unauthorised"})
                return None
            key = keys.get(parts[1]) if len(parts) >= 2 and parts[0] == "keys" else None
            if key is None:
                self._reply(404, {"error": "unknown key"})
            return key

        def do_GET(self):
            parts = self.path.strip("/").split("/")
            if len(parts) != 2:
                return self._reply(404, {"error": "not found"})
            key = self._key(parts)
            if key is not None:
                self._reply(
                    200,
                    {
                        "key_id": parts[1],
                        "certificate": base64.b64encode(key.certificate).decode(),
                        "chain": [base64.b64encode(c).decode() for c in key.chain],
                    },
                )

        def do_POST(self):
            parts = self.path.strip("/").split("/")
            if len(parts) != 3 or parts[2] != "sign":
                return self._reply(404, {"error": "not found"})
            key = self._key(parts)
            if key is None:
                return None
            try:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(min(length, 64 * 1024)))
                algorithm = body["digest_algorithm"]
                digest = base64.b64decode(body["digest"], validate=True)
                if algorithm not in DIGESTS:
                    raise ValueError(algorithm)
                signature, mechanism = key.sign_digest(digest, algorithm)
            except (ValueError, KeyError, TypeError) as exc:
                return self._reply(400, {"error": f"bad request: {exc}"})
            return self._reply(
                200,
                {
                    "signature": base64.b64encode(signature).decode(),
                    "signature_algorithm": mechanism,
                },
            )

    return Handler


class RemoteSigningServer:
    """The service on a loopback (or given) address, in a background thread."""

    def __init__(self, *, keys: dict[str, RemoteKey], token: str, host="127.0.0.1", port=0):
        self.httpd = ThreadingHTTPServer((host, port), make_handler(keys=keys, token=token))
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> "RemoteSigningServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pkcs12", required=True, type=Path)
    parser.add_argument("--password", default="")
    parser.add_argument("--key-id", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9556)
    args = parser.parse_args(argv)
    key = RemoteKey.from_pkcs12(args.pkcs12.read_bytes(), args.password.encode() or None)
    server = RemoteSigningServer(
        keys={args.key_id: key}, token=args.token, host=args.host, port=args.port
    )
    print(f"remote signing service on {server.url}/keys/{args.key_id}")  # noqa: T201
    server.httpd.serve_forever()


if __name__ == "__main__":
    main()
