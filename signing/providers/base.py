"""The interface every signer provider implements (STYLE: providers are classes behind one door).

A provider knows where the agency's private key lives (a PKCS#12 file, a PKCS#11 token, a remote
signing service) and opens a pyHanko `Signer` for it. It never builds a PDF signature itself:
`signing.services.document_sign` does that the same way for every provider, so the signatures
differ only by where the raw signature value was computed.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.utils.functional import Promise


class SigningUnavailable(OSError):
    """The configured key cannot be used now (missing file, token absent, service down, TSA
    not answering). An OSError, so tasks retry it like any other unreachable service."""


class SignerProvider:
    """Base class of signer providers; subclasses set `identifier` and implement `open()`."""

    identifier: str = ""
    verbose_name: "str | Promise" = ""

    @contextmanager
    def open(self) -> Iterator[object]:
        """Yield a ready pyHanko `Signer` (with its certificate and chain) for one signing run.

        Precondition: the provider's settings are complete.
        Side effects: may open a session (PKCS#11) or talk to a server (remote); everything is
        closed when the block ends.
        Raises `SigningUnavailable` when the key cannot be reached.
        """
        raise NotImplementedError
        yield  # a generator, for @contextmanager
