"""The kiosk's card reader through the real PC/SC stack: Debian's pcscd with vsmartcard's virtual reader (vpcd),
pyscard, and a virtual Belgian eID that speaks vpcd's protocol and answers the card's APDUs. Inserted, it is read
(the identity file only); pulled out, it is forgotten. `python3 dev.py test` installs what this needs; without
it the test skips, loudly, except under CI=true, where it fails."""

from __future__ import annotations

import importlib.util
import shutil
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path

import pytest

from presence.gateway.eid import IDENTITY_FILE

from ..conftest import IN_CI
from .cards import NATIONAL_NUMBER, FakeCard, FakeReader, identity_file

VPCD_PORT = 35963  # vpcd's first slot (/etc/reader.conf.d/vpcd: CHANNELID 0x8C7B)
READER_NAME = "Virtual PCD"
VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"CI: the card-reader test cannot run: {reason}")
    pytest.skip(f"card-reader test SKIPPED: {reason}")


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def pcscd():
    """pcscd with the virtual reader: the one running, or one started for these tests."""
    if importlib.util.find_spec("smartcard") is None:
        _unavailable("pyscard is not installed (python3 dev.py test installs it with Debian's pcsc-lite)")
    if not shutil.which("pcscd", path="/usr/sbin:/usr/bin") or not VPCD_DRIVER.exists():
        _unavailable("pcscd and vsmartcard-vpcd are not installed (apt-get install pcscd vsmartcard-vpcd)")
    started = None
    if not _listening(VPCD_PORT):
        started = subprocess.Popen([shutil.which("pcscd", path="/usr/sbin:/usr/bin"), "--foreground"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while not _listening(VPCD_PORT):
            if started.poll() is not None or time.monotonic() > deadline:
                _unavailable(f"pcscd did not start, or its virtual reader does not listen on port {VPCD_PORT} "
                             "(pcscd runs as root)")
            time.sleep(0.1)
    yield
    if started is not None:
        started.terminate()
        started.wait(10)


class VirtualEid:
    """A Belgian eID in vpcd's virtual reader: vpcd's protocol is a 2-byte length and a message, either one
    byte (0 power off, 1 power on, 2 reset, 4 the ATR, please) or an APDU, answered with the card's response."""

    def __init__(self, card: FakeCard) -> None:
        self.card = card
        self.socket = socket.create_connection(("127.0.0.1", VPCD_PORT))
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _receive(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.socket.recv(size - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def _send(self, payload: bytes) -> None:
        self.socket.sendall(struct.pack(">H", len(payload)) + payload)

    def _serve(self) -> None:
        try:
            while True:
                (size,) = struct.unpack(">H", self._receive(2))
                message = self._receive(size)
                if size == 1:
                    if message[0] == 4:
                        self._send(FakeReader.ATR)
                    continue
                data, sw1, sw2 = self.card.transmit(list(message))
                self._send(bytes(data) + bytes([sw1, sw2]))
        except (EOFError, OSError):
            return

    def pull(self) -> None:
        self.socket.close()
        self.thread.join(5)


def wait_for(condition, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_an_eid_in_a_pcsc_reader_is_read_and_forgotten_when_pulled_out(pcscd):
    from presence.gateway.cards import CardSlot, PcscReader

    slot = CardSlot(PcscReader(READER_NAME))
    slot.poll()
    assert not slot.present and slot.take() is None
    address, photo = (0x3F, 0x00, 0xDF, 0x01, 0x40, 0x33), (0x3F, 0x00, 0xDF, 0x01, 0x40, 0x35)
    card = FakeCard({IDENTITY_FILE: identity_file(first_names="Jan Pieter", surname="Janssens"),
                     address: b"an address", photo: b"a photo"})
    virtual = VirtualEid(card)
    try:
        assert wait_for(lambda: (slot.poll(), slot.present)[1]), "pcscd never saw the virtual card"
        holder = slot.take()
        assert (holder.national_number, holder.first_names, holder.surname) == (NATIONAL_NUMBER, "Jan Pieter",
                                                                                "Janssens")
        assert slot.take() is None  # taken once
        selected = {tuple(apdu[5:]) for apdu in card.sent if apdu[:2] == [0x00, 0xA4]}
        assert selected == {IDENTITY_FILE}  # neither the address nor the photo
    finally:
        virtual.pull()
    assert wait_for(lambda: (slot.poll(), not slot.present)[1]), "the pulled card is still seen"
