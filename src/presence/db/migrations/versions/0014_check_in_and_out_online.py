"""Check In and Out at Work online: whether a check-in stood within the workplace's radius, the enterprises'
setting for their workers' positions, the workers' error reports, and the correction requests to the back office
with their supporting documents.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

import presence.db.base

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('correction_request',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('registration_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('registration_date', sa.Date(), nullable=False),
    sa.Column('requester_enterprise', sa.String(length=20), nullable=True),
    sa.Column('requester_inss', sa.String(length=11), nullable=True),
    sa.Column('requester_id', sa.String(length=64), nullable=False),
    sa.Column('corrected_at', presence.db.base.UTCDateTime(), nullable=True),
    sa.Column('corrected_direction', sa.String(length=3), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('requested_at', presence.db.base.UTCDateTime(), nullable=False),
    sa.Column('answer_by', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('decided_at', presence.db.base.UTCDateTime(), nullable=True),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('error_report_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_correction_request'))
    )
    with op.batch_alter_table('correction_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_correction_request_registration_id'), ['registration_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_correction_request_requested_at'), ['requested_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_correction_request_requester_enterprise'), ['requester_enterprise'], unique=False)

    op.create_table('enterprise_setting',
    sa.Column('enterprise', sa.String(length=20), nullable=False),
    sa.Column('keep_positions', sa.Boolean(), nullable=False),
    sa.Column('updated_at', presence.db.base.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('enterprise', name=op.f('pk_enterprise_setting'))
    )
    op.create_table('error_report',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('registration_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('registration_date', sa.Date(), nullable=False),
    sa.Column('inss', sa.String(length=11), nullable=False),
    sa.Column('employer', sa.String(length=20), nullable=False),
    sa.Column('what_is_wrong', sa.Text(), nullable=False),
    sa.Column('should_be', sa.Text(), nullable=False),
    sa.Column('reported_at', presence.db.base.UTCDateTime(), nullable=False),
    sa.Column('request_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_error_report'))
    )
    with op.batch_alter_table('error_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_error_report_employer'), ['employer'], unique=False)
        batch_op.create_index(batch_op.f('ix_error_report_registration_id'), ['registration_id'], unique=False)

    op.create_table('correction_document',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('request_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('media_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['correction_request.id'], name=op.f('fk_correction_document_request_id_correction_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_correction_document'))
    )
    with op.batch_alter_table('correction_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_correction_document_request_id'), ['request_id'], unique=False)

    # A plain ALTER on both engines: the partitioned table's months take the column (PostgreSQL), and SQLite's
    # table keeps its AUTOINCREMENT (a batch copy would not be needed).
    op.add_column('registration', sa.Column('within_radius', sa.Boolean(), nullable=True))



def downgrade() -> None:
    op.drop_column('registration', 'within_radius')  # SQLite 3.35+ drops a column in place

    with op.batch_alter_table('correction_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_correction_document_request_id'))

    op.drop_table('correction_document')
    with op.batch_alter_table('error_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_error_report_registration_id'))
        batch_op.drop_index(batch_op.f('ix_error_report_employer'))

    op.drop_table('error_report')
    op.drop_table('enterprise_setting')
    with op.batch_alter_table('correction_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_correction_request_requester_enterprise'))
        batch_op.drop_index(batch_op.f('ix_correction_request_requested_at'))
        batch_op.drop_index(batch_op.f('ix_correction_request_registration_id'))

    op.drop_table('correction_request')
