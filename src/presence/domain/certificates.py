"""Which X.509 authentication certificates an enterprise may register (channel management, the social
security's published rules).

A certificate is accepted when its key pair is RSA (2048, 3072 or 4096 bits) or EC (P-384 or P-521), it is
signed with SHA-256, SHA-384 or SHA-512, its key usage includes Digital Signature, and it is valid now.
Self-signed certificates are accepted, and so are certificates of a recognised authority: the chain is not
checked, the registration of the certificate itself is the trust decision.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ..i18n import gettext

RSA_KEY_SIZES = (2048, 3072, 4096)
EC_CURVES = {"secp384r1": "P-384", "secp521r1": "P-521"}
SIGNATURE_DIGESTS = ("sha256", "sha384", "sha512")

_DIGEST_NAMES = {"md5": "MD5", "sha1": "SHA-1", "sha224": "SHA-224", "sha256": "SHA-256", "sha384": "SHA-384",
                 "sha512": "SHA-512"}


class InvalidCertificate(ValueError):
    """Data that is not one X.509 certificate. `str()` is safe to show."""


def load_certificate(data: bytes) -> x509.Certificate:
    """One X.509 certificate, PEM (`-----BEGIN CERTIFICATE-----`) or DER."""
    if not data or not data.strip():
        raise InvalidCertificate(gettext("empty file: a PEM or DER X.509 certificate expected"))
    if b"PRIVATE KEY-----" in data:
        raise InvalidCertificate(gettext("the file holds a private key: upload the certificate only, and keep the key "
                                          "secret"))
    if b"-----BEGIN" in data:
        if data.count(b"-----BEGIN CERTIFICATE-----") > 1:
            raise InvalidCertificate(gettext("several certificates in the file: upload one certificate at a time"))
        try:
            return x509.load_pem_x509_certificate(data)
        except ValueError:
            raise InvalidCertificate(gettext("not a readable PEM X.509 certificate")) from None
    try:
        return x509.load_der_x509_certificate(data)
    except ValueError:
        raise InvalidCertificate(gettext("neither a PEM nor a DER X.509 certificate")) from None


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the certificate's DER encoding, lowercase hex (64 characters)."""
    return der_fingerprint(cert.public_bytes(serialization.Encoding.DER))


def der_fingerprint(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def to_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


class CertificateState(StrEnum):
    """Whether a registered certificate authenticates its holder at a given moment."""

    ACTIVE = "active"
    REVOKED = "revoked"
    NOT_YET_VALID = "not yet valid"
    EXPIRED = "expired"


def state_at(now: datetime, revoked_at: datetime | None, not_before: datetime,
             not_after: datetime) -> CertificateState:
    """A registered certificate is usable (`ACTIVE`) from its `not_before` to its `not_after`, both included,
    unless it was revoked."""
    if revoked_at is not None:
        return CertificateState.REVOKED
    if now < not_before:
        return CertificateState.NOT_YET_VALID
    if now > not_after:
        return CertificateState.EXPIRED
    return CertificateState.ACTIVE


def key_description(cert: x509.Certificate) -> str:
    """`RSA 2048`, `EC secp384r1`, ... for messages and listings."""
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA {key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}"
    return type(key).__name__.removesuffix("PublicKey").lstrip("_")


def _instant(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def check_certificate(cert: x509.Certificate, now: datetime) -> list[str]:
    """Every reason to refuse the certificate at `now` (an empty list: accepted)."""
    reasons = []

    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size not in RSA_KEY_SIZES:
            reasons.append(gettext("RSA key of %(bits)s bits: 2048, 3072 or 4096 required", bits=key.key_size))
    elif isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name not in EC_CURVES:
            reasons.append(gettext("EC curve %(curve)s: P-384 or P-521 required", curve=key.curve.name))
    else:
        reasons.append(gettext("%(key)s key: RSA (2048, 3072 or 4096 bits) or EC (P-384 or P-521) required",
                               key=key_description(cert)))

    try:
        digest = cert.signature_hash_algorithm
    except UnsupportedAlgorithm:
        digest = None
    if digest is None or digest.name not in SIGNATURE_DIGESTS:
        used = _DIGEST_NAMES.get(digest.name, digest.name.upper()) if digest else gettext("an unsupported algorithm")
        reasons.append(gettext("signed with %(digest)s: SHA-256, SHA-384 or SHA-512 required", digest=used))

    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        reasons.append(gettext("no key usage extension: Digital Signature required"))
    except ValueError:  # duplicate or malformed extensions
        reasons.append(gettext("malformed extensions"))
    else:
        if not usage.digital_signature:
            reasons.append(gettext("key usage without Digital Signature"))

    if now < cert.not_valid_before_utc:
        reasons.append(gettext("not valid before %(instant)s", instant=_instant(cert.not_valid_before_utc)))
    if now > cert.not_valid_after_utc:
        reasons.append(gettext("expired on %(instant)s", instant=_instant(cert.not_valid_after_utc)))
    return reasons
