"""Storage: SQLAlchemy 2 models, Alembic migrations, engine set-up (SQLite default, PostgreSQL)."""
