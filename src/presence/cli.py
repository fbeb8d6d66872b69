"""The `presence` command: run the registry and operate it."""

from __future__ import annotations

import csv
import json
import logging
import sys
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NamedTuple

import typer
from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer._click import exceptions as usage  # typer carries its own click: its errors are these

from .clock import SystemClock, belgian_today
from .config import get_settings
from .db import migrate
from .db.engine import Database
from .domain import scopes as scope_rules
from .logs import configure_logging

app = typer.Typer(help="presence: the presence registration registry.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
jobs_app = typer.Typer(help="The background job queue.", no_args_is_help=True)
certificates_app = typer.Typer(help="Enterprises' web-service authentication certificates.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(jobs_app, name="jobs")
accounts_app = typer.Typer(help="Enterprises' web-service accounts (OAuth clients) and their permissions.",
                           no_args_is_help=True)
app.add_typer(certificates_app, name="certificates")
app.add_typer(accounts_app, name="accounts")

# Messages are never wrapped: one line each, whatever the terminal's width (tables wrap their own cells).
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
log = logging.getLogger("presence")


def fail(message: str, code: int = 1) -> typer.Exit:
    """Say what is wrong on one line of stderr; raise the answer, with the README's exit code (1 rejected input,
    2 bad usage or an unusable database)."""
    err.print(f"[bold red]error:[/] {' '.join(message.split())}", highlight=False)
    return typer.Exit(code)


def first_line(error: BaseException) -> str:
    """What a driver said, without the SQL and its parameters that SQLAlchemy adds (they may hold personal
    numbers) nor the rest of a multi-line message."""
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def main() -> None:
    """The `presence` command. Whatever the user got wrong is one line on stderr and an exit code: click's
    usage errors (a missing file, an unknown option), a database that cannot be reached, a file that cannot be
    written. A traceback is left for bugs."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        code = app(standalone_mode=False)
    except usage.NoArgsIsHelpError as error:
        error.show()
        code = 2
    except usage.UsageError as error:
        where = f" (see `{error.ctx.command_path} --help`)" if error.ctx else ""
        code = fail(f"{error.format_message()}{where}", 2).exit_code
    except usage.ClickException as error:
        code = fail(error.format_message(), error.exit_code).exit_code
    except typer.Abort:
        code = 130
    except SQLAlchemyError as error:
        code = fail(f"the database PRESENCE_DATABASE_URL failed: {first_line(error)}", 2).exit_code
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        code = fail(f"{where}{error.strerror or first_line(error)}", 2).exit_code
    sys.exit(code or 0)


# --- tables -----------------------------------------------------------------------------------------------

class Column(NamedTuple):
    header: str
    whole: bool = False  # never wrapped: an identifier to copy into another command, a code to read at once
    wide: bool = False  # shown with --wide only: without, every table fits an 80-column terminal


WideOpt = Annotated[bool, typer.Option("--wide", help="Every column, however wide the table gets.")]


def print_table(title: str, columns: list[Column], rows, wide: bool = False) -> None:
    """Rows as a plain table: no vertical rules (a line copies cleanly), text wrapped within its column."""
    shown = [i for i, column in enumerate(columns) if wide or not column.wide]
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1))
    for i in shown:
        table.add_column(columns[i].header, no_wrap=columns[i].whole, overflow="fold")
    for row in rows:
        table.add_row(*(row[i] for i in shown))
    console = out
    if wide:  # as wide as the table needs: the terminal folds its lines rather than the table its cells
        needed = Measurement.get(out, out.options.update_width(10_000), table).maximum
        console = Console(width=max(out.width, needed), soft_wrap=True)
    console.print(table, markup=False, highlight=False)


def open_database(require_schema: bool = True) -> Database:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    try:
        db = Database(settings.database_url)
    except Exception as error:  # a malformed URL, a missing driver
        raise fail(f"cannot use the database PRESENCE_DATABASE_URL: {error}", 2) from None
    if require_schema:
        try:
            up_to_date = migrate.is_up_to_date(db)
        except Exception as error:
            raise fail(f"cannot reach the database {db.describe()}: {type(error).__name__}", 2) from None
        if not up_to_date:
            raise fail(f"the database {db.describe()} is not migrated: run `presence db upgrade` first", 2)
    return db


def make_registry(db: Database):
    from .services.context import Registry

    return Registry(db=db, clock=SystemClock(), environment=get_settings().environment)


# --- running ----------------------------------------------------------------------------------------------

@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 8000,
    worker: Annotated[bool, typer.Option(help="Run a check worker in each serving process too.")] = True,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64,
                                         help="Serving processes (use the machine's cores; PostgreSQL).")] = 1,
) -> None:
    """Serve every HTTP channel (and, by default, check registrations in the same process)."""
    import os

    from .api import server
    from .api.app import CHECK_WORKER_VARIABLE, PROCESSES_VARIABLE, create_app

    missing = get_settings().missing_for_production()
    if missing:
        raise fail(f"the production environment needs these settings: {'; '.join(missing)}", 2)
    db = open_database()
    registry = make_registry(db)
    try:
        server.check_port(host, port)
    except OSError as error:
        raise fail(f"cannot listen on {host}:{port}: {error.strerror or first_line(error)}", 2) from None
    # One plain line, never wrapped: scripts and people look for it.
    print(f"presence registry listening on http://{host}:{port} (database {db.describe()}, "
          f"{registry.environment} environment, {workers} process(es)"
          f"{', each with a check worker' if worker else ''})", flush=True)
    if workers == 1:
        server.run(create_app(registry, check_worker=worker), host=host, port=port)
        return
    db.dispose()
    os.environ[CHECK_WORKER_VARIABLE] = "1" if worker else "0"
    os.environ[PROCESSES_VARIABLE] = str(workers)
    server.run("presence.api.app:app_from_environment", factory=True, workers=workers, host=host, port=port)


@app.command("worker")
def run_worker(
    until_idle: Annotated[bool, typer.Option(help="Stop when no job is ready instead of waiting for more.")] = False,
) -> None:
    """Run a check worker. Start as many as you like on PostgreSQL; they share the queue."""
    from .services.background import make_worker

    db = open_database()
    worker = make_worker(make_registry(db), lease=timedelta(seconds=get_settings().job_lease_seconds))
    if until_idle:
        handled = worker.run_until_idle()
        out.print(f"{handled} job(s) handled; none ready now")
        return
    out.print(f"check worker {worker.name} waiting for jobs (database {db.describe()})", highlight=False)
    try:
        worker.run_forever()
    except KeyboardInterrupt:
        worker.stop()


# --- the database -----------------------------------------------------------------------------------------

@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema to the newest version."""
    db = open_database(require_schema=False)
    try:
        migrate.upgrade(db)
    except Exception as error:
        raise fail(f"migration of the database {db.describe()} failed: {type(error).__name__}: "
                   f"{first_line(error)}", 2) from None
    out.print(f"database {db.describe()} at schema version {migrate.current_revision(db)}", highlight=False)


@db_app.command("current")
def db_current() -> None:
    """Show the schema version of the database."""
    db = open_database(require_schema=False)
    current, head = migrate.current_revision(db), migrate.head_revision()
    out.print(f"{db.describe()}: schema {current or 'none'} (newest {head})", highlight=False)
    if current != head:
        raise typer.Exit(1)


# --- sources ----------------------------------------------------------------------------------------------

class Size(StrEnum):
    small = "small"
    medium = "medium"
    national = "national"


@app.command()
def demo(
    size: Annotated[Size, typer.Option(help="small: thousands of rows; medium: a region; national: Belgium.")] = (
        Size.small),
    if_empty: Annotated[bool, typer.Option(help="Do nothing when the dataset is already loaded.")] = False,
    today: Annotated[str | None, typer.Option(help="Build the dataset around this date (YYYY-MM-DD).")] = None,
) -> None:
    """Load the simulation dataset: enterprises, people, declarations, Dimona, Limosa, every remark's case."""
    from .sources import simulation

    db = open_database()
    if simulation.is_loaded(db):
        if if_empty:
            out.print("simulation dataset already loaded")
            return
        raise fail("the sources already hold data: load the simulation dataset into an empty database")
    try:
        day = date.fromisoformat(today) if today else belgian_today(SystemClock())
    except ValueError:
        raise fail("--today: a date as YYYY-MM-DD", 2) from None
    columns = (TextColumn("{task.description:<20}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=False) as progress:
        tasks: dict[str, int] = {}

        def report(table: str, done: int, total: int) -> None:
            if table not in tasks:
                tasks[table] = progress.add_task(table, total=total)
            progress.update(tasks[table], completed=done, total=total)

        summary = simulation.generate(db, str(size), day, progress=report)
    table = Table("table", "rows", title=f"simulation dataset ({size}) around {day}")
    for name, count in summary.counts.items():
        table.add_row(name, f"{count:,}")
    out.print(table)
    out.print(f"{len(summary.scenarios) + len(summary.cleaning_scenarios)} scenarios (one per remark, and clean "
              "cases); see `presence scenarios`", highlight=False)


@app.command()
def scenarios(
    today: Annotated[str | None, typer.Option(help="The date the dataset was built around.")] = None,
) -> None:
    """List the simulation scenarios: what to register to get each remark (and none)."""
    from .sources import simulation

    try:
        day = date.fromisoformat(today) if today else belgian_today(SystemClock())
    except ValueError:
        raise fail("--today: a date as YYYY-MM-DD", 2) from None
    columns = [Column("remark", whole=True), Column("scenario"), Column("person", whole=True),
               Column("enterprise", whole=True), Column("workplace", whole=True)]
    print_table("Construction and meat (SOAP, a day): register for today or tomorrow", columns, (
        [s.expected_remark or "none", s.name, s.inss or f"Limosa\n{s.limosa_id}",
         s.enterprise_number or s.foreign_vat or "", s.workplace] for s in simulation.scenarios(day)))
    place = simulation.CLEANING_PLACE
    cleaning = simulation.cleaning_scenarios(day)
    out.print(f"\nCleaning (REST, an instant): check in and out, a few minutes apart, on workplace "
              f"{cleaning[0].workplace}, {place.address}, at latitude {place.latitude}, longitude "
              f"{place.longitude}:", highlight=False, soft_wrap=False)
    print_table("", [Column("remark", whole=True), Column("scenario"), Column("register", whole=True),
                     Column("person", whole=True), Column("enterprise", whole=True)], (
        [s.expected_remark or "none", s.name, " then ".join(s.clockings), s.inss, s.enterprise_number]
        for s in cleaning))
    out.print("\nA registration is created at once (pending); its remark comes from the asynchronous check, "
              "seconds later: consult it then.", highlight=False, soft_wrap=False)


@app.command("import")
def import_source(
    source: Annotated[str, typer.Argument(help="people, enterprises, employer-periods, mandates, dimona, "
                                                "limosa, declarations or contracts")],
    file: Annotated[Path, typer.Argument(help="A .csv (with a header row) or .json file.", exists=True,
                                         dir_okay=False, readable=True)],
) -> None:
    """Import a file of an authentic source: every row is checked; one bad row and nothing is imported."""
    from .domain.visibility import Caller
    from .services.revalidation import import_source
    from .sources import importers

    db = open_database()
    if source not in importers.SOURCES:
        raise fail(f"unknown source {source!r}: one of {', '.join(importers.SOURCES)}", 2)
    try:
        report = import_source(make_registry(db), Caller.operator(), source, file)
    except importers.ImportRejected as rejected:
        report = rejected.report
        err.print(f"[bold red]{file.name}: nothing imported[/], {len(report.rejected)} row(s) rejected:",
                  highlight=False)
        for row in report.rejected[:200]:
            err.print(f"  {row}", highlight=False, markup=False)
        if len(report.rejected) > 200:
            err.print(f"  ... and {len(report.rejected) - 200} more", highlight=False)
        raise typer.Exit(1) from None
    out.print(f"{file.name}: {report.accepted} row(s) imported into {source}; "
              f"{report.revalidated} registration(s) to check again", highlight=False)


# --- consultation -----------------------------------------------------------------------------------------

def _criteria(date_from, date_to, inss, enterprise, workplace, status, remark):
    from .domain.identifiers import (
        InvalidIdentifier,
        is_belgian_enterprise_number,
        parse_any_enterprise,
        parse_inss,
        parse_work_declaration_number,
    )
    from .domain.remarks import RemarkCode
    from .domain.statuses import SoapStatus
    from .services.consulting import SearchCriteria

    try:
        start = date.fromisoformat(date_from) if date_from else belgian_today(SystemClock())
        end = date.fromisoformat(date_to) if date_to else start
    except ValueError:
        raise fail("--from/--to: dates as YYYY-MM-DD", 2) from None
    criteria = SearchCriteria(periods=[(start, end)])
    try:
        if inss:
            criteria.inss = parse_inss(inss)
        if enterprise:
            number = parse_any_enterprise(enterprise)
            if is_belgian_enterprise_number(number):
                criteria.enterprise_number = number
            else:
                criteria.foreign_vat = number
        if workplace:
            criteria.workplace = parse_work_declaration_number(workplace)
    except InvalidIdentifier as error:
        raise fail(str(error), 2) from None
    try:
        criteria.statuses = [SoapStatus(s.upper()) for s in status]
    except ValueError:
        raise fail(f"--status: one of {', '.join(s.value for s in SoapStatus)}", 2) from None
    try:
        criteria.remarks = [RemarkCode(r.upper()) for r in remark]
    except ValueError:
        raise fail("--remark: a code CAW_01 .. CAW_19", 2) from None
    return criteria


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


EXPORT_COLUMNS = ["id", "status", "remarks", "registration_date", "clocked_at", "direction", "inss", "limosa_id",
                  "enterprise_number", "foreign_vat", "workplace", "sector", "channel", "sender_enterprise",
                  "sender_id", "created_at", "client_reference"]


def _export_row(p) -> dict:
    return {
        "id": p.id, "status": p.status.value, "remarks": " ".join(p.remarks),
        "registration_date": p.registration_date.isoformat(),
        "clocked_at": p.clocked_at.isoformat() if p.clocked_at else "", "direction": p.direction or "",
        "inss": p.inss or "", "limosa_id": p.limosa_id or "", "enterprise_number": p.enterprise_number or "",
        "foreign_vat": p.foreign_vat or "", "workplace": p.workplace, "sector": p.sector or "",
        "channel": p.channel, "sender_enterprise": p.sender_enterprise or "", "sender_id": p.sender_id or "",
        "created_at": p.created_at.isoformat(), "client_reference": p.client_reference or "",
    }


DateFrom = Annotated[str | None, typer.Option("--from", help="First registration date (default today).")]
DateTo = Annotated[str | None, typer.Option("--to", help="Last registration date (default --from).")]
Inss = Annotated[str | None, typer.Option(help="INSS/BIS number of the person.")]
EnterpriseOpt = Annotated[str | None, typer.Option(help="Enterprise number or foreign VAT number.")]
WorkplaceOpt = Annotated[str | None, typer.Option(help="Work-declaration number.")]
StatusOpt = Annotated[list[str], typer.Option(help="SUCCESSFULLY REGISTERED, VALIDATED, FAILED, "
                                                   "SUCCESSFULLY CANCELLED (repeatable).")]
RemarkOpt = Annotated[list[str], typer.Option(help="Remark code such as CAW_01 (repeatable).")]


@app.command()
def search(
    date_from: DateFrom = None, date_to: DateTo = None, inss: Inss = None, enterprise: EnterpriseOpt = None,
    workplace: WorkplaceOpt = None, status: StatusOpt = [], remark: RemarkOpt = [],  # noqa: B006
    first: Annotated[int, typer.Option(help="Skip this many matches.")] = 0,
    limit: Annotated[int, typer.Option(help="Show at most this many (at most 500).")] = 50,
    output: Annotated[Format, typer.Option("--format", help="table, csv or json.")] = Format.table,
    wide: WideOpt = False,
) -> None:
    """Search registrations, as the back office sees them."""
    from .domain.identifiers import mask_inss
    from .domain.visibility import Caller
    from .services.consulting import Page, search_presences
    from .services.errors import ServiceError

    criteria = _criteria(date_from, date_to, inss, enterprise, workplace, status, remark)
    registry = make_registry(open_database())
    try:
        result = search_presences(registry, Caller.operator(), criteria, Page(first, limit))
    except ServiceError as error:
        raise fail(str(error), 2) from None
    if output is Format.table:
        columns = [Column("id", whole=True), Column("date"), Column("person", whole=True),
                   Column("enterprise\nworkplace", whole=True), Column("channel", wide=True), Column("status"),
                   Column("remarks")]
        rows = ([str(p.id),
                 p.registration_date.isoformat() + (f" {p.direction} {p.clocked_at:%H:%M}" if p.clocked_at else ""),
                 mask_inss(p.inss) if p.inss else f"Limosa\n{p.limosa_id}",
                 f"{p.enterprise_number or p.foreign_vat or ''}\n{p.workplace}", p.channel, p.status.value,
                 " ".join(p.remarks)] for p in result.items)
        print_table(f"{result.total} match(es); showing {len(result.items)} from {first}", columns, rows, wide)
    elif output is Format.csv:
        writer = csv.DictWriter(sys.stdout, EXPORT_COLUMNS)
        writer.writeheader()
        writer.writerows(_export_row(p) for p in result.items)
    else:
        print(json.dumps({"total": result.total, "items": [_export_row(p) for p in result.items]}, indent=2))


@app.command()
def export(
    date_from: DateFrom = None, date_to: DateTo = None, inss: Inss = None, enterprise: EnterpriseOpt = None,
    workplace: WorkplaceOpt = None, status: StatusOpt = [], remark: RemarkOpt = [],  # noqa: B006
    output: Annotated[Path | None, typer.Option("--output", "-o", help="CSV file to write (default stdout).",
                                                dir_okay=False)] = None,
) -> None:
    """Export every matching registration as CSV (no 500 cap: the operator's bulk export)."""
    from .domain.visibility import Caller
    from .services.consulting import MAX_RESULTS, Page, search_presences
    from .services.errors import ServiceError

    criteria = _criteria(date_from, date_to, inss, enterprise, workplace, status, remark)
    registry = make_registry(open_database())
    try:
        stream = output.open("w", newline="", encoding="utf-8") if output else sys.stdout
    except OSError as error:
        raise fail(f"cannot write {output}: {error.strerror}", 2) from None
    try:
        writer = csv.DictWriter(stream, EXPORT_COLUMNS)
        writer.writeheader()
        first, written = 0, 0
        while True:
            try:
                result = search_presences(registry, Caller.operator(), criteria, Page(first, MAX_RESULTS))
            except ServiceError as error:
                raise fail(str(error), 2) from None
            writer.writerows(_export_row(p) for p in result.items)
            written += len(result.items)
            first += MAX_RESULTS
            if first >= result.total or not result.items:
                break
    finally:
        if output:
            stream.close()
    if output:
        out.print(f"{written} registration(s) written to {output}", highlight=False)


@app.command()
def purge(
    dry_run: Annotated[bool, typer.Option(help="Only count what would be purged.")] = False,
) -> None:
    """Purge registrations older than the 7-year retention (with their history), old audit events, finished
    jobs older than 30 days and the signed SOAP messages no replay of which could be accepted any more."""
    from .domain.visibility import Caller
    from .services.retention import purge_expired

    report = purge_expired(make_registry(open_database()), Caller.operator(), dry_run=dry_run)
    verb = "would purge" if dry_run else "purged"
    out.print(f"{verb}: {report.registrations} registration(s) dated before {report.cutoff}, "
              f"{report.audit_events} audit event(s), {report.jobs} finished job(s), "
              f"{report.received_messages} received message(s), {report.access_tokens} expired access token(s), "
              f"{report.used_assertions} used client assertion(s)", highlight=False)


# --- jobs -------------------------------------------------------------------------------------------------

@jobs_app.command("status")
def jobs_status() -> None:
    """Jobs by state, how long the oldest ready job has waited (the check lag), and the dead ones' last error."""
    from sqlalchemy import select

    from .jobs import queue
    from .jobs.models import Job, JobState

    db = open_database()
    with db.reading() as session:
        summary = queue.summary(session, SystemClock().now(), states=(JobState.READY, JobState.RUNNING,
                                                                      JobState.DONE, JobState.DEAD))
        dead = session.execute(select(Job.id, Job.kind, Job.attempts, Job.last_error)
                               .where(Job.state == JobState.DEAD).order_by(Job.id).limit(20)).all()
    for state in (JobState.READY, JobState.RUNNING, JobState.DONE, JobState.DEAD):
        out.print(f"{state:<8} {summary.counts.get(state, 0):>10,}", highlight=False)
    lag = summary.oldest_ready_age
    out.print(f"oldest ready job waiting for {lag:,.1f} s" if lag is not None else "no job waiting",
              highlight=False)
    for row in dead:
        out.print(f"dead job {row.id} ({row.kind}, {row.attempts} attempts): {row.last_error}", highlight=False,
                  markup=False)


@jobs_app.command("retry-dead")
def jobs_retry_dead() -> None:
    """Give every dead job a fresh set of attempts (after fixing what killed them)."""
    from .jobs.queue import retry_dead

    db = open_database()
    with db.writing() as session:
        count = retry_dead(session, SystemClock().now())
    out.print(f"{count} dead job(s) queued again")


# --- certificates -----------------------------------------------------------------------------------------

FINGERPRINT_START = 16  # hex digits of a fingerprint that `certificates list` shows: 64 bits, unique in practice

def _certificate_name(data: bytes, file: Path) -> str:
    """A certificate's default name: its common name, else the file's name."""
    from cryptography.x509.oid import NameOID

    from .domain.certificates import InvalidCertificate, load_certificate

    try:
        common_names = load_certificate(data).subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    except (InvalidCertificate, ValueError):
        common_names = []
    return str(common_names[0].value) if common_names else file.name


@certificates_app.command("add")
def certificates_add(
    enterprise: Annotated[str, typer.Option(help="The enterprise: KBO/BCE number, or a foreign "
                                                          "enterprise's VAT number (DE800010107).")],
    file: Annotated[Path, typer.Option(help="The certificate, PEM or DER (never the private key).", exists=True,
                                       dir_okay=False, readable=True)],
    name: Annotated[str | None, typer.Option(help="A name for the certificate (default: its common name, "
                                                  "else the file name).")] = None,
) -> None:
    """Register an authentication certificate for an enterprise, outside any account (for the SOAP channel;
    prints JSON). `presence accounts` manages web-service accounts, whose certificates also serve OAuth."""
    from .domain.visibility import Caller
    from .services.certificates import register_certificate
    from .services.errors import ServiceError

    data = file.read_bytes()
    name = name or _certificate_name(data, file)
    registry = make_registry(open_database())
    try:
        view = register_certificate(registry, Caller.operator(), enterprise, data, name)
    except ServiceError as error:
        raise fail(str(error)) from None
    print(json.dumps(view.as_json(), indent=2))


@certificates_app.command("list")
def certificates_list(
    enterprise: Annotated[str | None, typer.Option(help="Only this enterprise's certificates.")] = None,
    wide: WideOpt = False,
) -> None:
    """List registered certificates, revoked ones included. The fingerprint shown is its start (enough for
    `certificates revoke`); --wide shows it whole, with the account's client id."""
    from .domain.visibility import Caller
    from .services.certificates import list_certificates
    from .services.errors import ServiceError

    registry = make_registry(open_database())
    try:
        views = list_certificates(registry, Caller.operator(), enterprise)
    except ServiceError as error:
        raise fail(str(error)) from None
    now = registry.clock.now()
    columns = [Column("fingerprint (SHA-256)" if wide else "fingerprint", whole=True),
               Column("enterprise", whole=True), Column("client id", whole=True, wide=True), Column("name"),
               Column("valid until"), Column("state")]
    rows = ([view.fingerprint if wide else view.fingerprint[:FINGERPRINT_START], view.enterprise,
             view.client_id or "", view.name, f"{view.not_after:%Y-%m-%d %H:%M} UTC",
             "revoked" if view.revoked_at else "expired" if view.not_after < now
             else "not yet valid" if view.not_before > now else "active"] for view in views)
    print_table(f"{len(views)} certificate(s)", columns, rows, wide)


@certificates_app.command("revoke")
def certificates_revoke(
    fingerprint: Annotated[str, typer.Argument(help="SHA-256 fingerprint of the certificate (hex), or its start "
                                                    "as `certificates list` shows it.")],
) -> None:
    """Revoke a certificate at once: requests signed with it are refused from now on."""
    from .domain.visibility import Caller
    from .services.certificates import list_certificates, revoke_certificate
    from .services.errors import ServiceError

    registry = make_registry(open_database())
    start = fingerprint.replace(":", "").strip().lower()
    if FINGERPRINT_START <= len(start) < 64:  # the start shown by `certificates list`: the one it begins
        matches = [view.fingerprint for view in list_certificates(registry, Caller.operator())
                   if view.fingerprint.startswith(start)]
        if len(matches) != 1:
            raise fail(f"{len(matches)} certificates have a fingerprint starting {start}: give it whole")
        fingerprint = matches[0]
    try:
        view = revoke_certificate(registry, Caller.operator(), fingerprint)
    except ServiceError as error:
        raise fail(str(error)) from None
    out.print(f"certificate {view.fingerprint} of {view.enterprise} ({view.name}) revoked", highlight=False,
              markup=False)


# --- web-service accounts ---------------------------------------------------------------------------------

CertificateFile = Annotated[Path, typer.Option("--certificate", help="The certificate, PEM or DER (never the private "
                                                                     "key).", exists=True, dir_okay=False,
                                               readable=True)]
CertificateName = Annotated[str | None, typer.Option("--certificate-name", help="A name for the certificate "
                                                     "(default: its common name, else the file name).")]


class ListFormat(StrEnum):
    table = "table"
    json = "json"


ScopeOpt = Annotated[list[str], typer.Option("--scope", metavar="SCOPE",
                                             help="A permission (repeatable; default: all, listed below).")]
# The scopes' names in narrow tables; their full names (SCOPES) in JSON and with --wide.
SCOPE_NAMES = {scope_rules.REST_ENTERPRISE: "REST enterprise", scope_rules.REST_PROFESSIONAL: "REST professional",
               scope_rules.SOAP: "SOAP"}


@accounts_app.command("create", epilog="Permissions (--scope): " + "; ".join(
    f"{scope} ({meaning})" for scope, meaning in scope_rules.SCOPES.items()))
def accounts_create(
    enterprise: Annotated[str, typer.Option(help="The enterprise: KBO/BCE number, or a foreign "
                                                          "enterprise's VAT number (DE800010107).")],
    name: Annotated[str, typer.Option(help="A name for the account.")],
    certificate: CertificateFile,
    certificate_name: CertificateName = None,
    scope: ScopeOpt = [],  # noqa: B006
) -> None:
    """Create an enterprise's web-service account with its first certificate; prints the account as one JSON
    object, with its OAuth `client_id`."""
    from .domain import scopes
    from .domain.visibility import Caller
    from .services.accounts import create_account
    from .services.errors import ServiceError

    data = certificate.read_bytes()
    registry = make_registry(open_database())
    try:
        view = create_account(registry, Caller.operator(), enterprise, name, data,
                              certificate_name or _certificate_name(data, certificate), scope or list(scopes.SCOPES))
    except ServiceError as error:
        raise fail(str(error)) from None
    print(json.dumps(view.as_json(), indent=2))


@accounts_app.command("add-certificate")
def accounts_add_certificate(
    client_id: Annotated[str, typer.Argument(help="The account's client id, self_service_expeditor_<N>.")],
    certificate: CertificateFile,
    certificate_name: CertificateName = None,
) -> None:
    """Add a certificate to an account (rollover); prints the account as JSON."""
    from .domain.visibility import Caller
    from .services.accounts import add_certificate
    from .services.errors import ServiceError

    data = certificate.read_bytes()
    registry = make_registry(open_database())
    try:
        view = add_certificate(registry, Caller.operator(), client_id, data,
                               certificate_name or _certificate_name(data, certificate))
    except ServiceError as error:
        raise fail(str(error)) from None
    print(json.dumps(view.as_json(), indent=2))


@accounts_app.command("set-scopes")
def accounts_set_scopes(
    client_id: Annotated[str, typer.Argument(help="The account's client id, self_service_expeditor_<N>.")],
    scope: Annotated[list[str], typer.Option("--scope", help="A permission (repeatable, at least one).")],
) -> None:
    """Replace an account's permissions; prints the account as JSON."""
    from .domain.visibility import Caller
    from .services.accounts import change_scopes
    from .services.errors import ServiceError

    try:
        view = change_scopes(make_registry(open_database()), Caller.operator(), client_id, scope)
    except ServiceError as error:
        raise fail(str(error)) from None
    print(json.dumps(view.as_json(), indent=2))


@accounts_app.command("list")
def accounts_list(
    enterprise: Annotated[str | None, typer.Option(help="Only this enterprise's accounts.")] = None,
    output: Annotated[ListFormat, typer.Option("--format", help="table or json.")] = ListFormat.table,
    wide: WideOpt = False,
) -> None:
    """List web-service accounts, revoked ones included (--wide: the scopes' full names, certificates)."""
    from .domain.visibility import Caller
    from .services.accounts import list_accounts
    from .services.errors import ServiceError

    registry = make_registry(open_database())
    try:
        views = list_accounts(registry, Caller.operator(), enterprise)
    except ServiceError as error:
        raise fail(str(error)) from None
    if output is ListFormat.json:
        print(json.dumps([view.as_json() for view in views], indent=2))
        return
    now = registry.clock.now()
    columns = [Column("client id", whole=True), Column("enterprise", whole=True), Column("name"),
               Column("scopes", whole=True), Column("certificates", wide=True), Column("state")]
    rows = ([view.client_id, view.enterprise, view.name,
             "\n".join(view.scopes if wide else (SCOPE_NAMES[scope] for scope in view.scopes)),
             f"{sum(1 for c in view.certificates if c.revoked_at is None and c.not_before <= now <= c.not_after)} "
             f"active of {len(view.certificates)}",
             f"revoked {view.revoked_at:%Y-%m-%d %H:%M} UTC" if view.revoked_at else "active"] for view in views)
    print_table(f"{len(views)} account(s)", columns, rows, wide)


@accounts_app.command("revoke")
def accounts_revoke(
    client_id: Annotated[str, typer.Argument(help="The account's client id, self_service_expeditor_<N>.")],
) -> None:
    """Revoke an account at once, with its certificates and its access tokens."""
    from .domain.visibility import Caller
    from .services.accounts import revoke_account
    from .services.errors import ServiceError

    try:
        view = revoke_account(make_registry(open_database()), Caller.operator(), client_id)
    except ServiceError as error:
        raise fail(str(error)) from None
    out.print(f"account {view.client_id} of {view.enterprise} ({view.name}) revoked, with its "
              f"{len(view.certificates)} certificate(s)", highlight=False, markup=False)


if __name__ == "__main__":
    app()
