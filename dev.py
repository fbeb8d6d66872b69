#!/usr/bin/env python3
"""Set-up commands of the presence registry. Needs only Python 3.11+ (and, for the PostgreSQL half of the
tests, PostgreSQL's server binaries, which it starts itself in a throw-away cluster).

    python3 dev.py start [--host H] [--port P]   install, migrate, load the simulation dataset, serve
    python3 dev.py test [pytest arguments]        install test dependencies, run the whole suite on SQLite
                                                  and PostgreSQL
    python3 dev.py postgres                       start a throw-away PostgreSQL cluster, print its URL,
                                                  stop it on Ctrl-C (for benchmarks and exploring)
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"


def say(message: str) -> None:
    print(f"[dev] {message}", flush=True)


def shout(message: str) -> None:
    line = "!" * 78
    print(f"\n{line}\n!! {message}\n{line}\n", flush=True)


# --- the virtual environment ------------------------------------------------------------------------------

def ensure_venv(lock: str, project: bool = True) -> None:
    """Create .venv and install the pinned dependencies of `lock` (and the project itself), unless already done
    for this lock."""
    lock_file = ROOT / "requirements" / lock
    stamp = VENV / f".installed-{lock}"
    digest = hashlib.sha256(lock_file.read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    if not (BIN / "python").exists():
        say("creating the virtual environment .venv")
        venv.create(VENV, with_pip=True)
    say(f"installing pinned dependencies from requirements/{lock}")
    pip = [str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--require-hashes", "-r", str(lock_file)], check=True)
    if project:
        subprocess.run([*pip, "--no-deps", "-e", str(ROOT)], check=True)
    stamp.write_text(digest)


def presence(*args: str, env: dict | None = None) -> None:
    subprocess.run([str(BIN / "presence"), *args], check=True, cwd=ROOT, env=env)


# --- a throw-away PostgreSQL cluster ----------------------------------------------------------------------

def postgres_bindir() -> Path | None:
    candidates = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if out.returncode == 0:
            candidates.append(Path(out.stdout.strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(os.path.realpath(initdb)).parent)
    for directory in candidates:
        if (directory / "initdb").exists() and (directory / "pg_ctl").exists():
            return directory
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThrowawayPostgres:
    """A PostgreSQL cluster in a temporary directory, trust authentication on 127.0.0.1 only.

    PostgreSQL refuses to run as root, so as root the cluster belongs to (and runs as) `postgres`.
    """

    def __init__(self, durable: bool = False) -> None:
        self.bindir = postgres_bindir()
        self.durable = durable
        self.directory: Path | None = None
        self.port = free_port()
        self.url: str | None = None

    def _as_owner(self, argv: list[str]) -> list[str]:
        if os.geteuid() != 0:
            return argv
        runuser = shutil.which("runuser")
        return [runuser, "-u", "postgres", "--", *argv] if runuser else ["su", "postgres", "-c", " ".join(argv)]

    def start(self) -> str:
        if self.bindir is None:
            raise RuntimeError("PostgreSQL's server binaries (initdb, pg_ctl) are not on this machine")
        self.directory = Path(tempfile.mkdtemp(prefix="presence-pg-"))
        data = self.directory / "data"
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        os.chmod(self.directory, 0o700)
        def run(argv):
            return subprocess.run(self._as_owner(argv), check=True, capture_output=True, text=True)

        try:
            run([str(self.bindir / "initdb"), "-D", str(data), "-U", "presence", "--auth=trust",
                 "--encoding=UTF8", "--locale=C"])
            options = [f"-p {self.port}", f"-k {self.directory}", "-c listen_addresses=127.0.0.1",
                       "-c max_connections=200", "-c shared_buffers=256MB"]
            if not self.durable:
                # Tests throw the cluster away: durability buys nothing there.
                options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
            run([str(self.bindir / "pg_ctl"), "-D", str(data), "-l", str(self.directory / "log"), "-w",
                 "-t", "60", "-o", " ".join(options), "start"])
            run([str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "presence",
                 "presence"])
        except subprocess.CalledProcessError as error:
            self.stop()
            raise RuntimeError(f"could not start PostgreSQL: {error.stderr.strip() or error}") from None
        self.url = f"postgresql://presence@127.0.0.1:{self.port}/presence"
        return self.url

    def stop(self) -> None:
        if self.directory is None:
            return
        data = self.directory / "data"
        if (data / "postmaster.pid").exists():
            subprocess.run(self._as_owner([str(self.bindir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                                           "stop"]), capture_output=True)
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory = None


# --- the system packages of the tests ----------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
# Debian's chromium for the browser tests (Playwright drives it; it never downloads a browser of its own), what
# WeasyPrint draws the posters with (Pango and a font), and for the kiosk's card reader the PC/SC service with a
# virtual reader (vsmartcard's vpcd) and what pyscard builds with; each found by a file it installs.
SYSTEM_PACKAGES = {
    "chromium": CHROMIUM,
    "libpango-1.0-0": Path("/usr/share/doc/libpango-1.0-0"),
    "libpangoft2-1.0-0": Path("/usr/share/doc/libpangoft2-1.0-0"),
    "fonts-dejavu-core": Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    "pcscd": Path("/usr/sbin/pcscd"),
    "vsmartcard-vpcd": Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so"),
    "libpcsclite-dev": Path("/usr/include/PCSC/winscard.h"),
    "swig": Path("/usr/bin/swig"),
    "gcc": Path("/usr/bin/gcc"),
}


def ensure_system_packages() -> str | None:
    """Install with apt what the tests need and the machine lacks (as root). None when all is there; else why
    not."""
    missing = [package for package, marker in SYSTEM_PACKAGES.items() if not marker.exists()]
    if not missing:
        return None
    apt = shutil.which("apt-get")
    if os.geteuid() != 0 or not apt:
        return f"{', '.join(missing)} not installed, and installing needs root and apt-get"
    say(f"installing Debian's {', '.join(missing)} for the tests (apt-get install)")
    quiet = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in ([apt, "update", "-q"], [apt, "install", "-y", "-q", *missing]):
        done = subprocess.run(argv, env=quiet, capture_output=True, text=True)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            return f"{' '.join(argv[1:3])} failed: {' / '.join(tail)}"
    still = [package for package, marker in SYSTEM_PACKAGES.items() if not marker.exists()]
    return f"apt-get ran, but {', '.join(still)} is still missing" if still else None


# --- commands ---------------------------------------------------------------------------------------------

def cmd_start(args: list[str]) -> int:
    ensure_venv("run.lock")
    env = dict(os.environ)
    env.setdefault("PRESENCE_ENVIRONMENT", "simulation")
    say("migrating the database")
    presence("db", "upgrade", env=env)
    say("loading the simulation dataset (skipped when already loaded)")
    presence("demo", "--size", "small", "--if-empty", env=env)
    os.execve(str(BIN / "presence"), [str(BIN / "presence"), "serve", *args], env)


def cmd_test(args: list[str]) -> int:
    ensure_venv("test.lock")
    env = dict(os.environ)
    ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    cluster = None
    if env.get("PRESENCE_TEST_POSTGRES_URL"):
        say("using the PostgreSQL server of PRESENCE_TEST_POSTGRES_URL")
    else:
        cluster = ThrowawayPostgres()
        try:
            env["PRESENCE_TEST_POSTGRES_URL"] = cluster.start()
            say(f"started a throw-away PostgreSQL cluster on port {cluster.port}")
        except RuntimeError as error:
            cluster = None
            if ci:
                shout(f"CI: PostgreSQL is required and could not be used: {error}")
                return 2
            shout(f"PostgreSQL SKIPPED: {error}. Only the SQLite half of the database tests will run.")
    browser_missing = ensure_system_packages()
    if browser_missing:
        if ci:
            shout(f"CI: the browser, poster and card-reader tests need system packages: {browser_missing}")
            return 2
        shout(f"Browser, poster and card-reader tests SKIPPED: {browser_missing}")
        env["PRESENCE_TEST_NO_BROWSER"] = browser_missing
    else:
        ensure_venv("gateway.lock", project=False)  # pyscard, built against the pcsc-lite just installed
    try:
        say("lint: ruff check")
        code = subprocess.run([str(BIN / "ruff"), "check", "src", "tests", "bench", "dev.py"], cwd=ROOT).returncode
        if code == 0:
            # Two processes: the suite waits on databases as much as on the CPU.
            parallel = [] if any(a.startswith("-n") for a in args) else ["-n", "2"]
            argv = [str(BIN / "python"), "-m", "pytest", *parallel, *args]
            code = subprocess.run(argv, cwd=ROOT, env=env).returncode
    finally:
        if cluster:
            cluster.stop()
    if "PRESENCE_TEST_POSTGRES_URL" not in env:
        shout("Reminder: PostgreSQL was SKIPPED in this run.")
    if browser_missing:
        shout("Reminder: the browser and poster tests were SKIPPED in this run.")
    return code


def cmd_postgres(args: list[str]) -> int:
    # Blocked, the signals wait for `sigwait` below (unblocked, SIGTERM's default action would end this process
    # and leave the cluster running); blocked before the start, so that one sent meanwhile is not lost.
    stopping = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, stopping)
    cluster = ThrowawayPostgres(durable="--durable" in args)
    try:
        print(cluster.start(), flush=True)
        signal.sigwait(stopping)
    finally:
        cluster.stop()
    return 0


COMMANDS = {"start": cmd_start, "test": cmd_test, "postgres": cmd_postgres}


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__)
        return 2
    return COMMANDS[sys.argv[1]](sys.argv[2:]) or 0


if __name__ == "__main__":
    sys.exit(main())
