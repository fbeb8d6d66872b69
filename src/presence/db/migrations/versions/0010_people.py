"""people who sign in: accounts, recovery codes, sessions, role grants

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

import presence.db.base

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('web_user',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('national_number', sa.String(length=11), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=True),
    sa.Column('password_hash', sa.String(length=200), nullable=True),
    sa.Column('totp_secret', sa.String(length=64), nullable=True),
    sa.Column('totp_last_step', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('staff', sa.String(length=12), nullable=True),
    sa.Column('enrolment_token_hash', sa.String(length=64), nullable=True),
    sa.Column('enrolment_expires_at', presence.db.base.UTCDateTime(), nullable=True),
    sa.Column('created_at', presence.db.base.UTCDateTime(), nullable=False),
    sa.Column('credentials_changed_at', presence.db.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_user')),
    sa.UniqueConstraint('email', name=op.f('uq_web_user_email')),
    sa.UniqueConstraint('enrolment_token_hash', name=op.f('uq_web_user_enrolment_token_hash')),
    sa.UniqueConstraint('national_number', name=op.f('uq_web_user_national_number'))
    )
    op.create_table('recovery_code',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('used_at', presence.db.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['web_user.id'], name=op.f('fk_recovery_code_user_id_web_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_code'))
    )
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_code_user_id'), ['user_id'], unique=False)

    op.create_table('role_grant',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('enterprise', sa.String(length=20), nullable=False),
    sa.Column('national_number', sa.String(length=11), nullable=False),
    sa.Column('role', sa.String(length=30), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('granted_at', presence.db.base.UTCDateTime(), nullable=False),
    sa.Column('granted_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('revoked_at', presence.db.base.UTCDateTime(), nullable=True),
    sa.Column('revoked_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['granted_by'], ['web_user.id'], name=op.f('fk_role_grant_granted_by_web_user')),
    sa.ForeignKeyConstraint(['revoked_by'], ['web_user.id'], name=op.f('fk_role_grant_revoked_by_web_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_grant'))
    )
    with op.batch_alter_table('role_grant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_role_grant_enterprise'), ['enterprise'], unique=False)
        batch_op.create_index(batch_op.f('ix_role_grant_national_number'), ['national_number'], unique=False)

    op.create_table('user_session',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('enterprise', sa.String(length=20), nullable=True),
    sa.Column('created_at', presence.db.base.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', presence.db.base.UTCDateTime(), nullable=False),
    sa.Column('expires_at', presence.db.base.UTCDateTime(), nullable=False),
    sa.Column('ended_at', presence.db.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['web_user.id'], name=op.f('fk_user_session_user_id_web_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_user_session'))
    )
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_session_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_session_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_session_user_id'))
        batch_op.drop_index(batch_op.f('ix_user_session_expires_at'))

    op.drop_table('user_session')
    with op.batch_alter_table('role_grant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_role_grant_national_number'))
        batch_op.drop_index(batch_op.f('ix_role_grant_enterprise'))

    op.drop_table('role_grant')
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_code_user_id'))

    op.drop_table('recovery_code')
    op.drop_table('web_user')
