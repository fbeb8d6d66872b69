"""`presence db`: the database schema."""

from __future__ import annotations

import typer

from ..db import migrate
from .common import app, fail, first_line, open_database, out

db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


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
