"""The four operations: XML request -> service call -> XML response, in the contract's names and order.

No rule lives here: items are handed to the services as raw values, which check them like every channel's.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import lru_cache

from lxml import etree

from ...auth.xml_namespaces import PROTOCOL, TYPES, p, t
from ...clock import BRUSSELS
from ...domain.channels import Channel
from ...domain.errors import ErrorCode, ItemError
from ...domain.registration import Submission
from ...domain.remarks import CATALOGUE, SOAP_REMARKS
from ...domain.sectors import Regime, Sector
from ...domain.statuses import SoapStatus, Validity
from ...domain.visibility import Caller
from ...services.access import replays
from ...services.errors import InvalidRequest
from ...services.registrations import cancelling, consulting, registering
from ...services.registrations.cancelling import Cancelled, CancelRequest
from ...services.registrations.consulting import Page, SearchCriteria, Sort, SortKey
from ...services.registrations.registering import Accepted
from ...services.registrations.search_criteria import search_criteria
from ...services.registrations.views import PresenceView
from ...services.runtime import Runtime

SOAP_SECTORS = {int(Sector.CONSTRUCTION), int(Sector.GUARDING), int(Sector.MEAT)}


# --- reading ----------------------------------------------------------------------------------------------

def _text(parent: etree._Element, name: str) -> str | None:
    element = parent.find(t(name))
    if element is None or element.text is None:
        return None
    return element.text.strip()


def _date(text: str | None, element: str) -> date | None:
    """An xs:date, which may carry a zone (ignored: a registration date is a Belgian calendar day). The XSD also
    admits years this registry cannot hold (`12345-01-01`, `-2026-03-03`): `InvalidRequest` names the element."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise InvalidRequest(f"{element}: a date of the years 1 to 9999, as YYYY-MM-DD", element) from None


def _instant(text: str | None, element: str) -> datetime | None:
    """An xs:dateTime; without a zone it is Belgian local time, as the contract's own dates are."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        value = value if value.tzinfo else value.replace(tzinfo=BRUSSELS)
        value.astimezone(UTC)  # within what an instant can be (year 1 at 00:00 with a positive offset is not)
        return value
    except (ValueError, OverflowError):
        raise InvalidRequest(f"{element}: a date-time of the years 1 to 9999", element) from None


_SUBMISSION_FIELDS = {t("RegistrationDate"): "registration_date", t("INSS"): "inss",
                      t("CompanyID"): "enterprise_number", t("LimosaId"): "limosa_id",
                      t("WorkPlaceId"): "workplace", t("ClientPresenceRegistrationReference"): "client_reference"}


def _submission(item: etree._Element) -> Submission:
    """A PresenceRegistrationSubmitType item, its children read in one pass (the first of each name counts,
    as with `_text`)."""
    values: dict[str, str | None] = {}
    for child in item:
        name = _SUBMISSION_FIELDS.get(child.tag)
        if name is not None and name not in values:
            values[name] = child.text.strip() if child.text is not None else None
    return Submission(registration_date=_date(values.get("registration_date"), "RegistrationDate"),
                      inss=values.get("inss"),
                      enterprise_number=values.get("enterprise_number"), limosa_id=values.get("limosa_id"),
                      workplace=values.get("workplace"), client_reference=values.get("client_reference"))


# --- writing ----------------------------------------------------------------------------------------------
# Answers are written as text rather than built as lxml trees: 200 registrations make about 2,600 elements,
# and an lxml element costs several times its text. Element names and order are the official WSDL's; the
# tests validate every kind of answer against our XSDs.

_PREFIXES = {TYPES: "prt", PROTOCOL: "pr"}
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _escaped(text: str) -> str:
    """Text content, escaped; `ValueError` (as lxml) for characters XML 1.0 cannot carry."""
    if not text.isprintable() and _NOT_XML.search(text):
        raise ValueError("a value holds characters XML cannot carry")
    if "&" in text or "<" in text or ">" in text or "\r" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    return text


@lru_cache(maxsize=4096)  # the registrations of one request share their creation instant
def local_time(instant: datetime) -> str:
    """Belgian local time without zone, with milliseconds, e.g. 2013-12-01T16:00:00.769."""
    local = instant.astimezone(BRUSSELS)
    return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}"


@lru_cache(maxsize=256)  # the contract's element names: the XSD let no other in
def _tags(tag: str) -> tuple[str, str] | None:
    """The opening and closing tags we write for an element of the contract's namespaces (None: another)."""
    namespace, _, name = tag[1:].partition("}") if tag[0] == "{" else ("", "", tag)
    prefix = _PREFIXES.get(namespace)
    return (f"<{prefix}:{name}>", f"</{prefix}:{name}>") if prefix else None


