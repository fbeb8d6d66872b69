"""monthly partitions: the history (validations, revisions) carries its registration's date; on PostgreSQL the
registrations and their history are partitioned by month of that date (`db.partitions`), moving the rows there
without changing an id or a sequence

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

from presence.db import partitions

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

HISTORY = ('validation', 'revision')
TABLES = ('registration', *HISTORY)
INDEXES = {
    'registration': {
        'ix_registration_date': 'registration_date',
        'ix_registration_enterprise_date': 'enterprise_number, registration_date',
        'ix_registration_foreign_vat_date': 'foreign_vat, registration_date',
        'ix_registration_inss_date': 'inss, registration_date',
        'ix_registration_limosa_date': 'limosa_id, registration_date',
        'ix_registration_sender': 'sender_enterprise, registration_date',
        'ix_registration_workplace_date': 'workplace, registration_date',
        'ix_registration_remarks': "string_to_array(remark_codes, ' ')",  # GIN (0007)
    },
    'validation': {'ix_validation_registration': 'registration_id, id'},
    'revision': {'ix_revision_registration': 'registration_id, id'},
}
OLD = '{}_unpartitioned'


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        _partition()
        return
    for table in HISTORY:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column('registration_date', sa.Date(), nullable=True))
        op.execute(f'UPDATE {table} SET registration_date = '
                   f'(SELECT registration_date FROM registration WHERE registration.id = {table}.registration_id)')
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column('registration_date', existing_type=sa.Date(), nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        _unpartition()
        return
    for table in HISTORY:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column('registration_date')


def _partition() -> None:
    bind = op.get_bind()
    if bind.dialect.server_version_info < (15,):
        # Before 15, moving a registration to another month (a corrected date) deleted its history through the
        # foreign key's ON DELETE CASCADE instead of following it.
        raise RuntimeError('the registry needs PostgreSQL 15 or later')
    _set_aside()
    op.execute(f"CREATE TABLE registration (LIKE {OLD.format('registration')} INCLUDING DEFAULTS) "
               "PARTITION BY RANGE (registration_date)")
    for table in HISTORY:
        op.execute(f'CREATE TABLE {table} (LIKE {OLD.format(table)} INCLUDING DEFAULTS, '
                   'registration_date date NOT NULL) PARTITION BY RANGE (registration_date)')

    today = datetime.now(ZoneInfo('Europe/Brussels')).date()
    with_rows = bind.exec_driver_sql("SELECT DISTINCT date_trunc('month', registration_date)::date "
                                     f"FROM {OLD.format('registration')}").scalars()
    partitions.create_months(bind, [*with_rows, *partitions.coming_months(today)], TABLES)

    op.execute(f"INSERT INTO registration SELECT * FROM {OLD.format('registration')}")
    for table in HISTORY:
        columns = ', '.join(f'h.{c}' for c in _columns(OLD.format(table)))
        op.execute(f'INSERT INTO {table} SELECT {columns}, r.registration_date FROM {OLD.format(table)} h '
                   f"JOIN {OLD.format('registration')} r ON r.id = h.registration_id")

    # Indexes once the rows are in: built in one pass each, rather than grown row by row.
    for table in TABLES:
        op.execute(f'ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY (id, registration_date)')
        _create_indexes(table)
    for table in HISTORY:
        op.execute(f'ALTER TABLE {table} ADD CONSTRAINT fk_{table}_registration_id_registration '
                   'FOREIGN KEY (registration_id, registration_date) REFERENCES registration (id, registration_date) '
                   'ON DELETE CASCADE ON UPDATE CASCADE')
    _take_back()


def _unpartition() -> None:
    _set_aside()
    for table in TABLES:
        op.execute(f'CREATE TABLE {table} (LIKE {OLD.format(table)} INCLUDING DEFAULTS)')
        if table != 'registration':
            op.execute(f'ALTER TABLE {table} DROP COLUMN registration_date')
        columns = ', '.join(_columns(table))
        op.execute(f'INSERT INTO {table} SELECT {columns} FROM {OLD.format(table)}')
        op.execute(f'ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY (id)')
        _create_indexes(table)
    for table in HISTORY:
        op.execute(f'ALTER TABLE {table} ADD CONSTRAINT fk_{table}_registration_id_registration '
                   'FOREIGN KEY (registration_id) REFERENCES registration (id) ON DELETE CASCADE')
    _take_back()


def _set_aside() -> None:
    """Rename the three tables out of the way, with their keys, and drop their indexes (their names are
    needed for the new tables, and the old tables are only read once, whole). The sequences stay, for the new
    tables to go on numbering where the old ones were."""
    for table in HISTORY:
        op.execute(f'ALTER TABLE {table} DROP CONSTRAINT fk_{table}_registration_id_registration')
    for table in TABLES:
        op.execute(f'ALTER SEQUENCE {table}_id_seq OWNED BY NONE')
        op.execute(f'ALTER TABLE {table} RENAME TO {OLD.format(table)}')
        op.execute(f'ALTER TABLE {OLD.format(table)} RENAME CONSTRAINT pk_{table} TO pk_{OLD.format(table)}')
        for index in INDEXES[table]:
            op.execute(f'DROP INDEX IF EXISTS {index}')


def _take_back() -> None:
    for table in TABLES:
        op.execute(f'ALTER SEQUENCE {table}_id_seq OWNED BY {table}.id')
    for table in reversed(TABLES):
        op.execute(f'DROP TABLE {OLD.format(table)}')
    for table in TABLES:
        op.execute(f'ANALYZE {table}')


def _create_indexes(table: str) -> None:
    for index, columns in INDEXES[table].items():
        gin = 'USING gin ' if index == 'ix_registration_remarks' else ''
        op.execute(f'CREATE INDEX {index} ON {table} {gin}({columns})')


def _columns(table: str) -> list[str]:
    return [c['name'] for c in sa.inspect(op.get_bind()).get_columns(table)]
