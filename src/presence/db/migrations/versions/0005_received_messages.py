"""received messages: the signed SOAP messages already accepted, so that a replay of one is refused

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

import presence.db.base

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('received_message',
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('expires_at', presence.db.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('digest', name=op.f('pk_received_message'))
    )
    with op.batch_alter_table('received_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_received_message_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('received_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_received_message_expires_at'))

    op.drop_table('received_message')
