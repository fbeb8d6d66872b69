"""`presence gateway`: the kiosk program for the site PC (its screen on 127.0.0.1, the eID card reader, the queue
of registrations that wait for the registry)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer

from .common import app, fail, first_line


def default_folder() -> Path:
    return Path.home() / ".local" / "share" / "presence-gateway"


@app.command()
def gateway(
    server: Annotated[str, typer.Option(help="The registry's address, for example https://registry.example.")],
    data: Annotated[Path, typer.Option(help="Where the kiosk keeps its key, its set-up and its queue.")] = None,
    port: Annotated[int, typer.Option(help="The port of the kiosk's screen on 127.0.0.1.")] = 8470,
    language: Annotated[str, typer.Option(help="The screen's language between people: fr, nl, de or en.")] = "fr",
    reader: Annotated[str, typer.Option(help="Use the PC/SC reader whose name contains this (default: the "
                                             "first one).")] = "",
    no_reader: Annotated[bool, typer.Option("--no-reader", help="No eID card reader: numbers only.")] = False,
    send_every: Annotated[float, typer.Option(min=1, help="Seconds between tries to send what waits.")] = 15.0,
) -> None:
    """Run a gateway kiosk on the site PC: open http://127.0.0.1:PORT/ in the browser's kiosk mode."""
    from .. import i18n
    from ..channels.http import server as http_server
    from ..clock import SystemClock
    from ..gateway.cards import CardSlot, PcscReader
    from ..gateway.kiosk import Kiosk, Sender
    from ..gateway.screens import create_kiosk_app
    from ..gateway.store import KioskStore

    parts = urlsplit(server)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise fail("--server must be the registry's address, such as https://registry.example", 2)
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost"):
        raise fail("--server must use https (plain http only for a registry on this machine)", 2)
    if i18n.supported(language) != language:
        raise fail("--language must be fr, nl, de or en", 2)
    try:
        card_reader = None if no_reader else PcscReader(reader)
    except RuntimeError as missing:
        raise fail(f"{missing}; or run with --no-reader", 2) from None
    try:
        http_server.check_port("127.0.0.1", port)
    except OSError as error:
        raise fail(f"cannot listen on 127.0.0.1:{port}: {error.strerror or first_line(error)}", 2) from None
    store = KioskStore(data or default_folder())
    enrolment = store.enrolment()
    if enrolment is not None and enrolment.server != server.rstrip("/"):
        raise fail(f"this kiosk is set up with the registry {enrolment.server}; its data folder is {store.folder}", 2)
    kiosk = Kiosk(store, server, SystemClock())
    slot = CardSlot(card_reader)
    sender = Sender(kiosk, interval=send_every)
    slot.start()
    sender.start()
    print(f"presence gateway: the kiosk's screen is on http://127.0.0.1:{port}/ "
          f"({'set up for workplace ' + enrolment.workplace if enrolment else 'not set up yet'}; "
          f"registry {server}; data in {store.folder})", flush=True)
    try:
        http_server.run(create_kiosk_app(kiosk, slot, language), host="127.0.0.1", port=port)
    finally:
        sender.stop()
        slot.stop()
        store.close()
