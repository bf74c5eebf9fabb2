"""The reverse proxy of docker-compose.yml, for real: Debian's nginx runs the repository's own
configuration (deploy/nginx/portal.conf.template) over TLS in front of gunicorn on loopback.

gunicorn trusts one proxy (TRUSTED_PROXY_COUNT=1, BEHIND_TLS_PROXY=true), exactly as in
docker-compose.yml, so these tests show that the headers it trusts are nginx's, not the client's.
"""

import http.client
import os
import re
import shutil
import ssl
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

import pytest

from tests.conftest import free_port, gunicorn_argv, missing_service, stop_process

# gunicorn counts on REDIS_URL's own database, which the `redis_url` fixture flushes: these tests
# run on the worker of the other tests that start servers on it.
pytestmark = pytest.mark.xdist_group("celery-worker")

TEMPLATE = Path(settings.BASE_DIR) / "deploy" / "nginx" / "portal.conf.template"
LOOKUP_LIMIT = 5
PLACEHOLDERS = (
    "PORTAL_UPSTREAM",
    "NGINX_HTTP_LISTEN",
    "NGINX_HTTPS_LISTEN",
    "NGINX_TLS_CERT",
    "NGINX_TLS_KEY",
)


def render_template(values: dict[str, str]) -> str:
    """The template with its ${NAME}s replaced, as the nginx image's envsubst step does."""
    text = TEMPLATE.read_text()
    for name in PLACEHOLDERS:
        text = text.replace("${" + name + "}", values[name])
    assert "${" not in text, "a placeholder of the template has no value"
    return text


@dataclass
class Proxy:
    https_port: int
    http_port: int
    gunicorn_port: int
    tls: ssl.SSLContext

    def get(self, path: str, headers: dict | None = None) -> http.client.HTTPResponse:
        """A GET through nginx over TLS, the certificate checked against 127.0.0.1."""
        conn = http.client.HTTPSConnection(
            "127.0.0.1", self.https_port, context=self.tls, timeout=20
        )
        return _send(conn, "GET", path, headers)

    def plain_get(self, port: int, path: str, headers: dict | None = None):
        return _send(
            http.client.HTTPConnection("127.0.0.1", port, timeout=20), "GET", path, headers
        )


def _send(conn, method: str, path: str, headers: dict | None, body=None):
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    response.body = response.read()
    conn.close()
    return response


def _self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """The same command as `make tls-cert`, for 127.0.0.1."""
    openssl = shutil.which("openssl")
    if not openssl:
        missing_service("needs openssl to make the test's TLS certificate")
    cert, key = folder / "fullchain.pem", folder / "privkey.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def _wait_for(probe, what: str, timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if probe():
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{what} did not come up")


