"""registration remarks index: on PostgreSQL, the remark codes as an array under a GIN index, so that a search by
remark is served by an index (SQLite keeps matching the text)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("CREATE INDEX ix_registration_remarks ON registration USING gin (string_to_array(remark_codes, ' '))")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP INDEX ix_registration_remarks')
