"""The `presence` command, run as an operator runs it: a real process, a real database, real HTTP."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select

from presence.db.models import Registration
from presence.sources.models import DimonaPeriod

PRESENCE = str(Path(sys.executable).parent / "presence")


def run(db_url, *args, check=True, timeout=300):
    env = {**os.environ, "PRESENCE_DATABASE_URL": db_url, "COLUMNS": "200"}
    result = subprocess.run([PRESENCE, *args], capture_output=True, text=True, env=env, timeout=timeout)
    if check and result.returncode != 0:
        pytest.fail(f"presence {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unmigrated_database_is_refused_clearly(tmp_path):
    result = run(f"sqlite:///{tmp_path}/new.db", "search", check=False)
    assert result.returncode == 2
    assert "presence db upgrade" in result.stderr


def test_upgrade_then_demo_then_search_and_export(db, tmp_path):
    assert "schema version" in run(db.url, "db", "upgrade").stdout
    loaded = run(db.url, "demo", "--size", "small", "--today", "2026-03-03")
    assert "person" in loaded.stdout
    assert "already loaded" in run(db.url, "demo", "--if-empty").stdout
    assert run(db.url, "demo", check=False).returncode == 1

    result = run(db.url, "search", "--from", "2026-03-03", "--format", "json")
    assert json.loads(result.stdout) == {"total": 0, "items": []}
    exported = tmp_path / "out.csv"
    run(db.url, "export", "--from", "2026-03-01", "--to", "2026-03-31", "-o", str(exported))
    assert exported.read_text().startswith("id,status,remarks,")

    bad = run(db.url, "search", "--inss", "05011512379", check=False)
    assert bad.returncode == 2 and "INSS: wrong check digits" in bad.stderr
    assert "05011512379" not in bad.stderr


def test_import_reports_every_bad_row_and_imports_nothing(db, tmp_path):
    rows = tmp_path / "dimona.csv"
    rows.write_text(
        "dimona_id,inss,employer,starts_on,ends_on,worker_type\n"
        "D-1,78012340961,0448181966,2026-01-01,,OTH\n"
        "D-2,05011512379,0448181966,2026-01-01,,OTH\n"
        "D-3,78012340961,0448181966,2026-02-30,,OTH\n"
    )
    result = run(db.url, "import", "dimona", str(rows), check=False)
    assert result.returncode == 1
    assert "line 3" in result.stderr and "line 4" in result.stderr
    assert "05011512379" not in result.stderr + result.stdout
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(DimonaPeriod)) == 0

    good = tmp_path / "good.csv"
    good.write_text("dimona_id,inss,employer,starts_on,ends_on,worker_type\n"
                    "D-1,78012340961,0448181966,2026-01-01,,OTH\n")
    assert "1 row(s) imported" in run(db.url, "import", "dimona", str(good)).stdout
    assert run(db.url, "import", "nonsense", str(good), check=False).returncode == 2


def test_serve_prints_where_it_listens_and_answers(db):
    port = free_port()
    env = {**os.environ, "PRESENCE_DATABASE_URL": db.url}
    server = subprocess.Popen([PRESENCE, "serve", "--port", str(port)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, env=env)
    try:
        first_line = server.stdout.readline()
        assert re.search(rf"listening on http://127\.0\.0\.1:{port}", first_line), first_line
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                    health = json.load(response)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert health["status"] == "ok"
        assert health["database"] == db.engine.dialect.name
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stdout.close()
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Registration)) == 0
