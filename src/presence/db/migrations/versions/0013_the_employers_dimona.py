"""The Dimona periods by employer: the people an employer may register, proposed by the online assistant.

Revision ID: 0013
Revises: 0012
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dimona_period", schema=None) as batch_op:
        batch_op.create_index("ix_dimona_period_employer", ["employer", "starts_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dimona_period", schema=None) as batch_op:
        batch_op.drop_index("ix_dimona_period_employer")
