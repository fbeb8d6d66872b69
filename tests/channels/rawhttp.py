"""Requests written by hand on a socket: a head that announces more body than is sent, a client that hangs up."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit


def connect(server: str, source: str | None = None) -> socket.socket:
    url = urlsplit(server)
    connection = socket.create_connection((url.hostname, url.port), timeout=10,
                                          source_address=(source, 0) if source else None)
    return connection


def head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: localhost", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    return "\r\n".join(lines).encode()


def answer_before_the_body(server: str, method: str, path: str, headers: dict[str, str],
                           sent: bytes = b"") -> tuple[int, bytes]:
    """Announce a body (`Content-Length` in `headers`) but send only `sent` of it, then wait for the answer: a
    server that read the body first would wait for the rest and time out (socket.timeout)."""
    with connect(server) as connection:
        connection.sendall(head(method, path, headers) + sent)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = connection.recv(65536)
            if not chunk:
                break
            received += chunk
        status_line, _, rest = received.partition(b"\r\n")
        length = 0
        for line in rest.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        body = rest.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in rest else b""
        while len(body) < length:
            chunk = connection.recv(65536)
            if not chunk:
                break
            body += chunk
        return int(status_line.split()[1]), body


def hang_up_mid_body(server: str, method: str, path: str, headers: dict[str, str], sent: bytes) -> None:
    """Announce a longer body than `sent`, send `sent`, and close the connection."""
    with connect(server) as connection:
        connection.sendall(head(method, path, headers) + sent)
