"""A real HTTP server (uvicorn on a loopback port) serving the registry, for the channel tests."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import uvicorn

from presence.api.app import create_app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(registry):
    """The base URL of the registry served over HTTP, on the demo dataset (both engines)."""
    port = _free_port()
    config = uvicorn.Config(create_app(registry), host="127.0.0.1", port=port, log_config=None,
                            access_log=False, lifespan="off")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(10)