def _copy(out: list[str], request: etree._Element) -> None:
    """The request element's child elements, as the client sent them."""
    for child in request:
        if not isinstance(child.tag, str):
            continue
        tags = _tags(child.tag)
        if tags is None or child.attrib:  # not seen past the XSD validation; lxml copies it exactly then
            out.append(etree.tostring(child, encoding="unicode", with_tail=False))
        elif len(child):
            out.append(tags[0])
            _copy(out, child)
            out.append(tags[1])
        else:
            out.append(f"{tags[0]}{_escaped(child.text or '')}{tags[1]}")


def _echo(out: list[str], name: str, request: etree._Element) -> None:
    """An element `name` holding copies of the request element's children."""
    out.append(f"<prt:{name}>")
    _copy(out, request)
    out.append(f"</prt:{name}>")


def _remark_text(code) -> str:
    remark = CATALOGUE[code]
    return remark.soap_text or remark.labels["en"]


def _validation(out: list[str], name: str, status: SoapStatus, validated_at: datetime | None, remarks) -> None:
    out.append(f"<prt:{name}><prt:Status>{status.value}</prt:Status>")
    if validated_at is not None:
        out.append(f"<prt:ValidationDate>{local_time(validated_at)}</prt:ValidationDate>")
    if remarks:
        out.append("<prt:RemarkList>")
        out.extend(f"<prt:Remark>{_escaped(_remark_text(code))}</prt:Remark>" for code in remarks)
        out.append("</prt:RemarkList>")
    out.append(f"</prt:{name}>")


def _consulted(out: list[str], presence: PresenceView) -> None:
    """PresenceRegistrationConsultSubmitted: the registration as stored."""
    out.append("<prt:PresenceRegistrationConsultSubmitted>"
               f"<prt:RegistrationDate>{presence.registration_date.isoformat()}</prt:RegistrationDate>")
    if presence.inss:
        out.append(f"<prt:INSS>{_escaped(presence.inss)}</prt:INSS>")
    if presence.enterprise_number:
        out.append(f"<prt:CompanyID>{int(presence.enterprise_number)}</prt:CompanyID>")
    if presence.limosa_id:
        out.append(f"<prt:LimosaId>{_escaped(presence.limosa_id)}</prt:LimosaId>")
    if presence.foreign_vat:
        out.append(f"<prt:VatNumber>{_escaped(presence.foreign_vat)}</prt:VatNumber>")
    out.append(f"<prt:WorkPlaceId>{_escaped(presence.workplace)}</prt:WorkPlaceId>")
    if presence.client_reference:
        out.append("<prt:ClientPresenceRegistrationReference>"
                   f"{_escaped(presence.client_reference[:24])}</prt:ClientPresenceRegistrationReference>")
    out.append("</prt:PresenceRegistrationConsultSubmitted>")


