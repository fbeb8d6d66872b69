"""The four operations: XML request -> service call -> XML response, in the contract's names and order.

No rule lives here: items are handed to the services as raw values, which check them like every channel's.
"""

from __future__ import annotations

import copy
from datetime import date, datetime

from lxml import etree

from ...clock import BRUSSELS
from ...domain.channels import Channel
from ...domain.errors import ErrorCode, ItemError
from ...domain.identifiers import (
    InvalidIdentifier,
    parse_enterprise_number,
    parse_inss,
    parse_work_declaration_number,
)
from ...domain.registration import Submission
from ...domain.remarks import CATALOGUE, SOAP_REMARKS
from ...domain.sectors import Regime, Sector
from ...domain.statuses import SoapStatus, Validity
from ...domain.visibility import Caller
from ...services import cancelling, consulting, registering
from ...services.cancelling import Cancelled, CancelRequest
from ...services.consulting import Page, SearchCriteria, Sort, SortKey
from ...services.context import Registry
from ...services.errors import InvalidRequest
from ...services.registering import Accepted
from ...services.views import PresenceView
from .namespaces import NSMAP, p, t

SOAP_SECTORS = {int(Sector.CONSTRUCTION), int(Sector.GUARDING), int(Sector.MEAT)}


# --- reading ----------------------------------------------------------------------------------------------

def _text(parent: etree._Element, name: str) -> str | None:
    element = parent.find(t(name))
    if element is None or element.text is None:
        return None
    return element.text.strip()


def _date(text: str | None) -> date | None:
    """An xs:date, which may carry a zone (ignored: a registration date is a Belgian calendar day)."""
    if text is None:
        return None
    return date.fromisoformat(text[:10])


def _instant(text: str | None) -> datetime | None:
    """An xs:dateTime; without a zone it is Belgian local time, as the contract's own dates are."""
    if text is None:
        return None
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=BRUSSELS)


# --- writing ----------------------------------------------------------------------------------------------

def _add(parent: etree._Element, name: str, value=None) -> etree._Element:
    element = etree.SubElement(parent, t(name))
    if value is not None:
        element.text = str(value)
    return element


def local_time(instant: datetime) -> str:
    """Belgian local time without zone, with milliseconds, e.g. 2013-12-01T16:00:00.769."""
    local = instant.astimezone(BRUSSELS)
    return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}"


def _echo(parent: etree._Element, name: str, request: etree._Element) -> etree._Element:
    """An element `name` holding copies of the request element's children, as the client sent them."""
    echo = _add(parent, name)
    echo.extend(copy.deepcopy(child) for child in request if isinstance(child.tag, str))
    return echo


def _remark_text(code) -> str:
    remark = CATALOGUE[code]
    return remark.soap_text or remark.labels["en"]


def _validation(parent, name: str, status: SoapStatus, validated_at: datetime | None, remarks) -> None:
    element = _add(parent, name)
    _add(element, "Status", status.value)
    if validated_at is not None:
        _add(element, "ValidationDate", local_time(validated_at))
    if remarks:
        remark_list = _add(element, "RemarkList")
        for code in remarks:
            _add(remark_list, "Remark", _remark_text(code))


def _consulted(parent, presence: PresenceView) -> None:
    """PresenceRegistrationConsultSubmitted: the registration as stored."""
    submitted = _add(parent, "PresenceRegistrationConsultSubmitted")
    _add(submitted, "RegistrationDate", presence.registration_date.isoformat())
    if presence.inss:
        _add(submitted, "INSS", presence.inss)
    if presence.enterprise_number:
        _add(submitted, "CompanyID", int(presence.enterprise_number))
    if presence.limosa_id:
        _add(submitted, "LimosaId", presence.limosa_id)
    if presence.foreign_vat:
        _add(submitted, "VatNumber", presence.foreign_vat)
    _add(submitted, "WorkPlaceId", presence.workplace)
    if presence.client_reference:
        _add(submitted, "ClientPresenceRegistrationReference", presence.client_reference[:24])


