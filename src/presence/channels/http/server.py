"""How `presence serve` runs uvicorn: httptools and uvloop, and TCP_NODELAY on every connection.

With `--workers N > 1`, uvicorn's supervisor binds the listening socket itself with protocol 0; the accepted
sockets inherit it, and asyncio sets TCP_NODELAY only on sockets whose protocol is TCP. Nagle's algorithm then
holds each answer's body (written after its head) until the client's delayed ACK: about 40 ms on every
keep-alive request after the first, on Linux (uvicorn issue Kludex/uvicorn#3149). Our protocol sets it.
"""

from __future__ import annotations

import socket

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

PROTOCOL = "presence.channels.http.server:NoDelayHttpProtocol"


class NoDelayHttpProtocol(HttpToolsProtocol):
    def connection_made(self, transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


def check_port(host: str, port: int) -> None:
    """Bind the address as uvicorn will (SO_REUSEADDR), then let it go: `OSError` when it is taken or not this
    machine's, before anyone is told the registry listens there."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


def run(app, *, host: str, port: int, workers: int = 1, factory: bool = False) -> None:
    """Serve `app` (an application, or with `workers` > 1 the import string of a factory) until stopped."""
    uvicorn.run(app, host=host, port=port, workers=workers if workers > 1 else None, factory=factory,
                http=PROTOCOL, loop="uvloop", log_config=None, access_log=False)