def presence_registration(out: list[str], name: str, presence: PresenceView, echo: etree._Element | None) -> None:
    """A PresenceRegistrationType named `name`: with the request's item echoed (register, cancel) or the
    registration as stored (search, get)."""
    out.append(f"<prt:{name}>")
    if echo is not None:
        _echo(out, "PresenceRegistrationSubmitted", echo)
    else:
        _consulted(out, presence)
    if presence.sector in SOAP_SECTORS:
        out.append(f"<prt:Sector>{int(presence.sector)}</prt:Sector>")
    if presence.inss:
        out.append(f"<prt:INSS>{_escaped(presence.inss)}</prt:INSS>")
    out.append(f"<prt:PresenceRegistrationId>{int(presence.id)}</prt:PresenceRegistrationId>"
               f"<prt:CreationDate>{local_time(presence.created_at)}</prt:CreationDate>"
               f"<prt:Channel>{_escaped(str(presence.channel))}</prt:Channel>")
    _validation(out, "LastValidation", presence.status, presence.validated_at, presence.remarks)
    if presence.history:
        out.append("<prt:ValidationHistory>")
        for validation in presence.history:
            status = SoapStatus.VALIDATED if validation.validity is Validity.VALID else SoapStatus.FAILED
            _validation(out, "Validation", status, validation.validated_at, validation.remarks)
        out.append("</prt:ValidationHistory>")
    if presence.sender_id or presence.sender_enterprise or presence.sender_user_type:
        out.append("<prt:Sender>")
        if presence.sender_id:
            out.append(f"<prt:SenderId>{_escaped(presence.sender_id)}</prt:SenderId>")
        if presence.sender_enterprise and presence.sender_enterprise.isdigit():
            out.append(f"<prt:SenderCompanyId>{int(presence.sender_enterprise)}</prt:SenderCompanyId>")
        if presence.sender_user_type:
            out.append(f"<prt:SenderUserType>{_escaped(presence.sender_user_type)}</prt:SenderUserType>")
        out.append("</prt:Sender>")
    out.append(f"</prt:{name}>")


def _error_list(out: list[str], errors: list[ItemError]) -> None:
    out.append("<prt:ErrorList>")
    for error in errors[:10]:
        out.append(f"<prt:Error><prt:ErrorCode>{_escaped(error.code.value)}</prt:ErrorCode>"
                   f"<prt:ErrorDescription>{_escaped(error.message)}</prt:ErrorDescription></prt:Error>")
    out.append("</prt:ErrorList>")


def _item_error(out: list[str], name: str, item: etree._Element, errors: list[ItemError]) -> None:
    """PresenceRegistrationError: the refused item echoed as `name`, and why."""
    out.append("<prt:PresenceRegistrationError>")
    _echo(out, name, item)
    _error_list(out, errors)
    out.append("</prt:PresenceRegistrationError>")


def _root(name: str) -> list[str]:
    """The parts of a response, opened with its root element (closed by `_finish`)."""
    return [f'<pr:{name} xmlns:pr="{PROTOCOL}" xmlns:prt="{TYPES}">']


def _finish(out: list[str], name: str) -> str:
    out.append(f"</pr:{name}>")
    return "".join(out)


# --- the operations: each returns its response element as XML text ------------------------------------------
# `message`: the signed message asking, accepted once (`services.replays`): recorded with what it changes, or
# before its answer is given when it changes nothing; `AlreadyReceived` when it was before.

def register(runtime: Runtime, caller: Caller, body: etree._Element,
             message: replays.SignedMessage | None = None) -> str:
    items = body.findall(p("PresenceRegistrationRequest"))
    submissions = [_submission(item) for item in items]
    outcomes = registering.register_presences(runtime, caller, Channel.WEB_SERVICE, Regime.DAY, submissions,
                                              message)
    return _answers("RegisterPresencesResponse", "PresenceRegistrationResponse", items, outcomes, Accepted,
                    "PresenceRegistrationSubmitted", echo=True)


def cancel(runtime: Runtime, caller: Caller, body: etree._Element,
           message: replays.SignedMessage | None = None) -> str:
    items = body.findall(p("CancelPresenceRequest"))
    requests = [CancelRequest(_text(item, "PresenceRegistrationId") or "", _text(item, "CancellationReason"))
                for item in items]
    outcomes = cancelling.cancel_presences(runtime, caller, Channel.WEB_SERVICE, requests, message)
    return _answers("CancelPresencesResponse", "CancelPresenceResponse", items, outcomes, Cancelled,
                    "CancelPresenceRequest", echo=False)


def _answers(root: str, answer: str, items: list[etree._Element], outcomes: list, done: type, refused_as: str,
             echo: bool) -> str:
    """A response with an `answer` element per item: the registration when its outcome is `done` (the item echoed
    in it, if `echo`), else the item echoed as `refused_as` with its errors."""
    out = _root(root)
    for item, outcome in zip(items, outcomes, strict=True):
        out.append(f"<pr:{answer}>")
        if isinstance(outcome, done):
            presence_registration(out, "PresenceRegistration", outcome.presence, item if echo else None)
        else:
            _item_error(out, refused_as, item, list(outcome.errors))
        out.append(f"</pr:{answer}>")
    return _finish(out, root)