def presence_registration(parent, name: str, presence: PresenceView, echo: etree._Element | None) -> None:
    """A PresenceRegistrationType named `name`: with the request's item echoed (register, cancel) or the
    registration as stored (search, get)."""
    element = _add(parent, name)
    if echo is not None:
        _echo(element, "PresenceRegistrationSubmitted", echo)
    else:
        _consulted(element, presence)
    if presence.sector in SOAP_SECTORS:
        _add(element, "Sector", presence.sector)
    if presence.inss:
        _add(element, "INSS", presence.inss)
    _add(element, "PresenceRegistrationId", presence.id)
    _add(element, "CreationDate", local_time(presence.created_at))
    _add(element, "Channel", presence.channel)
    _validation(element, "LastValidation", presence.status, presence.validated_at, presence.remarks)
    if presence.history:
        history = _add(element, "ValidationHistory")
        for validation in presence.history:
            status = SoapStatus.VALIDATED if validation.validity is Validity.VALID else SoapStatus.FAILED
            _validation(history, "Validation", status, validation.validated_at, validation.remarks)
    if presence.sender_id or presence.sender_enterprise or presence.sender_user_type:
        sender = _add(element, "Sender")
        if presence.sender_id:
            _add(sender, "SenderId", presence.sender_id)
        if presence.sender_enterprise and presence.sender_enterprise.isdigit():
            _add(sender, "SenderCompanyId", int(presence.sender_enterprise))
        if presence.sender_user_type:
            _add(sender, "SenderUserType", presence.sender_user_type)


def _error_list(parent, errors: list[ItemError]) -> None:
    error_list = _add(parent, "ErrorList")
    for error in errors[:10]:
        item = _add(error_list, "Error")
        _add(item, "ErrorCode", error.code.value)
        _add(item, "ErrorDescription", error.message)


def _root(name: str) -> etree._Element:
    return etree.Element(p(name), nsmap={"pr": NSMAP["pr"], "prt": NSMAP["prt"]})


# --- the operations ---------------------------------------------------------------------------------------

def register(registry: Registry, caller: Caller, body: etree._Element) -> etree._Element:
    items = body.findall(p("PresenceRegistrationRequest"))
    submissions = [
        Submission(
            registration_date=_date(_text(item, "RegistrationDate")),
            inss=_text(item, "INSS"),
            enterprise_number=_text(item, "CompanyID"),
            limosa_id=_text(item, "LimosaId"),
            workplace=_text(item, "WorkPlaceId"),
            client_reference=_text(item, "ClientPresenceRegistrationReference"),
        )
        for item in items
    ]
    outcomes = registering.register_presences(registry, caller, Channel.WEB_SERVICE, Regime.DAY, submissions)
    response = _root("RegisterPresencesResponse")
    for item, outcome in zip(items, outcomes, strict=True):
        answer = etree.SubElement(response, p("PresenceRegistrationResponse"))
        if isinstance(outcome, Accepted):
            presence_registration(answer, "PresenceRegistration", outcome.presence, item)
        else:
            error = _add(answer, "PresenceRegistrationError")
            _echo(error, "PresenceRegistrationSubmitted", item)
            _error_list(error, list(outcome.errors))
    return response


def cancel(registry: Registry, caller: Caller, body: etree._Element) -> etree._Element:
    items = body.findall(p("CancelPresenceRequest"))
    requests = [CancelRequest(_text(item, "PresenceRegistrationId") or "", _text(item, "CancellationReason"))
                for item in items]
    outcomes = cancelling.cancel_presences(registry, caller, Channel.WEB_SERVICE, requests)
    response = _root("CancelPresencesResponse")
    for item, outcome in zip(items, outcomes, strict=True):
        answer = etree.SubElement(response, p("CancelPresenceResponse"))
        if isinstance(outcome, Cancelled):
            presence_registration(answer, "PresenceRegistration", outcome.presence, None)
        else:
            error = _add(answer, "PresenceRegistrationError")
            _echo(error, "CancelPresenceRequest", item)
            _error_list(error, list(outcome.errors))
    return response


