"""A WS-Security signer, for the tests and the benchmarks: signs SOAP requests as integrators' stacks (WSS4J,
.NET) do.

    <soapenv:Header>
      <wsse:Security soapenv:mustUnderstand="1">
        <wsse:BinarySecurityToken EncodingType="...#Base64Binary" ValueType="...#X509v3" wsu:Id="X509-...">
        <wsu:Timestamp wsu:Id="TS-..."><wsu:Created/><wsu:Expires/></wsu:Timestamp>
        <ds:Signature Id="SIG-...">
          <ds:SignedInfo> exclusive c14n, RSA-SHA256 (or -SHA1...), a Reference to #TS-... and one to #id-...,
                          each with an exclusive c14n transform
          <ds:SignatureValue/>
          <ds:KeyInfo><wsse:SecurityTokenReference><wsse:Reference URI="#X509-..." ValueType="...#X509v3"/>
    <soapenv:Body wsu:Id="id-...">

`make_certificate` makes self-signed certificates of every kind the registration rules accept or refuse, and
`sign_envelope` signs an envelope (tests/channels/soap/zeep_plugin.py makes it a zeep plugin).
"""

from __future__ import annotations

import uuid
from base64 import b64encode
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import CanonicalizationMethod, SignatureConstructionMethod, XMLSigner
from signxml.signer import SignatureReference

from presence.auth.wssecurity import BASE64_BINARY, X509V3
from presence.auth.xml_namespaces import DS as DS_NS
from presence.auth.xml_namespaces import WSSE as WSSE_NS
from presence.auth.xml_namespaces import WSU as WSU_NS

SHA1, SHA256, SHA384, SHA512 = hashes.SHA1(), hashes.SHA256(), hashes.SHA384(), hashes.SHA512()
EXC_C14N = CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0
CURVES = {"secp256r1": ec.SECP256R1, "secp384r1": ec.SECP384R1, "secp521r1": ec.SECP521R1,
          "p-256": ec.SECP256R1, "p-384": ec.SECP384R1, "p-521": ec.SECP521R1}

# DER AlgorithmIdentifiers of the same length: a SHA-256 RSA certificate becomes a SHA-1 one by swapping them.
_SHA256_RSA = bytes.fromhex("300d06092a864886f70d01010b0500")
_SHA1_RSA = bytes.fromhex("300d06092a864886f70d0101050500")


def make_certificate(key_type: str = "rsa", bits: int = 2048, digest: hashes.HashAlgorithm | str = SHA256,
                     days: int = 365, key_usage_digital_signature: bool = True, curve: str | None = None, *,
                     not_before: datetime | None = None, key_usage: bool = True,
                     common_name: str = "presence test client"):
    """A self-signed certificate and its private key: `(private_key, cert)`.

    key_type "rsa" (of `bits`) or "ec" (on `curve`, default P-384); valid from `not_before` (default: a day ago)
    for `days` days; `key_usage=False` leaves out the key usage extension. `digest` is a hash (SHA256...) or its
    name ("sha1"...); SHA-1, which `cryptography` no longer signs certificates with, is produced by hand, for RSA
    keys.
    """
    if isinstance(digest, str):
        digest = {"sha1": SHA1, "sha256": SHA256, "sha384": SHA384, "sha512": SHA512}[digest.lower()]
    if key_type == "rsa":
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    elif key_type == "ec":
        key = ec.generate_private_key(CURVES[(curve or "secp384r1").lower()]())
    else:
        raise ValueError(f"key_type: rsa or ec, not {key_type!r}")
    start = not_before or datetime.now(UTC) - timedelta(days=1)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Presence tests")])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(start)
               .not_valid_after(start + timedelta(days=days)))
    if key_usage:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=key_usage_digital_signature, content_commitment=False,
            key_encipherment=key_type == "rsa", data_encipherment=False, key_agreement=False, key_cert_sign=False,
            crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
    if isinstance(digest, hashes.SHA1):
        if key_type != "rsa":
            raise ValueError("SHA-1 certificates: RSA keys only")
        return key, _resign_sha1(builder.sign(key, SHA256), key)
    return key, builder.sign(key, digest)


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(encoded)]) + encoded


def _resign_sha1(cert: x509.Certificate, key: rsa.RSAPrivateKey) -> x509.Certificate:
    tbs = cert.tbs_certificate_bytes
    assert tbs.count(_SHA256_RSA) == 1
    tbs = tbs.replace(_SHA256_RSA, _SHA1_RSA)
    signature = key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    bit_string = b"\x03" + _der_length(len(signature) + 1) + b"\x00" + signature
    content = tbs + _SHA1_RSA + bit_string
    return x509.load_der_x509_certificate(b"\x30" + _der_length(len(content)) + content)


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


class _Signer(XMLSigner):
    """signxml's signer, allowed to produce the SHA-1 signatures older clients still send."""

    def check_deprecated_methods(self):
        pass


