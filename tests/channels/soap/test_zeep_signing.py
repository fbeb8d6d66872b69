"""Signing with zeep: the README's clients, run exactly as written against a real server (so the README cannot
rot), and what a request shaped by zeep's stock `BinarySignature` (no Timestamp) is told.

The server keeps real time here (the clients sign with `datetime.now()`), on the demo dataset, both engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import zeep
from cryptography.hazmat.primitives import serialization
from lxml import etree
from zeep import Plugin
from zeep.exceptions import Fault as ZeepFault

from presence.app import create_app
from presence.channels.http.ratelimit import Limits
from presence.clock import SystemClock
from presence.db.models import Registration
from presence.domain.visibility import Caller
from presence.services.access.certificates import register_certificate
from presence.services.runtime import Runtime
from presence.testing.wssecurity import make_certificate, pem, sign_envelope

from ...helpers import CONSTRUCTION_SITE, EMPLOYER, WORKER
from ..conftest import serving

README = Path(__file__).resolve().parents[3] / "README.md"
DEV_SERVER = "http://127.0.0.1:8000"
ITEM = {"INSS": WORKER, "CompanyID": int(EMPLOYER), "WorkPlaceId": CONSTRUCTION_SITE}


def zeep_blocks() -> list[str]:
    """The Python blocks of the README's "WS-Security with zeep" section, in order."""
    blocks: list[str] = []
    in_section, fence, keep = False, None, False
    for line in README.read_text(encoding="utf-8").splitlines(keepends=True):
        if fence is not None:  # inside a fenced block
            if line.startswith("```"):
                if keep:
                    blocks.append("".join(fence))
                fence = None
            else:
                fence.append(line)
        elif line.startswith("```"):
            fence, keep = [], in_section and line.strip() == "```python"
        elif line.startswith("#"):
            in_section = line.strip() == "#### WS-Security with zeep"
    return blocks


@pytest.fixture
def live(demo_db):
    """A registry on the demo dataset that keeps real time, served over HTTP: (runtime, base URL)."""
    runtime = Runtime(db=demo_db, clock=SystemClock())
    with serving(create_app(runtime, limits=Limits.none())) as url:
        yield runtime, url


def certificate_files(runtime, directory: Path, key_type: str) -> None:
    """client-key.pem and client-cert.pem in `directory`, the certificate registered for EMPLOYER."""
    key, cert = make_certificate(key_type, not_before=datetime.now(UTC) - timedelta(days=1))
    register_certificate(runtime, Caller.operator(), EMPLOYER, pem(cert), "README client")
    (directory / "client-key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (directory / "client-cert.pem").write_bytes(pem(cert))


@pytest.mark.parametrize("key_type", ["rsa", "ec"])
def test_the_readme_client_registers_a_presence(live, key_type, tmp_path, monkeypatch, capsys):
    runtime, url = live
    certificate_files(runtime, tmp_path, key_type)
    monkeypatch.chdir(tmp_path)
    client = zeep_blocks()[0]
    assert client.count(DEV_SERVER) == 1
    exec(compile(client.replace(DEV_SERVER, url), "README.md", "exec"), {"__name__": "__main__"})

    printed = capsys.readouterr().out.split()
    assert printed[1:] == ["SUCCESSFULLY", "REGISTERED"], printed
    with runtime.db.reading() as session:
        registration = session.get(Registration, int(printed[0]))
        assert registration is not None and registration.channel == "WS"


def test_the_readme_binary_signature_with_a_timestamp(live, tmp_path):
    pytest.importorskip("xmlsec", reason="zeep's BinarySignature needs xmlsec, not a test dependency")
    runtime, url = live
    certificate_files(runtime, tmp_path, "rsa")
    namespace = {"__name__": "__main__"}
    exec(compile(zeep_blocks()[1], "README.md", "exec"), namespace)
    signer = namespace["BinarySignatureWithTimestamp"](str(tmp_path / "client-key.pem"),
                                                       str(tmp_path / "client-cert.pem"))
    service = zeep.Client(f"{url}/PresenceRegistration/v1?wsdl", wsse=signer).service
    [answer] = service.registerPresences(PresenceRegistrationRequest=[
        ITEM])
    assert answer.PresenceRegistration.LastValidation.Status == "SUCCESSFULLY REGISTERED"


# --- what a request without a signed Timestamp is told ----------------------------------------------------

WSU_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
ADVICE = ("add a wsu:Timestamp (Created, Expires) to the wsse:Security header and sign it with the Body "
          "(zeep: see the presence README, \"WS-Security with zeep\")")


class BodyOnly(Plugin):
    """Signs the Body only, as zeep's stock BinarySignature does; `timestamp`: leave an unsigned Timestamp in the
    header (what comes of adding one after BinarySignature signed), else none at all (BinarySignature alone)."""

    def __init__(self, key, cert, timestamp: bool) -> None:
        self.key, self.cert, self.timestamp = key, cert, timestamp

    def egress(self, envelope, http_headers, operation, binding_options):
        signed = etree.fromstring(sign_envelope(envelope, self.key, self.cert, sign=("body",)))
        if not self.timestamp:
            timestamp = signed.find(f".//{{{WSU_NS}}}Timestamp")
            timestamp.getparent().remove(timestamp)
        return signed, http_headers


@pytest.mark.parametrize(("timestamp", "reason"), [
    (False, "no Timestamp in the Security header"),
    (True, "signature does not cover the Timestamp"),
])
def test_a_request_without_a_signed_timestamp_is_told_what_to_add(live, timestamp, reason):
    runtime, url = live
    key, cert = make_certificate(not_before=datetime.now(UTC) - timedelta(days=1))
    register_certificate(runtime, Caller.operator(), EMPLOYER, pem(cert), "body only")
    service = zeep.Client(f"{url}/PresenceRegistration/v1?wsdl", plugins=[BodyOnly(key, cert, timestamp)]).service
    with pytest.raises(ZeepFault) as refused:
        service.registerPresences(PresenceRegistrationRequest=[ITEM])
    assert refused.value.message == f"Not authenticated: {reason}: {ADVICE}"
    assert refused.value.detail.find(".//{http://socialsecurity.be/errors/v1}Code").text == "SOA-01001"


def test_zeeps_stock_binary_signature_is_told_to_add_a_timestamp(live, tmp_path):
    pytest.importorskip("xmlsec", reason="zeep's BinarySignature needs xmlsec, not a test dependency")
    from zeep.wsse.signature import BinarySignature

    class AnswersNotVerified(BinarySignature):
        def verify(self, envelope):  # else zeep hides the fault behind SignatureVerificationFailed
            return envelope

    runtime, url = live
    certificate_files(runtime, tmp_path, "rsa")
    signer = AnswersNotVerified(str(tmp_path / "client-key.pem"), str(tmp_path / "client-cert.pem"))
    service = zeep.Client(f"{url}/PresenceRegistration/v1?wsdl", wsse=signer).service
    with pytest.raises(ZeepFault) as refused:
        service.registerPresences(PresenceRegistrationRequest=[ITEM])
    assert refused.value.message == f"Not authenticated: no Timestamp in the Security header: {ADVICE}"
