"""The client's address: the one place the portal decides it (audit log, rate limits, gateway)."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest | None) -> str | None:
    """The address the request came from, as far as the deployment's proxies can vouch for it.

    With `TRUSTED_PROXY_COUNT = 0` it is REMOTE_ADDR: X-Forwarded-For is ignored, any client can
    write it. Behind N reverse proxies each appends the address it saw, so the N-th entry from the
    right is the client's; entries further left are the client's own words and never trusted.
    When the header is shorter or that entry is not an IP address, REMOTE_ADDR is used.
    """
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    hops = settings.TRUSTED_PROXY_COUNT
    if hops > 0:
        forwarded = [
            p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()
        ]
        if len(forwarded) >= hops:
            try:
                return str(ipaddress.ip_address(forwarded[-hops]))
            except ValueError:
                return remote
    return remote
