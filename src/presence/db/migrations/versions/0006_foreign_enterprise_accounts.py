"""foreign enterprise accounts: an account's and a certificate's enterprise may be a foreign VAT number (up to
16 characters), as the sender's already is

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

TABLES = ('account', 'certificate')


def _enterprise_length(before: int, after: int) -> None:
    if op.get_bind().dialect.name != 'sqlite':
        for table in TABLES:
            op.alter_column(table, 'enterprise', existing_type=sa.String(length=before),
                            type_=sa.String(length=after), existing_nullable=False)
        return
    # SQLite stores no length, so only the declared type changes: its documented way of changing what does not
    # touch the stored rows (https://sqlite.org/lang_altertable.html#otheralter). Copying the tables, as Alembic
    # would, cannot drop `account` while tokens and certificates refer to it.
    version = op.get_bind().exec_driver_sql('PRAGMA schema_version').scalar()
    op.execute('PRAGMA writable_schema = ON')
    for table in TABLES:
        op.execute(f"UPDATE sqlite_master SET sql = replace(sql, 'enterprise VARCHAR({before})', "
                   f"'enterprise VARCHAR({after})') WHERE type = 'table' AND name = '{table}'")
    op.execute(f'PRAGMA schema_version = {version + 1}')
    op.execute('PRAGMA writable_schema = OFF')


def upgrade() -> None:
    _enterprise_length(10, 20)


def downgrade() -> None:
    _enterprise_length(20, 10)
