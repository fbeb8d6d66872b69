import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from presence.db import migrate
from presence.db.metadata import metadata


def test_migrations_build_exactly_the_models(db):
    """Nobody changed a model without writing its migration (on both engines)."""
    assert migrate.is_up_to_date(db)
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts=migrate.comparison(db.engine.dialect.name))
        assert compare_metadata(context, metadata) == []


def test_sqlite_runs_in_wal_with_foreign_keys(db):
    if not db.is_sqlite:
        pytest.skip("a SQLite setting")
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_upgrade_is_idempotent(db):
    migrate.upgrade(db)
    assert "registration" in inspect(db.engine).get_table_names()
