"""Gateway kiosks: their public keys and where the chain of their offline entries stands.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

import presence.db.base

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('gateway_device',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('enterprise', sa.String(length=20), nullable=False),
    sa.Column('workplace', sa.String(length=13), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('public_key', sa.Text(), nullable=False),
    sa.Column('enrolled_at', presence.db.base.UTCDateTime(), nullable=False),
    sa.Column('enrolled_by', sa.String(length=64), nullable=True),
    sa.Column('revoked_at', presence.db.base.UTCDateTime(), nullable=True),
    sa.Column('last_counter', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('last_digest', sa.String(length=64), nullable=False),
    sa.Column('last_made_at', presence.db.base.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gateway_device'))
    )
    with op.batch_alter_table('gateway_device', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gateway_device_enterprise'), ['enterprise'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('gateway_device', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gateway_device_enterprise'))

    op.drop_table('gateway_device')
