"""remark index table: on PostgreSQL, the remark codes of the registrations as rows (code, date, receipt
number) in monthly partitions, kept by triggers on `registration`, instead of the GIN index of 0007: a search
by remark counts and pages from them without visiting the registrations it does not show (`db.remarks`)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from alembic import op

from presence.db import partitions

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# The three ways a registration's remarks change: stored, checked again (or moved to another date), purged.
# A registration moved to another month's partition is deleted there and inserted here: those triggers follow.
FOLLOW = """
CREATE FUNCTION registration_remark_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM registration_remark WHERE code = ANY (string_to_array(OLD.remark_codes, ' '))
            AND registration_date = OLD.registration_date AND registration_id = OLD.id;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO registration_remark (code, registration_date, registration_id)
            SELECT DISTINCT unnest(string_to_array(NEW.remark_codes, ' ')), NEW.registration_date, NEW.id;
    END IF;
    RETURN NULL;
END $$
"""
TRIGGERS = {
    'registration_remark_inserted': "AFTER INSERT ON registration FOR EACH ROW WHEN (NEW.remark_codes <> '')",
    'registration_remark_deleted': "AFTER DELETE ON registration FOR EACH ROW WHEN (OLD.remark_codes <> '')",
    'registration_remark_updated': 'AFTER UPDATE OF remark_codes, registration_date ON registration FOR EACH ROW '
                                   'WHEN (OLD.remark_codes IS DISTINCT FROM NEW.remark_codes '
                                   'OR OLD.registration_date IS DISTINCT FROM NEW.registration_date)',
}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    op.execute('CREATE TABLE registration_remark (code text NOT NULL, registration_date date NOT NULL, '
               'registration_id bigint NOT NULL, '
               'CONSTRAINT pk_registration_remark PRIMARY KEY (code, registration_date, registration_id)) '
               'PARTITION BY RANGE (registration_date)')
    today = datetime.now(ZoneInfo('Europe/Brussels')).date()
    months = partitions.existing_months(bind) | set(partitions.coming_months(today))
    partitions.create_months(bind, months, ['registration_remark'])
    op.execute("INSERT INTO registration_remark (code, registration_date, registration_id) "
               "SELECT DISTINCT unnest(string_to_array(remark_codes, ' ')), registration_date, id "
               "FROM registration WHERE remark_codes <> ''")
    # The purge deletes registrations of its last month row by row: each finds its remarks by this index.
    op.execute('CREATE INDEX ix_registration_remark_registration ON registration_remark '
               '(registration_id, registration_date)')
    op.execute(FOLLOW)
    for name, when in TRIGGERS.items():
        op.execute(f'CREATE TRIGGER {name} {when} EXECUTE FUNCTION registration_remark_follow()')
    op.execute('DROP INDEX ix_registration_remarks')
    op.execute('ANALYZE registration_remark')


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("CREATE INDEX ix_registration_remarks ON registration USING gin (string_to_array(remark_codes, ' '))")
    for name in TRIGGERS:
        op.execute(f'DROP TRIGGER {name} ON registration')
    op.execute('DROP FUNCTION registration_remark_follow()')
    op.execute('DROP TABLE registration_remark')