def _xsd_instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _q(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def sign_envelope(envelope, private_key, cert: x509.Certificate, signature_method: str = "rsa-sha256",
                  digest: str = "sha256", created: datetime | None = None, expires: datetime | None = None, *,
                  sign: Iterable[str] = ("timestamp", "body"), inclusive_namespaces: bool = False,
                  with_expires: bool = True) -> bytes:
    """The envelope (bytes, str or lxml element, left untouched) with a WS-Security header, signed.

    `created` defaults to now, `expires` to five minutes after `created` (`with_expires=False`: no Expires,
    which is optional). `sign` chooses what the signature references: "timestamp", "body", or the tag of a SOAP
    header block (WCF signs the WS-Addressing headers). `inclusive_namespaces` adds the
    `ec:InclusiveNamespaces PrefixList` WSS4J writes ("wsse soapenv" for SignedInfo and the Timestamp, "soapenv"
    for the Body).
    """
    if isinstance(envelope, (bytes, str)):
        original = etree.fromstring(envelope.encode() if isinstance(envelope, str) else envelope)
    else:
        original = etree.fromstring(etree.tostring(envelope))
    # Declare wsse and wsu on the Envelope (WSS4J declares them where first used; either is fine).
    root = etree.Element(original.tag, attrib=dict(original.attrib),
                         nsmap={**original.nsmap, "wsse": WSSE_NS, "wsu": WSU_NS})
    root.text = original.text
    for child in list(original):
        root.append(child)
    soap = etree.QName(root).namespace

    header = root.find(_q(soap, "Header"))
    if header is None:
        header = etree.Element(_q(soap, "Header"))
        root.insert(0, header)
    body = root.find(_q(soap, "Body"))
    security = etree.Element(_q(WSSE_NS, "Security"), {_q(soap, "mustUnderstand"): "1"})
    header.insert(0, security)

    token_id, timestamp_id = f"X509-{uuid.uuid4().hex}", f"TS-{uuid.uuid4().hex}"
    body_id = body.get(_q(WSU_NS, "Id")) or f"id-{uuid.uuid4().hex}"
    body.set(_q(WSU_NS, "Id"), body_id)

    token = etree.SubElement(security, _q(WSSE_NS, "BinarySecurityToken"),
                             {"EncodingType": BASE64_BINARY, "ValueType": X509V3, _q(WSU_NS, "Id"): token_id})
    token.text = b64encode(der(cert)).decode()
    created = created or datetime.now(UTC)
    expires = expires or created + timedelta(minutes=5)
    timestamp = etree.SubElement(security, _q(WSU_NS, "Timestamp"), {_q(WSU_NS, "Id"): timestamp_id})
    etree.SubElement(timestamp, _q(WSU_NS, "Created")).text = _xsd_instant(created)
    if with_expires:
        etree.SubElement(timestamp, _q(WSU_NS, "Expires")).text = _xsd_instant(expires)

    key_info = etree.Element(_q(DS_NS, "KeyInfo"), nsmap={"ds": DS_NS})
    etree.SubElement(etree.SubElement(key_info, _q(WSSE_NS, "SecurityTokenReference"),
                                      nsmap={"wsse": WSSE_NS}),
                     _q(WSSE_NS, "Reference"), {"URI": f"#{token_id}", "ValueType": X509V3})
    ids = {"timestamp": timestamp_id, "body": body_id}
    for part in sign:
        if part.startswith("{"):  # a header block (say, WS-Addressing `To`), given by its tag
            block = header.find(part)
            ids[part] = block.get(_q(WSU_NS, "Id")) or f"id-{uuid.uuid4().hex}"
            block.set(_q(WSU_NS, "Id"), ids[part])
    prefixes = {"timestamp": ["wsse", "soapenv"], "body": ["soapenv"]} if inclusive_namespaces else {}
    references = [SignatureReference(URI=f"#{ids[part]}", c14n_method=EXC_C14N,
                                     inclusive_ns_prefixes=prefixes.get(part) or None) for part in sign]
    signer = _Signer(method=SignatureConstructionMethod.detached, signature_algorithm=signature_method,
                     digest_algorithm=digest, c14n_algorithm=EXC_C14N)
    if inclusive_namespaces:
        # signxml canonicalises SignedInfo outside the envelope: declare the included prefixes on the
        # Signature itself, so its canonical form is the same there and in place.
        signer.namespaces = {"ds": DS_NS, "wsse": WSSE_NS, "soapenv": soap}
    signature = signer.sign(root, key=private_key, reference_uri=references, key_info=key_info,
                            inclusive_ns_prefixes=["wsse", "soapenv"] if inclusive_namespaces else None)
    signature.set("Id", f"SIG-{uuid.uuid4().hex}")
    security.append(signature)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")
