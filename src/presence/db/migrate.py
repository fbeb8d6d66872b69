"""Schema migrations, run by `presence db upgrade` (and by `presence serve` on the embedded database)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from . import partitions
from .engine import Database
from .models import POSTGRESQL_HISTORY_KEYS, POSTGRESQL_ONLY_TABLES

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def comparison(dialect: str) -> dict:
    """How autogenerate compares the models with a database of this engine: column types too, and without what
    only the migrations know (on PostgreSQL: the remark index table, the monthly partitions and the history's
    foreign keys that include the registration date)."""
    def include_name(name, type_, parent_names) -> bool:
        return not (type_ == "table" and (partitions.is_partition(name) or name in POSTGRESQL_ONLY_TABLES))

    def include_object(obj, name, type_, reflected, compare_to) -> bool:
        if type_ == "foreign_key_constraint" and dialect == "postgresql":
            # PostgreSQL shows the key to a partitioned table once more for each of its partitions.
            return name not in POSTGRESQL_HISTORY_KEYS and not partitions.is_partition(obj.referred_table.name)
        return True

    return {"compare_type": True, "include_name": include_name, "include_object": include_object}


def upgrade(db: Database, revision: str = "head") -> None:
    config = alembic_config(db.url)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_up_to_date(db: Database) -> bool:
    return current_revision(db) == head_revision()
