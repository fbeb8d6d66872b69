"""`presence gateway` as a site PC runs it: it says where its screen is, serves it on 127.0.0.1 only to pages of
this machine, and refuses a wrong start in one line with exit code 2."""

from __future__ import annotations

import os
import re
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from .test_cli import PRESENCE, free_port


def gateway(tmp_path, *args, env: dict | None = None):
    return subprocess.run([PRESENCE, "gateway", "--data", str(tmp_path / "kiosk"), *args], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "COLUMNS": "200", **(env or {})})


@pytest.mark.parametrize(("args", "says"), [
    (["--server", "ftp://registry.example"], "--server must be the registry's address"),
    (["--server", "http://registry.example"], "--server must use https"),
    (["--server", "https://registry.example", "--language", "es"], "--language must be fr, nl, de or en"),
])
def test_a_wrong_start_is_one_line_and_exit_2(tmp_path, args, says):
    result = gateway(tmp_path, *args, "--no-reader")
    assert result.returncode == 2 and says in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_without_pyscard_it_says_how_to_read_cards_or_to_go_without(tmp_path):
    hidden = tmp_path / "hidden" / "smartcard"  # pyscard as a PC without it has it: not importable
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text("raise ImportError('no pyscard on this PC')\n")
    result = gateway(tmp_path, "--server", "https://registry.example", env={"PYTHONPATH": str(hidden.parent)})
    assert result.returncode == 2 and "pip install 'presence[gateway]'" in result.stderr
    assert "--no-reader" in result.stderr


def test_it_serves_the_kiosk_screen_on_this_machine_only(tmp_path):
    port = free_port()
    kiosk = subprocess.Popen([PRESENCE, "gateway", "--server", "https://registry.example", "--data",
                              str(tmp_path / "kiosk"), "--port", str(port), "--no-reader", "--language", "en"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first_line = kiosk.stdout.readline()
        assert re.search(rf"screen is on http://127\.0\.0\.1:{port}/ \(not set up yet", first_line), first_line
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as answer:
                    page = answer.read().decode()
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert "Set up this kiosk" in page and "https://registry.example/enterprise/kiosks/new?key=" in page
        elsewhere = urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"Host": "attacker.example"})
        with pytest.raises(urllib.error.HTTPError) as refused:  # a name resolved to this machine by a site
            urllib.request.urlopen(elsewhere, timeout=5)
        assert refused.value.code == 421
        refused.value.close()
        for headers in ({"Origin": "https://attacker.example"}, {"Sec-Fetch-Site": "cross-site"}):
            form = urllib.request.Request(f"http://127.0.0.1:{port}/number", data=b"number=78012340961",
                                          headers=headers, method="POST")
            with pytest.raises(urllib.error.HTTPError) as refused:  # another page in the browser, posting
                urllib.request.urlopen(form, timeout=5)
            assert refused.value.code == 403
            refused.value.close()
        assert (tmp_path / "kiosk" / "kiosk-key.pem").stat().st_mode & 0o077 == 0
    finally:
        kiosk.terminate()
        kiosk.wait(timeout=30)
        kiosk.stdout.close()