def _criteria(request: etree._Element) -> tuple[SearchCriteria, Page, Sort]:
    """`InvalidRequest`, with its error code, for criteria the services refuse."""
    found = request.find(t("SearchPresenceRegistrationCriteria"))
    periods = [
        (_date(_text(period, "RegistrationPeriodStartDate"), "RegistrationPeriodStartDate"),
         _date(_text(period, "RegistrationPeriodEndDate"), "RegistrationPeriodEndDate"))
        for period in found.iterfind(f"{t('RegistrationPeriodList')}/{t('RegistrationPeriod')}")
    ]
    criteria = search_criteria(periods, inss=_text(found, "INSS"), enterprise_number=_text(found, "CompanyID"),
                               workplace=_text(found, "WorkPlaceId"))
    criteria.statuses = [SoapStatus(s.text.strip()) for s in found.iterfind(f"{t('StatusList')}/{t('Status')}")]
    criteria.remarks = [SOAP_REMARKS[r.text] for r in found.iterfind(f"{t('RemarkList')}/{t('Remark')}")]
    criteria.created_from = _instant(_text(found, "CreationStartDate"), "CreationStartDate")
    criteria.created_to = _instant(_text(found, "CreationEndDate"), "CreationEndDate")
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


def search(runtime: Runtime, caller: Caller, body: etree._Element,
           message: replays.SignedMessage | None = None) -> str:
    request = body.find(p("SearchPresenceRequest"))
    out = _root("SearchPresencesResponse")
    out.append("<pr:SearchPresencesResponseType>")
    _echo(out, "SearchPresencesRequest", request)
    try:
        criteria, page, sort = _criteria(request)
        result = consulting.search_presences(runtime, caller, criteria, page, sort)
    except InvalidRequest as error:
        code = ErrorCode(error.code) if error.code else ErrorCode.DATE_OUT_OF_WINDOW
        out.append("<prt:PresenceRegistrationError>")
        _error_list(out, [ItemError(code, error.field or "", str(error))])
        out.append("</prt:PresenceRegistrationError>")
    else:
        out.append(f"<prt:PresenceRegistrationList><prt:PresenceRegistrationResultCount>{int(result.total)}"
                   "</prt:PresenceRegistrationResultCount>")
        for presence in result.items:
            presence_registration(out, "PresenceRegistration", presence, None)
        out.append("</prt:PresenceRegistrationList>")
    out.append("</pr:SearchPresencesResponseType>")
    _consulted_once(runtime, message)
    return _finish(out, "SearchPresencesResponse")


def get(runtime: Runtime, caller: Caller, body: etree._Element,
        message: replays.SignedMessage | None = None) -> str:
    request = body.find(p("GetPresenceRegistrationRequest"))
    registration_id = int(_text(request, "PresenceRegistrationId"))
    presence = consulting.get_presence(runtime, caller, registration_id)
    out = _root("GetPresenceRegistrationResponse")
    out.append("<pr:GetPresenceRegistrationResponseType>")
    _echo(out, "GetPresenceRegistrationRequest", request)
    out.append("<prt:GetPresenceRegistrationType>")
    if presence is not None:
        presence_registration(out, "PresenceRegistrationType", presence, None)
    out.append("</prt:GetPresenceRegistrationType></pr:GetPresenceRegistrationResponseType>")
    _consulted_once(runtime, message)
    return _finish(out, "GetPresenceRegistrationResponse")


def _consulted_once(runtime: Runtime, message: replays.SignedMessage | None) -> None:
    """A consultation's message, recorded once its answer is ready: a replay gets no answer."""
    if message is not None:
        replays.record_alone(runtime.db, message, runtime.clock.now())


OPERATIONS = {
    "registerPresences": register,
    "cancelPresences": cancel,
    "searchPresences": search,
    "getPresenceRegistration": get,
}
