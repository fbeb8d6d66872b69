"""accounts and tokens: web-service accounts, certificates linked to them, used client assertions, access tokens

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

import presence.db.base

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('account',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('enterprise', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('scopes', sa.String(length=500), nullable=False),
    sa.Column('created_at', presence.db.base.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', presence.db.base.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account'))
    )
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.create_index('uq_account_active_enterprise', ['enterprise'], unique=True, sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))

    op.create_table('used_assertion',
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('jti', sa.String(length=255), nullable=False),
    sa.Column('expires_at', presence.db.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('client_id', 'jti', name=op.f('pk_used_assertion'))
    )
    with op.batch_alter_table('used_assertion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_used_assertion_expires_at'), ['expires_at'], unique=False)

    op.create_table('access_token',
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('scopes', sa.String(length=500), nullable=False),
    sa.Column('expires_at', presence.db.base.UTCDateTime(), nullable=False),
    sa.Column('created_at', presence.db.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_access_token_account_id_account')),
    sa.PrimaryKeyConstraint('hash', name=op.f('pk_access_token'))
    )
    with op.batch_alter_table('access_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_token_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_token_expires_at'), ['expires_at'], unique=False)

    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.create_index(batch_op.f('ix_certificate_account_id'), ['account_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_certificate_account_id_account'), 'account', ['account_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_certificate_account_id_account'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_certificate_account_id'))
        batch_op.drop_column('account_id')

    with op.batch_alter_table('access_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_token_expires_at'))
        batch_op.drop_index(batch_op.f('ix_access_token_account_id'))

    op.drop_table('access_token')
    with op.batch_alter_table('used_assertion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_used_assertion_expires_at'))

    op.drop_table('used_assertion')
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_index('uq_account_active_enterprise', sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))

    op.drop_table('account')