@pytest.fixture
def proxy(transactional_db, postgres, redis_url, tmp_path):
    """gunicorn on loopback behind nginx running the repository's configuration."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    if not nginx:
        missing_service("needs nginx (apt-get install nginx-light; `make test` installs it)")
    cert, key = _self_signed_certificate(tmp_path)
    gunicorn_port, https_port, http_port = free_port(), free_port(), free_port()
    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL=f"https://127.0.0.1:{https_port}",
        DATABASE_URL=f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        CONN_MAX_AGE="0",
        REDIS_URL=redis_url,
        TRUSTED_PROXY_COUNT="1",
        BEHIND_TLS_PROXY="true",
        LOOKUP_RATE_LIMIT=str(LOOKUP_LIMIT),
        LOOKUP_RATE_WINDOW="3600",  # no window boundary inside the test
    )
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    (prefix / "portal.conf").write_text(
        render_template(
            {
                "PORTAL_UPSTREAM": f"127.0.0.1:{gunicorn_port}",
                "NGINX_HTTP_LISTEN": f"127.0.0.1:{http_port}",
                "NGINX_HTTPS_LISTEN": f"127.0.0.1:{https_port}",
                "NGINX_TLS_CERT": str(cert),
                "NGINX_TLS_KEY": str(key),
            }
        )
    )
    # The image's nginx.conf, reduced to what a child process needs: in the foreground, every
    # file under the test's own folder, workers as the same user (the folder is private).
    user = "user root root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {prefix / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (prefix / "nginx.conf").write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {prefix / 'nginx.pid'};\n"
        f"error_log {prefix / 'error.log'} info;\nevents {{ worker_connections 128; }}\n"
        f"http {{\n    access_log {prefix / 'access.log'};\n{temp}\n"
        f"    include {prefix / 'portal.conf'};\n}}\n"
    )
    tls = ssl.create_default_context(cafile=str(cert))
    logs = {name: (tmp_path / f"{name}.log").open("w") for name in ("gunicorn", "nginx")}
    processes = []
    try:
        processes.append(
            subprocess.Popen(
                gunicorn_argv(port=gunicorn_port),
                cwd=settings.BASE_DIR,
                env=env,
                stdout=logs["gunicorn"],
                stderr=subprocess.STDOUT,
            )
        )
        processes.append(
            subprocess.Popen(
                [nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", "stderr"],
                stdout=logs["nginx"],
                stderr=subprocess.STDOUT,
            )
        )
        result = Proxy(https_port, http_port, gunicorn_port, tls)
        _wait_for(lambda: result.get("/healthz").status == 200, "gunicorn behind nginx")
        yield result
    finally:
        for process in reversed(processes):
            stop_process(process)
        for log in logs.values():
            log.close()
        artifacts = Path(settings.BASE_DIR) / "test-artifacts"
        artifacts.mkdir(exist_ok=True)
        for name in logs:
            shutil.copy(tmp_path / f"{name}.log", artifacts / f"reverse-proxy-{name}.log")
        shutil.copy(prefix / "error.log", artifacts / "reverse-proxy-nginx-error.log")


def test_rotating_forwarded_for_through_the_proxy_is_still_limited(proxy):
    """A client that invents a new X-Forwarded-For for each lookup is counted as itself."""
    path = "/lookup/?code=ABC-261201-0001"
    for n in range(LOOKUP_LIMIT):
        forged = {"X-Forwarded-For": f"198.51.100.{n + 1}", "X-Real-IP": f"198.51.100.{n + 1}"}
        assert proxy.get(path, forged).status == 200
    refused = proxy.get(path, {"X-Forwarded-For": "198.51.100.200"})
    assert refused.status == 429
    assert int(refused.getheader("Retry-After")) > 0
    assert proxy.get(path, {"Forwarded": "for=203.0.113.1"}).status == 429

    # gunicorn counted all of them against the real peer, 127.0.0.1: asked directly (as only
    # nginx can in production) in that address's name it refuses, in another's it serves. That
    # second answer is the hole a published gunicorn leaves open.
    direct = proxy.gunicorn_port
    assert proxy.plain_get(direct, path, {"X-Forwarded-For": "127.0.0.1"}).status == 429
    assert proxy.plain_get(direct, path, {"X-Forwarded-For": "203.0.113.9"}).status == 200


def test_the_portal_sees_https_from_the_proxy_and_plain_http_is_redirected(proxy):
    """The language switch refuses to send a secure request back to a plain-HTTP address:
    through nginx the request is HTTPS whatever X-Forwarded-Proto the client sent; straight
    to gunicorn, without nginx's header, it is not."""
    insecure_target = "/i18n/en/?next=" + quote("http://127.0.0.1/procedures/", safe="")
    secure_target = "/i18n/en/?next=" + quote("https://127.0.0.1/procedures/", safe="")

    through = proxy.get(insecure_target, {"X-Forwarded-Proto": "http"})
    assert through.status == 302
    assert through.getheader("Location") == "/"
    assert proxy.get(secure_target).getheader("Location") == "https://127.0.0.1/procedures/"

    plain = f"http://127.0.0.1:{proxy.gunicorn_port}/procedures/"
    direct = proxy.plain_get(proxy.gunicorn_port, "/i18n/en/?next=" + quote(plain, safe=""))
    assert direct.getheader("Location") == plain

    # nginx's plain-HTTP listener only sends the browser to HTTPS.
    redirect = proxy.plain_get(proxy.http_port, "/procedures/?q=a")
    assert redirect.status == 301
    assert redirect.getheader("Location") == "https://127.0.0.1/procedures/?q=a"


def test_a_full_size_upload_passes_and_an_oversized_body_is_refused(proxy):
    """A body past one 50 MB file reaches the portal (whose CSRF check answers this form-less
    POST); one past the proxy's cap is refused before it is read."""
    conn = http.client.HTTPSConnection("127.0.0.1", proxy.https_port, context=proxy.tls, timeout=60)
    body = b"x" * ((settings.UPLOAD_MAX_SIZE_MB + 1) * 1024 * 1024)
    passed = _send(conn, "POST", "/procedures/", {"Content-Type": "text/plain"}, body)
    assert passed.status == 403
    assert passed.getheader("X-Frame-Options") == "DENY"  # Django's answer, not nginx's

    conn = http.client.HTTPSConnection("127.0.0.1", proxy.https_port, context=proxy.tls, timeout=20)
    conn.putrequest("POST", "/procedures/")
    conn.putheader("Content-Length", str(500 * 1024 * 1024))
    conn.endheaders()
    assert conn.getresponse().status == 413
    conn.close()


def test_compose_publishes_the_proxy_and_never_gunicorn():
    """docker-compose.yml runs the tested template in the official nginx image, gives it a
    value for every placeholder, and publishes no port of a portal process."""
    import yaml

    compose = yaml.safe_load((Path(settings.BASE_DIR) / "docker-compose.yml").read_text())
    services = compose["services"]
    for name in ("web", "worker", "beat", "migrate"):
        assert "ports" not in services[name], f"{name} must be reachable only through the proxy"
    assert services["web"]["expose"] == ["8000"]
    assert services["web"]["environment"]["TRUSTED_PROXY_COUNT"] == "${TRUSTED_PROXY_COUNT:-1}"
    assert services["web"]["environment"]["BEHIND_TLS_PROXY"] == "${BEHIND_TLS_PROXY:-true}"

    proxy = services["proxy"]
    assert proxy["image"].startswith("nginx:")
    assert "443:443" in proxy["ports"]
    assert (
        "./deploy/nginx/portal.conf.template:/etc/nginx/templates/default.conf.template:ro"
        in proxy["volumes"]
    )
    assert set(PLACEHOLDERS) <= set(proxy["environment"])
    assert proxy["environment"]["PORTAL_UPSTREAM"] == "web:8000"
    assert set(re.findall(r"\$\{(\w+)\}", TEMPLATE.read_text())) == set(PLACEHOLDERS)
