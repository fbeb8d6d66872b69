"""What a caller may consult (`domain.visibility.consultation_visibility`), as a filter on the registration table.

What an enterprise may consult is named by the workplaces it declared or ordered and the Limosa declarations of
its posted workers: they are read first and given to the filter as lists, so that each branch of the filter is served by
an index of the registration table (workplace, date; limosa, date). As subqueries (`workplace IN (SELECT ...)`)
no index served them: PostgreSQL then expected a large share of the table to match and walked the primary key
in id order to find a page, reading millions of rows for an enterprise's "my registrations this week".
"""

from __future__ import annotations

from sqlalchemy import and_, false, or_, select, true
from sqlalchemy.orm import Session

from ...db.models import Registration
from ...domain.visibility import Visibility
from ...sources.models import LimosaDeclaration, WorkDeclaration

# Past this many workplaces or postings, the list is left to the database as a subquery: a statement holds a
# bounded number of parameters (SQLite: 32,766), and so many workplaces are a large share of the table anyway.
MAX_LISTED = 5_000


def visibility_filter(session: Session, visibility: Visibility | None):
    """The condition on `Registration` that keeps what `visibility` may consult."""
    if visibility is None:
        return false()
    if visibility.everything:
        return true()
    if visibility.person:
        return and_(Registration.inss == visibility.person, Registration.limosa_id.is_(None))
    enterprise = visibility.enterprise
    # The workplaces of the declarations the enterprise made (contractor) or ordered (client).
    workplaces = select(WorkDeclaration.number).where(
        or_(WorkDeclaration.declaring_contractor == enterprise, WorkDeclaration.client == enterprise))
    # A foreign employer's posted workers registered by Limosa number: the Limosa declaration names it.
    postings = select(LimosaDeclaration.number).where(LimosaDeclaration.employer == enterprise)
    return or_(
        Registration.enterprise_number == enterprise,
        Registration.foreign_vat == enterprise,
        Registration.sender_enterprise == enterprise,
        Registration.workplace.in_(_listed(session, workplaces)),
        Registration.limosa_id.in_(_listed(session, postings)),
    )


def _listed(session: Session, query):
    """The values `query` selects, as a list (none: an IN that matches nothing), or the query itself when they
    are too many to list."""
    values = session.scalars(query.limit(MAX_LISTED + 1)).all()
    return values if len(values) <= MAX_LISTED else query
