"""Searching registrations by remark, as each engine can serve it."""

from __future__ import annotations

from sqlalchemy import Text, cast, func, literal_column, or_
from sqlalchemy.dialects import postgresql

from .models import Registration


def any_of(codes: list[str], dialect: str):
    """The condition "the registration's remarks include any of `codes`". On PostgreSQL the codes as an array
    overlap these: the expression of the GIN index `ix_registration_remarks` (migration 0007), written as the
    index has it (a literal separator) so that the planner recognises it. On SQLite, a match in the text."""
    if dialect == "postgresql":
        remarks = func.string_to_array(Registration.remark_codes, literal_column("' '"), type_=postgresql.ARRAY(Text))
        return remarks.op("&&")(cast(postgresql.array(codes), postgresql.ARRAY(Text)))
    return or_(*(Registration.remark_codes.contains(code) for code in codes))
