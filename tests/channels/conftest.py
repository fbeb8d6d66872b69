"""A real HTTP server (uvicorn on a loopback port) serving the registry, for the channel tests."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager

import pytest
import uvicorn

from presence.app import create_app
from presence.channels.http.ratelimit import Limits


@contextmanager
def serving(app, port: int = 0):
    """The base URL of `app` served by uvicorn on a loopback port (`port`, or any free one), until the block
    ends."""
    # The socket is bound here and handed to uvicorn: a port merely found free and released could be
    # taken by another test's client connection before the server binds it (seen on CI).
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    port = listener.getsockname()[1]
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(10)
        listener.close()


@pytest.fixture
def server(runtime):
    """The base URL of the registry served over HTTP, on the demo dataset (both engines); no rate limits."""
    with serving(create_app(runtime, limits=Limits.none())) as url:
        yield url