def _criteria(request: etree._Element) -> tuple[SearchCriteria, Page, Sort]:
    """Raises InvalidRequest with an error code for identifiers the services would refuse."""
    found = request.find(t("SearchPresenceRegistrationCriteria"))
    periods = [
        (_date(_text(period, "RegistrationPeriodStartDate")), _date(_text(period, "RegistrationPeriodEndDate")))
        for period in found.iterfind(f"{t('RegistrationPeriodList')}/{t('RegistrationPeriod')}")
    ]
    criteria = SearchCriteria(periods=periods)
    parsers = (("INSS", "inss", parse_inss, ErrorCode.INSS_INVALID),
               ("CompanyID", "enterprise_number", parse_enterprise_number, ErrorCode.ENTERPRISE_INVALID),
               ("WorkPlaceId", "workplace", parse_work_declaration_number, ErrorCode.WORKPLACE_INVALID))
    for element, attribute, parser, code in parsers:
        value = _text(found, element)
        if value is not None:
            try:
                setattr(criteria, attribute, parser(value))
            except InvalidIdentifier as error:
                raise InvalidRequest(str(error), element, code) from None
    criteria.statuses = [SoapStatus(s.text.strip()) for s in found.iterfind(f"{t('StatusList')}/{t('Status')}")]
    criteria.remarks = [SOAP_REMARKS[r.text] for r in found.iterfind(f"{t('RemarkList')}/{t('Remark')}")]
    criteria.created_from = _instant(_text(found, "CreationStartDate"))
    criteria.created_to = _instant(_text(found, "CreationEndDate"))
    sector = _text(found, "Sector")
    criteria.sector = int(sector) if sector is not None else None

    pagination = request.find(t("PaginationProperties"))
    first_row = _text(pagination, "FirstRow") if pagination is not None else None
    fetch_size = _text(pagination, "FetchSize") if pagination is not None else None
    page = Page(int(first_row) if first_row else 0, int(fetch_size) if fetch_size else 50)
    sorting = request.find(t("SortingProperties"))
    direction = _text(sorting, "SortDirection") if sorting is not None else None
    key = _text(sorting, "SortCriteria") if sorting is not None else None
    sort = Sort(SortKey(key) if key else SortKey.ID, descending=direction == "DESCENDING")
    return criteria, page, sort


def search(registry: Registry, caller: Caller, body: etree._Element) -> etree._Element:
    request = body.find(p("SearchPresenceRequest"))
    response = _root("SearchPresencesResponse")
    answer = etree.SubElement(response, p("SearchPresencesResponseType"))
    _echo(answer, "SearchPresencesRequest", request)
    try:
        criteria, page, sort = _criteria(request)
        result = consulting.search_presences(registry, caller, criteria, page, sort)
    except InvalidRequest as error:
        failure = _add(answer, "PresenceRegistrationError")
        code = ErrorCode(error.code) if error.code else ErrorCode.DATE_OUT_OF_WINDOW
        _error_list(failure, [ItemError(code, error.field or "", str(error))])
        return response
    found = _add(answer, "PresenceRegistrationList")
    _add(found, "PresenceRegistrationResultCount", result.total)
    for presence in result.items:
        presence_registration(found, "PresenceRegistration", presence, None)
    return response


def get(registry: Registry, caller: Caller, body: etree._Element) -> etree._Element:
    request = body.find(p("GetPresenceRegistrationRequest"))
    registration_id = int(_text(request, "PresenceRegistrationId"))
    presence = consulting.get_presence(registry, caller, registration_id)
    response = _root("GetPresenceRegistrationResponse")
    answer = etree.SubElement(response, p("GetPresenceRegistrationResponseType"))
    _echo(answer, "GetPresenceRegistrationRequest", request)
    found = _add(answer, "GetPresenceRegistrationType")
    if presence is not None:
        presence_registration(found, "PresenceRegistrationType", presence, None)
    return response


OPERATIONS = {
    "registerPresences": register,
    "cancelPresences": cancel,
    "searchPresences": search,
    "getPresenceRegistration": get,
}
