"""Searching registrations by remark, as each engine can serve it.

PostgreSQL keeps beside the registrations the remark index table `registration_remark`: a row (code, registration
date, receipt number) for each remark of each registration, in the same monthly partitions, kept by triggers on
`registration` (migration 0009). A week's registrations with remark CAW_01 are then counted and ordered in a few
hundred pages of that table, where the registrations themselves, one in twenty among the week's, would be read
from thousands of pages. SQLite matches the text of the remark codes.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, MetaData, Table, Text, and_, func, or_, select, tuple_
from sqlalchemy.orm import Session

from .models import Registration

# Not one of the models: PostgreSQL's alone, made and kept by the migration and its triggers.
remark_index = Table("registration_remark", MetaData(), Column("code", Text, primary_key=True),
                     Column("registration_date", Date, primary_key=True),
                     Column("registration_id", BigInteger, primary_key=True))

Period = tuple  # (first day, last day), inclusive


def any_of(codes: list[str], periods: list[Period], dialect: str):
    """The condition "the registration's remarks include any of `codes`", for registrations dated in `periods`."""
    if dialect == "postgresql":
        return tuple_(Registration.id, Registration.registration_date).in_(_matches(codes, periods))
    return or_(*(Registration.remark_codes.contains(code) for code in codes))


def page_of(session: Session, codes: list[str], periods: list[Period], first_row: int, size: int,
            descending: bool) -> tuple[int, list[Registration]] | None:
    """The registrations dated in `periods` with any of `codes`: their number and one page of them by receipt
    number, counted and ordered in the remark index alone (PostgreSQL; one statement). None where there is no
    such index (SQLite: search with `any_of`) or when the page is past the last one."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    matches = _matches(codes, periods).subquery()
    receipt = matches.c.registration_id.desc() if descending else matches.c.registration_id.asc()
    page = (select(matches, func.count().over().label("total")).order_by(receipt)
            .offset(first_row).limit(size).subquery())
    found = session.execute(
        select(Registration, page.c.total).join(page, and_(Registration.id == page.c.registration_id,
                                                           Registration.registration_date == page.c.registration_date))
        .order_by(Registration.id.desc() if descending else Registration.id.asc())).all()
    if not found:
        return None
    return found[0].total, [row.Registration for row in found]


def _matches(codes: list[str], periods: list[Period]):
    """(receipt number, date) of each registration with any of `codes` dated in `periods`, once."""
    dated = or_(*(remark_index.c.registration_date.between(first, last) for first, last in periods))
    return (select(remark_index.c.registration_id, remark_index.c.registration_date)
            .where(remark_index.c.code.in_(codes), dated).distinct())
