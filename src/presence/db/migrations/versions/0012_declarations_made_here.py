"""declarations made here

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import presence.db.base

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('declaration_revision',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('declaration_number', sa.String(length=13), nullable=False),
    sa.Column('changed_at', presence.db.base.UTCDateTime(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('actor_enterprise', sa.String(length=20), nullable=True),
    sa.Column('change', sa.String(length=30), nullable=False),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_declaration_revision'))
    )
    with op.batch_alter_table('declaration_revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_declaration_revision_declaration_number'), ['declaration_number'], unique=False)

    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.add_column(sa.Column('activities', sa.String(length=300), nullable=True))

    with op.batch_alter_table('work_declaration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sa.String(length=8), server_default='import', nullable=False))
        batch_op.add_column(sa.Column('description', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('contact_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('contact_email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('contact_phone', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('actors', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.add_column(sa.Column('declared_at', presence.db.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('cancelled_at', presence.db.base.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('work_declaration', schema=None) as batch_op:
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('declared_at')
        batch_op.drop_column('actors')
        batch_op.drop_column('contact_phone')
        batch_op.drop_column('contact_email')
        batch_op.drop_column('contact_name')
        batch_op.drop_column('description')
        batch_op.drop_column('origin')

    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_column('activities')

    with op.batch_alter_table('declaration_revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_declaration_revision_declaration_number'))

    op.drop_table('declaration_revision')
