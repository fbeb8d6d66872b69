"""The tests' zeep plugin: signs every outgoing request with `presence.testing.wssecurity`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from cryptography import x509
from lxml import etree
from zeep import Plugin

from presence.testing.wssecurity import sign_envelope


class WSSecuritySigner(Plugin):
    """A zeep plugin signing every outgoing request: `Client(wsdl, plugins=[WSSecuritySigner(key, cert)])`.

    `clock` (a callable giving the current instant) lets tests sign with their frozen time.
    """

    def __init__(self, private_key, cert: x509.Certificate, signature_method: str = "rsa-sha256",
                 digest: str = "sha256", clock: Callable[[], datetime] | None = None,
                 ttl: timedelta = timedelta(minutes=5)) -> None:
        self.private_key = private_key
        self.cert = cert
        self.signature_method = signature_method
        self.digest = digest
        self.clock = clock or (lambda: datetime.now(UTC))
        self.ttl = ttl

    def egress(self, envelope, http_headers, operation, binding_options):
        created = self.clock()
        signed = sign_envelope(envelope, self.private_key, self.cert, self.signature_method, self.digest,
                               created=created, expires=created + self.ttl)
        return etree.fromstring(signed), http_headers
