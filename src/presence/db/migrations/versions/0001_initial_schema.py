"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import presence.db.base

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('occurred_at', presence.db.base.UTCDateTime(), nullable=False),
    sa.Column('actor_kind', sa.String(length=20), nullable=False),
    sa.Column('actor_id', sa.String(length=64), nullable=True),
    sa.Column('actor_enterprise', sa.String(length=20), nullable=True),
    sa.Column('channel', sa.String(length=12), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('subject_type', sa.String(length=30), nullable=False),
    sa.Column('subject_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_occurred', ['occurred_at'], unique=False)

    op.create_table('dimona_period',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('dimona_id', sa.String(length=20), nullable=False),
    sa.Column('inss', sa.String(length=11), nullable=False),
    sa.Column('employer', sa.String(length=10), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('worker_type', sa.String(length=3), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dimona_period')),
    sa.UniqueConstraint('dimona_id', name=op.f('uq_dimona_period_dimona_id'))
    )
    with op.batch_alter_table('dimona_period', schema=None) as batch_op:
        batch_op.create_index('ix_dimona_period_inss_employer', ['inss', 'employer'], unique=False)

    op.create_table('employer_period',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('enterprise', sa.String(length=20), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employer_period')),
    sa.UniqueConstraint('enterprise', 'starts_on', name=op.f('uq_employer_period_enterprise_starts_on'))
    )
    op.create_table('enterprise',
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('natural_person', sa.Boolean(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('updated_at', presence.db.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('number', name=op.f('pk_enterprise'))
    )
    op.create_table('job',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('run_after', presence.db.base.UTCDateTime(), nullable=False),
    sa.Column('lease_until', presence.db.base.UTCDateTime(), nullable=True),
    sa.Column('claim_token', sa.String(length=40), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', presence.db.base.UTCDateTime(), nullable=False),
    sa.Column('finished_at', presence.db.base.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job'))
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index('ix_job_claimable', ['state', 'run_after'], unique=False)

    op.create_table('limosa_declaration',
    sa.Column('number', sa.String(length=17), nullable=False),
    sa.Column('employer', sa.String(length=20), nullable=False),
    sa.Column('employer_name', sa.String(length=200), nullable=False),
    sa.Column('inss', sa.String(length=11), nullable=True),
    sa.Column('given_name', sa.String(length=100), nullable=False),
    sa.Column('family_name', sa.String(length=100), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('updated_at', presence.db.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('number', name=op.f('pk_limosa_declaration'))
    )
    with op.batch_alter_table('limosa_declaration', schema=None) as batch_op:
        batch_op.create_index('ix_limosa_declaration_inss', ['inss', 'employer'], unique=False)

    op.create_table('mandate',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('enterprise', sa.String(length=20), nullable=False),
    sa.Column('inss', sa.String(length=11), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mandate')),
    sa.UniqueConstraint('enterprise', 'inss', 'role', 'starts_on', name=op.f('uq_mandate_enterprise_inss_role_starts_on'))
    )
    with op.batch_alter_table('mandate', schema=None) as batch_op:
        batch_op.create_index('ix_mandate_inss', ['inss'], unique=False)

    op.create_table('person',
    sa.Column('inss', sa.String(length=11), nullable=False),
    sa.Column('given_name', sa.String(length=100), nullable=False),
    sa.Column('family_name', sa.String(length=100), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('updated_at', presence.db.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('inss', name=op.f('pk_person'))
    )
    op.create_table('registration',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('regime', sa.String(length=8), nullable=False),
    sa.Column('sector', sa.SmallInteger(), nullable=True),
    sa.Column('registration_date', sa.Date(), nullable=False),
    sa.Column('clocked_at', presence.db.base.UTCDateTime(), nullable=True),
    sa.Column('direction', sa.String(length=3), nullable=True),
    sa.Column('inss', sa.String(length=11), nullable=True),
    sa.Column('limosa_id', sa.String(length=17), nullable=True),
    sa.Column('enterprise_number', sa.String(length=10), nullable=True),
    sa.Column('foreign_vat', sa.String(length=20), nullable=True),
    sa.Column('workplace', sa.String(length=13), nullable=False),
    sa.Column('client_reference', sa.String(length=50), nullable=True),
    sa.Column('activity', sa.String(length=16), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('post_code', sa.String(length=4), nullable=True),
    sa.Column('municipality', sa.String(length=100), nullable=True),
    sa.Column('street', sa.String(length=150), nullable=True),
    sa.Column('house_number', sa.String(length=20), nullable=True),
    sa.Column('box', sa.String(length=20), nullable=True),
    sa.Column('channel', sa.String(length=12), nullable=False),
    sa.Column('sender_enterprise', sa.String(length=20), nullable=True),
    sa.Column('sender_id', sa.String(length=64), nullable=True),
    sa.Column('sender_user_type', sa.String(length=20), nullable=True),
    sa.Column('created_at', presence.db.base.UTCDateTime(), nullable=False),
    sa.Column('lifecycle', sa.String(length=10), nullable=False),
    sa.Column('lifecycle_at', presence.db.base.UTCDateTime(), nullable=False),
    sa.Column('validity', sa.String(length=8), nullable=False),
    sa.Column('remark_codes', sa.String(length=200), nullable=False),
    sa.Column('validated_at', presence.db.base.UTCDateTime(), nullable=True),
    sa.Column('cancellation_reason', sa.String(length=15), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registration')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.create_index('ix_registration_date', ['registration_date'], unique=False)
        batch_op.create_index('ix_registration_enterprise_date', ['enterprise_number', 'registration_date'], unique=False)
        batch_op.create_index('ix_registration_foreign_vat_date', ['foreign_vat', 'registration_date'], unique=False)
        batch_op.create_index('ix_registration_inss_date', ['inss', 'registration_date'], unique=False)
        batch_op.create_index('ix_registration_limosa_date', ['limosa_id', 'registration_date'], unique=False)
        batch_op.create_index('ix_registration_sender', ['sender_enterprise', 'registration_date'], unique=False)
        batch_op.create_index('ix_registration_workplace_date', ['workplace', 'registration_date'], unique=False)

    op.create_table('sender',
    sa.Column('number', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('enterprise', sa.String(length=20), nullable=False),
    sa.Column('created_at', presence.db.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('number', name=op.f('pk_sender')),
    sa.UniqueConstraint('enterprise', name=op.f('uq_sender_enterprise'))
    )
    op.create_table('work_declaration',
    sa.Column('number', sa.String(length=13), nullable=False),
    sa.Column('sector', sa.SmallInteger(), nullable=False),
    sa.Column('client', sa.String(length=20), nullable=False),
    sa.Column('client_name', sa.String(length=200), nullable=False),
    sa.Column('declaring_contractor', sa.String(length=20), nullable=False),
    sa.Column('street', sa.String(length=150), nullable=False),
    sa.Column('house_number', sa.String(length=20), nullable=False),
    sa.Column('post_code', sa.String(length=4), nullable=False),
    sa.Column('municipality', sa.String(length=100), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('amount_eur', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('subject_to_registration', sa.Boolean(), nullable=False),
    sa.Column('updated_at', presence.db.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('number', name=op.f('pk_work_declaration'))
    )
    with op.batch_alter_table('work_declaration', schema=None) as batch_op:
        batch_op.create_index('ix_work_declaration_client', ['client'], unique=False)
        batch_op.create_index('ix_work_declaration_contractor', ['declaring_contractor'], unique=False)

    op.create_table('contract',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('declaration_number', sa.String(length=13), nullable=False),
    sa.Column('enterprise', sa.String(length=20), nullable=False),
    sa.Column('parent', sa.String(length=20), nullable=True),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('amount_eur', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.ForeignKeyConstraint(['declaration_number'], ['work_declaration.number'], name=op.f('fk_contract_declaration_number_work_declaration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract')),
    sa.UniqueConstraint('declaration_number', 'enterprise', 'starts_on', name=op.f('uq_contract_declaration_number_enterprise_starts_on'))
    )
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.create_index('ix_contract_enterprise', ['enterprise'], unique=False)

    op.create_table('revision',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('registration_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('revised_at', presence.db.base.UTCDateTime(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('justification', sa.Text(), nullable=False),
    sa.Column('before', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('after', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_revision_registration_id_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_revision'))
    )
    with op.batch_alter_table('revision', schema=None) as batch_op:
        batch_op.create_index('ix_revision_registration', ['registration_id', 'id'], unique=False)

    op.create_table('validation',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('registration_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('validated_at', presence.db.base.UTCDateTime(), nullable=False),
    sa.Column('validity', sa.String(length=8), nullable=False),
    sa.Column('remark_codes', sa.String(length=200), nullable=False),
    sa.Column('trigger', sa.String(length=40), nullable=False),
    sa.Column('job_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_validation_registration_id_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_validation'))
    )
    with op.batch_alter_table('validation', schema=None) as batch_op:
        batch_op.create_index('ix_validation_registration', ['registration_id', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('validation', schema=None) as batch_op:
        batch_op.drop_index('ix_validation_registration')

    op.drop_table('validation')
    with op.batch_alter_table('revision', schema=None) as batch_op:
        batch_op.drop_index('ix_revision_registration')

    op.drop_table('revision')
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_index('ix_contract_enterprise')

    op.drop_table('contract')
    with op.batch_alter_table('work_declaration', schema=None) as batch_op:
        batch_op.drop_index('ix_work_declaration_contractor')
        batch_op.drop_index('ix_work_declaration_client')

    op.drop_table('work_declaration')
    op.drop_table('sender')
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_index('ix_registration_workplace_date')
        batch_op.drop_index('ix_registration_sender')
        batch_op.drop_index('ix_registration_limosa_date')
        batch_op.drop_index('ix_registration_inss_date')
        batch_op.drop_index('ix_registration_foreign_vat_date')
        batch_op.drop_index('ix_registration_enterprise_date')
        batch_op.drop_index('ix_registration_date')

    op.drop_table('registration')
    op.drop_table('person')
    with op.batch_alter_table('mandate', schema=None) as batch_op:
        batch_op.drop_index('ix_mandate_inss')

    op.drop_table('mandate')
    with op.batch_alter_table('limosa_declaration', schema=None) as batch_op:
        batch_op.drop_index('ix_limosa_declaration_inss')

    op.drop_table('limosa_declaration')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index('ix_job_claimable')

    op.drop_table('job')
    op.drop_table('enterprise')
    op.drop_table('employer_period')
    with op.batch_alter_table('dimona_period', schema=None) as batch_op:
        batch_op.drop_index('ix_dimona_period_inss_employer')

    op.drop_table('dimona_period')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_occurred')

    op.drop_table('audit_event')
