"""The set-up commands of dev.py, as a developer or a benchmark script uses them."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_dev_postgres_stops_its_cluster_when_told_to(stop):
    from dev import postgres_bindir

    if postgres_bindir() is None:
        pytest.skip("PostgreSQL's server binaries are not on this machine")
    process = subprocess.Popen([sys.executable, str(ROOT / "dev.py"), "postgres"], stdout=subprocess.PIPE, text=True)
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("postgresql://"), url
        port = urlsplit(url).port
        assert _listening(port)
        process.send_signal(stop)
        assert process.wait(timeout=60) == 0
        deadline = time.monotonic() + 30
        while _listening(port) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _listening(port), "the cluster kept running after dev.py postgres was stopped"
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()
