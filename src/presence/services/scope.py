"""The consultation scope of `domain.visibility`, as a filter on the registration table."""

from __future__ import annotations

from sqlalchemy import and_, false, or_, select, true

from ..db.models import Registration
from ..domain.visibility import Scope
from ..sources.models import LimosaDeclaration, WorkDeclaration


def scope_filter(scope: Scope | None):
    if scope is None:
        return false()
    if scope.everything:
        return true()
    if scope.person:
        return and_(Registration.inss == scope.person, Registration.limosa_id.is_(None))
    enterprise = scope.enterprise
    # The workplaces of the declarations the enterprise made (contractor) or ordered (client).
    workplaces = select(WorkDeclaration.number).where(
        or_(WorkDeclaration.declaring_contractor == enterprise, WorkDeclaration.client == enterprise)
    )
    # A foreign employer's posted workers registered by Limosa number: the Limosa declaration names it.
    postings = select(LimosaDeclaration.number).where(LimosaDeclaration.employer == enterprise)
    return or_(
        Registration.enterprise_number == enterprise,
        Registration.foreign_vat == enterprise,
        Registration.sender_enterprise == enterprise,
        Registration.workplace.in_(workplaces),
        Registration.limosa_id.in_(postings),
    )
