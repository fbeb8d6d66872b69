"""What every `presence` command shares: the application, its messages and exit codes, tables, and the way to the
database and the services."""

from __future__ import annotations

import logging
import sys
from typing import Annotated, NamedTuple

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table
from typer._click import exceptions as usage  # typer carries its own click: its errors are these

from ..clock import SystemClock
from ..config import get_settings
from ..db import migrate
from ..db.engine import Database
from ..domain.visibility import Caller
from ..logs import configure_logging
from ..services.errors import ServiceError
from ..services.runtime import Runtime

app = typer.Typer(help="presence: the presence registration registry.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)

# Messages are never wrapped: one line each, whatever the terminal's width (tables wrap their own cells).
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
log = logging.getLogger("presence")


def fail(message: str, code: int = 1) -> typer.Exit:
    """Say what is wrong on one line of stderr; raise the answer, with the README's exit code (1 rejected input,
    2 bad usage or an unusable database)."""
    err.print(f"[bold red]error:[/] {escape(' '.join(message.split()))}", highlight=False)
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


def make_runtime(db: Database) -> Runtime:
    return Runtime(db=db, clock=SystemClock(), environment=get_settings().environment)


def as_operator(service, *args, runtime: Runtime | None = None, code: int = 1, **options):
    """`service(runtime, the operator, *args, **options)` on the database of the settings (or `runtime`): what
    it answers, or its refusal (`ServiceError`) as one line on stderr and exit code `code`."""
    runtime = runtime or make_runtime(open_database())
    try:
        return service(runtime, Caller.operator(), *args, **options)
    except ServiceError as error:
        raise fail(str(error), code) from None
