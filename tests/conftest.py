"""Fixtures shared by the whole suite.

Every database test runs twice: on SQLite and on PostgreSQL. `python3 dev.py test` starts a throw-away
PostgreSQL cluster and passes its URL in PRESENCE_TEST_POSTGRES_URL; without it the PostgreSQL half is
skipped, loudly, and under CI=true the session fails instead.

Each test gets its own database, cloned from a template migrated once per session (a file copy on SQLite,
`CREATE DATABASE ... TEMPLATE` on PostgreSQL), so tests never see each other's rows.
"""

from __future__ import annotations

import os
import shutil
import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from presence.clock import BRUSSELS, FrozenClock
from presence.config import get_settings
from presence.db import migrate
from presence.db.engine import Database, normalise_url
from presence.services.runtime import Runtime

BACKENDS = ["sqlite", "postgresql"]
POSTGRES_URL = os.environ.get("PRESENCE_TEST_POSTGRES_URL")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Tests live on a fixed day, a Tuesday, at 09:30 in Brussels.
TODAY = date(2026, 3, 3)
NOW = datetime.combine(TODAY, time(9, 30), tzinfo=BRUSSELS).astimezone(UTC)


@pytest.fixture(autouse=True)
def fresh_settings():
    """Settings are read once per process: a test that changes the environment reads them again."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def pytest_sessionstart(session):
    if not POSTGRES_URL:
        if IN_CI:
            raise pytest.UsageError("CI: PRESENCE_TEST_POSTGRES_URL is not set, PostgreSQL tests cannot run")
        print("\n!!! PRESENCE_TEST_POSTGRES_URL not set: the PostgreSQL half of the database tests is SKIPPED !!!\n")


def _admin_connection():
    url = make_url(normalise_url(POSTGRES_URL))
    return psycopg.connect(host=url.host, port=url.port, user=url.username, password=url.password,
                           dbname=url.database, autocommit=True)


def _postgres_url(name: str) -> str:
    return make_url(normalise_url(POSTGRES_URL)).set(database=name).render_as_string(hide_password=False)


class Templates:
    """Migrated (and, on demand, demo-loaded) template databases for one test session and xdist worker."""

    def __init__(self, tmp_path_factory, worker_id: str) -> None:
        self.directory = tmp_path_factory.mktemp("templates")
        self.prefix = f"t_{worker_id}_{uuid.uuid4().hex[:6]}"
        self.made: dict[tuple[str, str], str] = {}
        self.databases: list[str] = []

    def template(self, backend: str, kind: str) -> str:
        key = (backend, kind)
        if key not in self.made:
            if backend == "sqlite":
                path = self.directory / f"{kind}.db"
                url = f"sqlite:///{path}"
            else:
                name = f"{self.prefix}_{kind}"
                with _admin_connection() as admin:
                    admin.execute(f'CREATE DATABASE "{name}"')
                self.databases.append(name)
                url = _postgres_url(name)
            db = Database(url)
            migrate.upgrade(db)
            if kind in ("demo", "people"):
                from presence.sources import simulation

                simulation.generate(db, "small", TODAY)
            if kind == "people":
                from presence.sources.personas import create_personas

                create_personas(Runtime(db=db, clock=FrozenClock(NOW)))
            if backend == "sqlite":
                with db.engine.connect() as connection:
                    connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            db.dispose()
            self.made[key] = url
        return self.made[key]

    def clone(self, backend: str, kind: str, tmp_path) -> str:
        template = self.template(backend, kind)
        if backend == "sqlite":
            tmp_path.mkdir(parents=True, exist_ok=True)
            path = tmp_path / f"{kind}.db"
            shutil.copyfile(make_url(template).database, path)
            return f"sqlite:///{path}"
        name = f"{self.prefix}_{uuid.uuid4().hex[:8]}"
        with _admin_connection() as admin:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(template).database}"')
        self.databases.append(name)
        return _postgres_url(name)

    def drop_all(self) -> None:
        if not self.databases:
            return
        with _admin_connection() as admin:
            for name in self.databases:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def templates(tmp_path_factory, request):
    worker_id = getattr(request.config, "workerinput", {}).get("workerid", "main")
    made = Templates(tmp_path_factory, worker_id)
    yield made
    made.drop_all()


@contextmanager
def _database(backend: str, templates, directory, kind: str):
    if backend == "postgresql" and not POSTGRES_URL:
        pytest.skip("PostgreSQL not available (PRESENCE_TEST_POSTGRES_URL unset)")
    db = Database(templates.clone(backend, kind, directory))
    try:
        yield db
    finally:
        db.dispose()
        if backend == "postgresql":
            name = make_url(db.url).database
            with _admin_connection() as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            templates.databases.remove(name)


@pytest.fixture(params=BACKENDS)
def db(request, templates, tmp_path):
    """An empty, migrated database."""
    with _database(request.param, templates, tmp_path, "empty") as database:
        yield database


@pytest.fixture
def second_db(db, templates, tmp_path):
    """Another empty, migrated database on the same engine as `db`."""
    backend = db.engine.dialect.name
    with _database(backend, templates, tmp_path / "second", "empty") as database:
        yield database


@pytest.fixture(params=BACKENDS)
def demo_db(request, templates, tmp_path):
    """A migrated database holding the small simulation dataset built around TODAY."""
    with _database(request.param, templates, tmp_path, "demo") as database:
        yield database


@pytest.fixture
def second_demo_db(demo_db, templates, tmp_path):
    """Another copy of the small simulation dataset, on the same engine as `demo_db`."""
    with _database(demo_db.engine.dialect.name, templates, tmp_path / "second", "demo") as database:
        yield database


@pytest.fixture(params=BACKENDS)
def people_db(request, templates, tmp_path):
    """The small simulation dataset with the personas and their accounts (`sources.personas`)."""
    with _database(request.param, templates, tmp_path, "people") as database:
        yield database


@pytest.fixture
def clock():
    return FrozenClock(NOW)


@pytest.fixture
def runtime(demo_db, clock):
    return Runtime(db=demo_db, clock=clock)


@pytest.fixture
def people_runtime(people_db, clock):
    """The simulation dataset with its personas and their accounts, on the test's clock."""
    return Runtime(db=people_db, clock=clock)


@pytest.fixture
def empty_runtime(db, clock):
    return Runtime(db=db, clock=clock)


# --- the browser, for the tests of pages (the online service's, the kiosk's screen) ---------------------------------

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def _no_browser(reason: str):
    if IN_CI:
        pytest.fail(f"CI: the browser tests cannot run: {reason}")
    pytest.skip(f"browser tests SKIPPED: {reason}")


@pytest.fixture(scope="session")
def chromium():
    """One headless chromium per test process (each test gets its own context: its own cookies)."""
    missing = os.environ.get("PRESENCE_TEST_NO_BROWSER")
    if missing or not Path(CHROMIUM).exists():
        _no_browser(missing or f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        try:  # Playwright gives each launch a fresh, temporary profile (--user-data-dir)
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        except Exception as error:  # the browser does not start: say why
            _no_browser(f"chromium does not start: {str(error).splitlines()[0]}")
        yield browser
        browser.close()
