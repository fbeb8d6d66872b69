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

from presence.clock import SystemClock
from presence.domain.statuses import Validity
from presence.services.consulting import get_presence
from presence.services.context import Registry
from presence.sources.models import DimonaPeriod

from .helpers import EMPLOYER_ACCOUNT, employee_today, register_one

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


def test_serve_prints_where_it_listens_answers_and_checks_within_seconds(demo_db):
    """The embedded start: one process serves HTTP and checks registrations (any process may register)."""
    db = demo_db
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

        registry = Registry(db=db, clock=SystemClock())
        presence_id = register_one(registry, employee_today(registration_date=None))
        deadline = time.monotonic() + 30  # "within seconds"; generous for a loaded CI machine
        while get_presence(registry, EMPLOYER_ACCOUNT, presence_id).validity is Validity.PENDING:
            assert time.monotonic() < deadline, "the in-process worker did not check the registration"
            time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stdout.close()


def test_worker_until_idle_checks_what_is_queued(demo_db):
    registry = Registry(db=demo_db, clock=SystemClock())
    presence_id = register_one(registry, employee_today(registration_date=None))
    result = run(demo_db.url, "worker", "--until-idle")
    assert "1 job(s) handled" in result.stdout
    assert get_presence(registry, EMPLOYER_ACCOUNT, presence_id).validity is Validity.VALID
    status = run(demo_db.url, "jobs", "status").stdout
    assert re.search(r"done\s+1\b", status) and re.search(r"dead\s+0\b", status)
