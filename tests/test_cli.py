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
from presence.services.registrations.consulting import get_presence
from presence.services.runtime import Runtime
from presence.sources.models import DimonaPeriod

from .conftest import TODAY
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


def wait_for_health(port: int, seconds: float = 30) -> dict:
    """`/health` of the server on this port, once it answers (within `seconds`)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                return json.load(response)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


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
        health = wait_for_health(port)
        assert health["status"] == "ok"
        assert health["database"] == db.engine.dialect.name

        runtime = Runtime(db=db, clock=SystemClock())
        presence_id = register_one(runtime, employee_today(registration_date=None))
        deadline = time.monotonic() + 30  # "within seconds"; generous for a loaded CI machine
        while get_presence(runtime, EMPLOYER_ACCOUNT, presence_id).validity is Validity.PENDING:
            assert time.monotonic() < deadline, "the in-process worker did not check the registration"
            time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stdout.close()


def test_worker_until_idle_checks_what_is_queued(demo_db):
    runtime = Runtime(db=demo_db, clock=SystemClock())
    presence_id = register_one(runtime, employee_today(registration_date=None))
    result = run(demo_db.url, "worker", "--until-idle")
    assert "1 job(s) handled" in result.stdout
    assert get_presence(runtime, EMPLOYER_ACCOUNT, presence_id).validity is Validity.VALID
    status = run(demo_db.url, "jobs", "status").stdout
    assert re.search(r"done\s+1\b", status) and re.search(r"dead\s+0\b", status)
    assert "no job waiting" in status


def test_jobs_status_shows_how_long_the_oldest_ready_job_has_waited(demo_db):
    """The check lag an operator watches: registrations wait that long for their remarks."""
    from datetime import timedelta

    from presence.clock import FrozenClock

    runtime = Runtime(db=demo_db, clock=FrozenClock(SystemClock().now() - timedelta(seconds=90)))
    register_one(runtime, employee_today(registration_date=None))
    status = run(demo_db.url, "jobs", "status").stdout
    assert re.search(r"ready\s+1\b", status)
    waited = float(re.search(r"oldest ready job waiting for ([0-9,.]+) s", status).group(1).replace(",", ""))
    assert 90 <= waited < 600


# --- what a user sees on an 80-column terminal, and when he gets something wrong --------------------------

def run_80(db_url, *args, check=True):
    env = {**os.environ, "PRESENCE_DATABASE_URL": db_url, "COLUMNS": "80"}
    result = subprocess.run([PRESENCE, *args], capture_output=True, text=True, env=env, timeout=300)
    if check and result.returncode != 0:
        pytest.fail(f"presence {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def assert_fits_80(output: str) -> None:
    for line in output.splitlines():
        assert len(line) <= 80 and "…" not in line, line


def command_paths(command=None, path=()):
    """Every command of `presence`, as the words typed before --help."""
    from typer.main import get_command

    from presence.cli import app

    command = command or get_command(app)
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from command_paths(sub, (*path, name))


def test_every_help_fits_80_columns_whole(tmp_path):
    for path in command_paths():
        result = run_80(f"sqlite:///{tmp_path}/none.db", *path, "--help")
        assert_fits_80(result.stdout)
    create = run_80(f"sqlite:///{tmp_path}/none.db", "accounts", "create", "--help").stdout
    assert "scope:check-in-and-out-work-rest:professional" in create and "DE800010107" in create


def test_every_table_fits_80_columns_and_shows_identifiers_whole(demo_db, tmp_path):
    from presence.domain.visibility import Caller
    from presence.services.access.accounts import create_account
    from presence.sources import simulation
    from presence.testing.wssecurity import make_certificate, pem

    runtime = Runtime(db=demo_db, clock=SystemClock())
    for enterprise in ("0448181966", "DE800010107"):
        create_account(runtime, Caller.operator(), enterprise, "time clock of a rather long name",
                       pem(make_certificate()[1]), "the badge system at the entrance", ["scope:checkinatwork-soap",
                       "scope:check-in-and-out-work-rest:professional"])
    scenario = next(s for s in simulation.scenarios(TODAY) if s.foreign_vat)
    register_one(runtime, employee_today(registration_date=None))
    register_one(runtime, employee_today(registration_date=None, inss=scenario.inss, enterprise_number=None,
                                          foreign_vat=scenario.foreign_vat, workplace=scenario.workplace))

    searched = run_80(demo_db.url, "search").stdout
    assert_fits_80(searched)
    assert {"0448181966", scenario.foreign_vat, scenario.workplace, "1Y1000003EQCZ", "SUCCESSFULLY"} <= set(
        searched.split())
    certificates = run_80(demo_db.url, "certificates", "list").stdout
    assert_fits_80(certificates)
    assert {"0448181966", "DE800010107", "active"} <= set(certificates.split())
    accounts = run_80(demo_db.url, "accounts", "list").stdout
    assert_fits_80(accounts)
    assert {"self_service_expeditor_1", "self_service_expeditor_2", "DE800010107"} <= set(accounts.split())
    assert_fits_80(run_80(demo_db.url, "scenarios").stdout)
    assert_fits_80(run_80(demo_db.url, "jobs", "status").stdout)

    # The fingerprint's start, as listed, revokes; --wide shows it whole.
    start = certificates.splitlines()[3].split()[0]
    [whole] = [word for word in run_80(demo_db.url, "certificates", "list", "--wide").stdout.split()
               if word.startswith(start)]
    assert len(whole) == 64
    assert whole in run_80(demo_db.url, "certificates", "revoke", start).stdout


@pytest.mark.parametrize(("args", "code", "says"), [
    (["export", "-o", "/missing/directory/x.csv"], 2, "cannot write /missing/directory/x.csv"),
    (["import", "people", "/missing/people.csv"], 2, "does not exist"),
    (["certificates", "add", "--enterprise", "0448181966", "--file", "/"], 2, "is a directory"),
    (["search", "--bogus"], 2, "No such option: --bogus"),
    (["nonsense"], 2, "No such command"),
    (["search", "--limit", "many"], 2, "--limit"),
    (["scenarios", "--today", "someday"], 2, "--today: a date as YYYY-MM-DD"),
    (["search", "--from", "2026-02-30"], 2, "--from/--to"),
    (["certificates", "revoke", "0123456789abcdef"], 1, "0 certificates have a fingerprint starting"),
    (["accounts", "revoke", "self_service_expeditor_9"], 1, "no active web-service account"),
])
def test_a_user_error_is_one_line_and_the_readme_s_exit_code(db, args, code, says):
    result = run_80(db.url, *args, check=False)
    assert (result.returncode, result.stdout) == (code, "")
    [line] = result.stderr.splitlines()
    assert line.startswith("error: ") and says in line


@pytest.mark.parametrize("url", ["postgresql://nobody@127.0.0.1:1/nothing", "nonsense://"])
def test_an_unusable_database_is_one_line_and_exit_2(url):
    for args in (["search"], ["db", "current"], ["db", "upgrade"], ["accounts", "list"]):
        result = run_80(url, *args, check=False)
        assert result.returncode == 2, (args, result.stderr)
        [line] = result.stderr.splitlines()
        assert line.startswith("error: ") and "database" in line


def test_serve_on_a_busy_port_says_so_before_anything_else(db):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run(db.url, "db", "upgrade")
        result = run_80(db.url, "serve", "--port", str(port), check=False)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"error: cannot listen on 127.0.0.1:{port}: Address already in use\n"


def test_scenarios_show_the_cleaning_workplace_and_its_remarks_within_80_columns(tmp_path):
    shown = run_80(f"sqlite:///{tmp_path}/none.db", "scenarios").stdout
    assert_fits_80(shown)
    text = " ".join(shown.split())
    assert "workplace 1Y1003SQ5VSSZ, Rue de la Loi 1, 1000 Bruxelles, at latitude 50.8467, longitude 4.3525" in text
    for remark, register in (("CAW_18", "out"), ("CAW_19", "in then in"), ("none", "in then out")):
        assert re.search(rf"^ {remark} .* {register} +\d{{11}} +0448181966 *$", shown, re.MULTILINE), remark
    assert "its remark comes from the asynchronous check" in text


def test_purge_says_what_it_dropped(demo_db):
    """Registrations made 8 years ago go; on PostgreSQL their month's partition is dropped whole, and said."""
    from datetime import UTC, datetime

    from presence.clock import FrozenClock

    then = Runtime(db=demo_db, clock=FrozenClock(datetime(2018, 6, 12, 9, tzinfo=UTC)))
    register_one(then, employee_today(registration_date=None))
    output = run(demo_db.url, "purge").stdout
    assert "purged: 1 registration(s) dated before" in output
    if demo_db.is_postgresql:
        assert "months dropped whole: 2018-06" in output
    else:
        assert "months dropped" not in output
