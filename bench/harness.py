"""What the benchmarks share: the backends they run on, a server process to measure, where its CPU and connections
go, a profiler, and the table they print. Importing it puts the repository root and src/ on sys.path."""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import platform
import pstats
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

import httpx  # noqa: E402
import psycopg  # noqa: E402
import sqlalchemy  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from presence.clock import SystemClock, belgian_today  # noqa: E402
from presence.config import Environment  # noqa: E402
from presence.db import migrate  # noqa: E402
from presence.db.engine import Database, normalise_url  # noqa: E402
from presence.services.runtime import Runtime  # noqa: E402
from presence.sources import simulation  # noqa: E402


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- the backends -----------------------------------------------------------------------------------------

def arguments(description: str) -> argparse.ArgumentParser:
    """A benchmark's command line, with the backends to run on (the benchmark adds its own options)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--postgres-url", help="a PostgreSQL server to create fresh databases in "
                                               "(default: start a durable throw-away cluster)")
    parser.add_argument("--skip-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--skip-sqlite", action="store_true", help="PostgreSQL only")
    return parser


def simulation_runtime(url: str, size: str = "small"):
    """A migrated database at `url` holding the simulation dataset of `size` for today, tidied: (db, runtime,
    today)."""
    db = Database(url)
    runtime = Runtime(db=db, environment=Environment.SIMULATION)
    migrate.upgrade(db)
    today = belgian_today(SystemClock())
    simulation.generate(db, size, today)
    tidy(db)
    return db, runtime, today


def new_people(count: int, round_: int, kind: int) -> list[str]:
    """`count` valid national numbers, new for each round and each kind of measure (so nothing is skipped)."""
    return [simulation.make_inss(date(1950 + kind, 1, 1) + timedelta(days=n), 101 + 2 * round_) for n in range(count)]


def table_of_each_backend(args, run: Callable[[str, str, FreshPostgres | None, Path], list[str]], title: str,
                          headers: list[str]) -> None:
    """`run` on each backend (a row of the table each), then the machine, `title`, the table and the notes."""
    rows, notes = on_each_backend(args, run)
    print(machine())
    print(title)
    print(format_table(headers, rows))
    for note in notes:
        print(note)


def on_each_backend(args, run: Callable[[str, str, FreshPostgres | None, Path], object]) -> tuple[list, list[str]]:
    """`each_backend` in a temporary directory, removed afterwards: `run(backend, url, postgres, directory)`."""
    directory = Path(tempfile.mkdtemp(prefix="presence-bench-"))
    try:
        return each_backend(args, directory, lambda backend, url, postgres: run(backend, url, postgres, directory))
    finally:
        shutil.rmtree(directory, ignore_errors=True)


class FreshPostgres:
    """A new database inside the given server (dropped at the end), or a durable throw-away cluster."""

    def __init__(self, server_url: str | None) -> None:
        self.server_url = server_url
        self.cluster = None
        self.name: str | None = None
        self.copies: list[str] = []

    def start(self) -> str:
        if self.server_url is None:
            sys.dont_write_bytecode = True  # no __pycache__ beside dev.py
            from dev import ThrowawayPostgres

            self.cluster = ThrowawayPostgres(durable=True)  # fsync on: realistic
            say("starting a throw-away PostgreSQL cluster (durable: fsync on)")
            return self.cluster.start()
        self.name = f"bench_{uuid.uuid4().hex[:10]}"
        with self._admin() as admin:
            admin.execute(f'CREATE DATABASE "{self.name}"')
        return make_url(normalise_url(self.server_url)).set(database=self.name).render_as_string(
            hide_password=False)

    def copy(self, url: str) -> str:
        """A new database (dropped at the end) copied from the one at `url` (made by `start`), which nobody
        may be connected to meanwhile: `CREATE DATABASE ... TEMPLATE`."""
        source = make_url(normalise_url(url))
        name = f"bench_{uuid.uuid4().hex[:10]}"
        with self._admin() as admin:
            # PostgreSQL 15+: copy the files (two checkpoints) rather than write the whole copy to the WAL,
            # which would leave a checkpoint's worth of work for the next timed phase.
            strategy = " STRATEGY FILE_COPY" if admin.info.server_version >= 150000 else ""
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source.database}"{strategy}')
        self.copies.append(name)
        return source.set(database=name).render_as_string(hide_password=False)

    def _admin(self):
        url = make_url(normalise_url(self.server_url or self.cluster.url))
        # In the throw-away cluster, `presence` is the bench's own database: administer from `postgres`.
        database = url.database if self.server_url else "postgres"
        return psycopg.connect(host=url.host, port=url.port, user=url.username, password=url.password,
                               dbname=database, autocommit=True)

    def stop(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()
            return
        with self._admin() as admin:
            for name in [*self.copies, *([self.name] if self.name else [])]:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def each_backend(args, directory: Path,
                 run: Callable[[str, str, FreshPostgres | None], object]) -> tuple[list, list[str]]:
    """`run(backend, url, postgres)` on a fresh SQLite file in `directory`, then on PostgreSQL (a fresh database
    in `--postgres-url`'s server, or a durable throw-away cluster), as `--skip-sqlite`/`--skip-postgres` say.
    Returns what each run returned, and the notes: skipped backends, PostgreSQL's settings."""
    results: list = []
    notes: list[str] = []
    if not args.skip_sqlite:
        results.append(run("sqlite", f"sqlite:///{directory / 'bench.db'}", None))
    if args.skip_postgres:
        notes.append("postgresql  SKIPPED (--skip-postgres)")
        return results, notes
    postgres = FreshPostgres(args.postgres_url)
    try:
        url = postgres.start()
    except (RuntimeError, psycopg.Error) as error:
        notes.append(f"postgresql  SKIPPED: {error}")
        say(f"PostgreSQL SKIPPED: {error}")
        return results, notes
    try:
        db = Database(url)
        try:
            settings = database_settings(db)
        finally:
            db.dispose()
        where = "a database in the server of --postgres-url" if args.postgres_url else "a durable throw-away cluster"
        notes.append(f"postgresql: {where}: {settings}")
        results.append(run("postgresql", url, postgres))
    finally:
        postgres.stop()
    return results, notes


def settle() -> None:
    """Collect the set-up's garbage before a timed phase, so that the timed code pays for its own collections
    only. (Left to the collector, the set-up's objects made `bench/core.py`'s SQLite registration measure
    20-30% slower than the service is, and by how much depended on what the harness had loaded.)"""
    gc.collect()


def percentile(values: list[float], q: float) -> float:
    """The value below which a share `q` of `values` lies (nearest rank); NaN when there are none."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))] if ordered else float("nan")


def format_table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain-text table: columns as wide as their widest cell; numbers right-aligned, text left-aligned."""
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]
    numeric = [bool(rows) and all(_NUMBER.fullmatch(row[i]) for row in rows) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        return " ".join(cell.rjust(width) if right else cell.ljust(width)
                        for cell, width, right in zip(cells, widths, numeric, strict=True)).rstrip()

    return "\n".join(line(row) for row in [headers, *rows])


_NUMBER = re.compile(r"[-+]?[\d,]*\.?\d+%?|n/a|-")


def machine() -> str:
    return (f"{os.cpu_count()} CPUs, Python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}, "
            f"psycopg {psycopg.__version__}, {platform.system()} {platform.release()}")


def database_settings(db: Database) -> str:
    with db.engine.connect() as connection:
        if db.is_sqlite:
            mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
            sync = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(
                connection.exec_driver_sql("PRAGMA synchronous").scalar())
            return f"SQLite {connection.exec_driver_sql('select sqlite_version()').scalar()}, " \
                   f"journal_mode={mode}, synchronous={sync}"
        values = {name: connection.exec_driver_sql(f"SHOW {name}").scalar()
                  for name in ("server_version", "fsync", "synchronous_commit", "shared_buffers")}
        return "PostgreSQL " + ", ".join(f"{k}={v}" for k, v in values.items())


def tidy(db: Database) -> None:
    """After a bulk load: SQLite checkpoints (and empties) its WAL; PostgreSQL vacuums and analyses."""
    if db.is_sqlite:
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")


def checkpoint(db: Database) -> None:
    """Before a timed phase: flush what earlier phases left dirty, so no checkpoint of theirs lands in it."""
    try:
        tidy(db) if db.is_sqlite else _postgres_checkpoint(db)
    except Exception as error:  # noqa: BLE001 - CHECKPOINT needs a superuser (or pg_checkpoint)
        say(f"no checkpoint before timing: {type(error).__name__}")


def _postgres_checkpoint(db: Database) -> None:
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("CHECKPOINT")


# --- a server process -------------------------------------------------------------------------------------

class Server:
    """A server in a process of its own (its own session: stopped by its id), its output in a log file. Ready once
    it says it is "listening on" and `ready_path` answers 200 over fresh connections, once per serving process
    and more (each must be up)."""

    def __init__(self, argv: Callable[[int], list[str]], directory: Path, env: dict[str, str] | None = None,
                 ready_path: str = "/health", processes: int = 1) -> None:
        """`argv(port)`: the command; `env`: added to this process's environment."""
        self.argv = argv
        self.env = env or {}
        self.ready_path = ready_path
        self.processes = processes
        self.log_path = directory / f"serve-{os.getpid()}-{time.monotonic_ns()}.log"
        self.process: subprocess.Popen | None = None
        self.port = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> str:
        sys.dont_write_bytecode = True
        from dev import free_port

        self.port = free_port()
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(self.argv(self.port), env={**os.environ, **self.env},
                                            cwd=self.log_path.parent, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=5) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log_tail()}")
                if b"listening on" in self.log_path.read_bytes():
                    try:
                        if all(client.get(self.base + self.ready_path, headers={"Connection": "close"}).status_code
                               == 200 for _ in range(2 * self.processes)):
                            return self.base
                    except httpx.TransportError:
                        pass
                time.sleep(0.2)
        raise RuntimeError(f"the server did not answer within {timeout:.0f}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def problems_logged(self) -> str:
        return "\n".join(line for line in self.log_path.read_text(errors="replace").splitlines()
                         if "WARNING" in line or "ERROR" in line or "Error" in line)[-5000:]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # uvicorn shuts down gracefully (its workers too)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # the session this script started for it
            self.process.wait(timeout=10)


# --- clients --------------------------------------------------------------------------------------------

def send_in_turn(indexes: Iterator[int], lock: threading.Lock, send: Callable[[int], object],
                 latencies: list[float], rate: float | None = None, start: float = 0.0,
                 then: Callable[[object], None] | None = None) -> None:
    """One client's part of a phase: it takes the next request's index from `indexes` (shared by the clients) and
    sends it, until none is left; as fast as answered, or request i at `start` + i / `rate` (open loop: its
    latency counts from then, so a server that falls behind shows it). Each latency is appended; `then` gets what
    `send` answered, after the timing."""
    while True:
        with lock:
            index = next(indexes, None)
        if index is None:
            return
        if rate:
            began = start + index / rate
            delay = began - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        else:
            began = time.perf_counter()
        answer = send(index)
        latencies.append(time.perf_counter() - began)
        if then is not None:
            then(answer)


# --- where the connections and the CPU go (Linux /proc; elsewhere these are left out) -----------------------

def _proc_table() -> dict[int, tuple[int, str, str]]:
    """pid -> (parent pid, comm, command line) of every process we can see."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            comm, rest = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
            table[int(entry)] = (int(rest[1]), comm, cmdline)
    return table


def server_processes(root: int) -> list[int]:
    """The serving processes: `root` itself, or its uvicorn workers (not multiprocessing's helpers)."""
    table = _proc_table()
    children = [pid for pid, (parent, _, cmdline) in table.items()
                if parent == root and "resource_tracker" not in cmdline]
    return sorted(children) or [root]


def connections_per_process(pids: list[int], port: int) -> list[int] | None:
    """How many established connections to `port` each process holds (None: not on Linux)."""
    try:
        sockets = set()
        for name in ("/proc/net/tcp", "/proc/net/tcp6"):
            for row in Path(name).read_text().splitlines()[1:]:
                fields = row.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":  # ESTABLISHED
                    sockets.add(f"socket:[{fields[9]}]")
        counts = []
        for pid in pids:
            held = 0
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    held += os.readlink(f"/proc/{pid}/fd/{fd}") in sockets
                except OSError:
                    pass
            counts.append(held)
        return counts
    except OSError:
        return None


def cpu_seconds(server_root: int) -> dict[str, float] | None:
    """CPU time used so far (user + system) by the server's processes, PostgreSQL's, this one (the clients) and
    the whole machine (`machine`: every CPU's busy time, from /proc/stat)."""
    try:
        ticks = os.sysconf("SC_CLK_TCK")
        total = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        busy = (sum(total[:8]) - total[3] - total[4]) / ticks  # all but idle and iowait (guest is in user)
        table = _proc_table()
        tree = {server_root}
        for _ in range(3):
            tree |= {pid for pid, (parent, _, _) in table.items() if parent in tree}
        used = {"server": 0.0, "postgresql": 0.0, "clients": 0.0}
        for pid, (_, comm, _) in table.items():
            kind = ("server" if pid in tree else "clients" if pid == os.getpid()
                    else "postgresql" if comm.startswith("postgres") else None)
            if kind:
                try:
                    stat = Path(f"/proc/{pid}/stat").read_text()
                except OSError:
                    continue
                fields = stat[stat.rindex(")") + 2:].split()
                used[kind] += (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
        used["machine"] = busy
        return used
    except (OSError, ValueError):
        return None


def cpu_used(before: dict[str, float] | None, after: dict[str, float] | None) -> dict[str, float] | None:
    """CPU seconds used between two `cpu_seconds` readings: server, postgresql, clients and `other` (the rest of
    the machine's busy time)."""
    if not before or not after:
        return None
    used = {kind: after[kind] - before[kind] for kind in after}
    used["other"] = max(0.0, used.pop("machine") - sum(used.values()))
    return used


# --- profiles ---------------------------------------------------------------------------------------------

class Profiler:
    def __init__(self, enabled: bool) -> None:
        self.profile = cProfile.Profile() if enabled else None

    def __enter__(self):
        if self.profile:
            self.profile.enable()

    def __exit__(self, *exc):
        if self.profile:
            self.profile.disable()

    def report(self, title: str, limit: int = 40) -> None:
        if not self.profile:
            return
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            stats = pstats.Stats(self.profile, stream=out)
            stats.strip_dirs().sort_stats(order).print_stats(limit)
            text = out.getvalue()
            print(f"\n--- cProfile: {title}, by {order} ---")
            print(text[text.find("   ncalls"):].rstrip() if "   ncalls" in text else text.rstrip())


def print_stages(title: str, stages: dict[str, float], requests: int) -> None:
    """Where the time of `requests` requests went, stage by stage (seconds in all, by stage name)."""
    total = sum(stages.values())
    print(f"\n--- {title}: {total / requests * 1000:.2f} ms per request ---")
    for name, elapsed in stages.items():
        print(f"  {elapsed / requests * 1000:6.2f} ms  {elapsed / total:4.0%}  {name}")

