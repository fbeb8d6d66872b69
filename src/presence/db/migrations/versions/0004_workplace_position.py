"""workplace position: an index on the declared workplaces' coordinates, for the look-up of places near a point

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('work_declaration', schema=None) as batch_op:
        batch_op.create_index('ix_work_declaration_position', ['latitude', 'longitude'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('work_declaration', schema=None) as batch_op:
        batch_op.drop_index('ix_work_declaration_position')
