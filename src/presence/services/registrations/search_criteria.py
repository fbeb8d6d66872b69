"""The identifiers of a search, parsed and checked as a registration's are, for every channel (SOAP, REST, the
command line): a malformed number is refused, naming its field, rather than matching nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from ...domain.errors import ErrorCode
from ...domain.identifiers import (
    InvalidIdentifier,
    is_belgian_enterprise_number,
    parse_any_enterprise,
    parse_enterprise_number,
    parse_foreign_vat,
    parse_inss,
    parse_work_declaration_number,
)
from ..errors import InvalidRequest
from .consulting import SearchCriteria

# Criteria fields, as `InvalidRequest.field` names them (a channel renders them in its own words).
INSS = "criteria.inss"
ENTERPRISE = "criteria.enterprise"
ENTERPRISE_NUMBER = "criteria.enterprise_number"
FOREIGN_VAT = "criteria.foreign_vat"
WORKPLACE = "criteria.workplace"


def search_criteria(periods: list[tuple[date, date]], *, inss: str | None = None, enterprise: str | None = None,
                    enterprise_number: str | None = None, foreign_vat: str | None = None,
                    workplace: str | None = None, **others) -> SearchCriteria:
    """Criteria of a search, from what a channel received (None: not given). `enterprise`: a KBO/BCE number or a
    foreign VAT number, whichever it is; `others`: the other fields of `SearchCriteria`, as they are.

    `InvalidRequest` for a malformed identifier: its field (`INSS`, ...), its error code, and a message that
    names the field but never repeats the number."""
    criteria = SearchCriteria(periods=periods, **others)
    criteria.inss = _parsed(parse_inss, inss, INSS, ErrorCode.INSS_INVALID)
    criteria.enterprise_number = _parsed(parse_enterprise_number, enterprise_number, ENTERPRISE_NUMBER,
                                         ErrorCode.ENTERPRISE_INVALID)
    criteria.foreign_vat = _parsed(parse_foreign_vat, foreign_vat, FOREIGN_VAT, ErrorCode.FOREIGN_VAT_INVALID)
    number = _parsed(parse_any_enterprise, enterprise, ENTERPRISE, ErrorCode.ENTERPRISE_INVALID)
    if number is not None:
        if is_belgian_enterprise_number(number):
            criteria.enterprise_number = number
        else:
            criteria.foreign_vat = number
    criteria.workplace = _parsed(parse_work_declaration_number, workplace, WORKPLACE, ErrorCode.WORKPLACE_INVALID)
    return criteria


def _parsed(parse: Callable[[str], str], value: str | None, field: str, code: ErrorCode) -> str | None:
    if value is None:
        return None
    try:
        return parse(value)
    except InvalidIdentifier as error:
        raise InvalidRequest(str(error), field, code) from None
