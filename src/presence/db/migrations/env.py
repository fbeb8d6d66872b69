"""Alembic environment: the URL comes from the caller (`presence db upgrade`), never from a file."""

from alembic import context

from presence.db.engine import create_db_engine
from presence.db.metadata import metadata
from presence.db.migrate import comparison

config = context.config


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_db_engine(config.get_main_option("sqlalchemy.url"))
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        **comparison(connection.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
