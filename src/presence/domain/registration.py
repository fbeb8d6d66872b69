"""A submission (one item of a register request) and its formal checks.

Formal checks are synchronous: an item that fails one is refused with an error code and nothing of it is
stored. Content checks (remarks) come later, see `checks.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from ..clock import belgian_date
from .activities import ACTIVITIES
from .channels import Channel
from .errors import ErrorCode, ItemError
from .identifiers import (
    InvalidIdentifier,
    parse_enterprise_number,
    parse_foreign_vat,
    parse_inss,
    parse_limosa_id,
    parse_work_declaration_number,
)
from .sectors import Regime
from .texts import N_
from .timing import clocking_in_window, day_window

MAX_REFERENCE_LENGTH = 50  # the SOAP schema allows 24; the REST customReference is ours to bound
ADDRESS_LIMITS = {"municipality": 100, "street": 150, "house_number": 20, "box": 20}  # as stored

# Places of work are in Belgium; a small margin for points on the border (*ours*).
BELGIUM_LATITUDE = (49.45, 51.55)
BELGIUM_LONGITUDE = (2.50, 6.45)


class Direction:
    IN = "in"
    OUT = "out"
    ALL = (IN, OUT)


@dataclass(frozen=True)
class Address:
    post_code: str
    municipality: str
    street: str
    house_number: str
    box: str | None = None


@dataclass
class Submission:
    """One item as a channel received it: raw values, untrusted."""

    workplace: str | None
    inss: str | int | None = None
    limosa_id: str | int | None = None
    enterprise_number: str | int | None = None
    foreign_vat: str | None = None
    registration_date: date | None = None  # day regime; None means today
    clocked_at: datetime | None = None  # clocking regime: the instant of the check-in or check-out
    direction: str | None = None  # clocking regime: in | out
    client_reference: str | None = None
    activity: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    address: Address | None = None
    within_radius: bool | None = None  # a worker's phone, with his consent: whether it stood on the workplace


@dataclass(frozen=True, slots=True)
class CheckedSubmission:
    """A submission that passed every formal check, with its identifiers in canonical form."""

    regime: Regime
    workplace: str
    registration_date: date  # Belgian local date (of the instant, for clockings)
    inss: str | None = None
    limosa_id: str | None = None
    enterprise_number: str | None = None
    foreign_vat: str | None = None
    clocked_at: datetime | None = None
    direction: str | None = None
    client_reference: str | None = None
    activity: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    address: Address | None = None
    within_radius: bool | None = None

    @property
    def employer(self) -> str | None:
        return self.enterprise_number or self.foreign_vat


@dataclass
class _Errors:
    items: list[ItemError] = field(default_factory=list)

    def add(self, code: ErrorCode, field_name: str, template: str, **values: str | int) -> None:
        """`template`: the English message marked for the catalogues (`N_`), `%(name)s` for each of `values`."""
        self.items.append(ItemError.of(code, field_name, template, **values))

    def parse(self, field_name: str, raw, parser, code: ErrorCode):
        """`parser(raw)`, or None with the error noted."""
        try:
            return parser(raw)
        except InvalidIdentifier as error:
            self.add(code, field_name, N_("%(what)s: %(reason)s"), what=error.field, reason=error.reason)
            return None


def check_submission(
    submission: Submission, regime: Regime, channel: Channel, received_at: datetime
) -> CheckedSubmission | list[ItemError]:
    errors = _Errors()
    values: dict = {"regime": regime}
    parse = errors.parse

    # The workplace.
    if submission.workplace in (None, ""):
        errors.add(ErrorCode.WORKPLACE_INVALID, "workplace", N_("work-declaration number: missing"))
    else:
        values["workplace"] = parse("workplace", submission.workplace, parse_work_declaration_number,
                                    ErrorCode.WORKPLACE_INVALID)

    # The person: an INSS/BIS number, or a Limosa number for a posted worker, never both.
    has_inss = submission.inss not in (None, "")
    has_limosa = submission.limosa_id not in (None, "")
    if has_inss == has_limosa:
        errors.add(ErrorCode.PERSON_MISSING, "inss",
                   N_("person: give either an INSS/BIS number or a Limosa number") if not has_inss
                   else N_("person: give an INSS/BIS number or a Limosa number, not both"))
    elif has_inss:
        values["inss"] = parse("inss", submission.inss, parse_inss, ErrorCode.INSS_INVALID)
    else:
        values["limosa_id"] = parse("limosa_id", submission.limosa_id, parse_limosa_id, ErrorCode.LIMOSA_INVALID)

    # The enterprise: with an INSS exactly one of a KBO/BCE number or a foreign VAT number; with a Limosa
    # number none (the Limosa declaration names the foreign employer).
    has_kbo = submission.enterprise_number not in (None, "")
    has_vat = submission.foreign_vat not in (None, "")
    if has_limosa and not has_inss:
        if has_kbo or has_vat:
            errors.add(ErrorCode.ENTERPRISE_MISSING, "enterprise_number",
                       N_("enterprise: a registration by Limosa number names no enterprise"))
    elif has_kbo == has_vat:
        errors.add(ErrorCode.ENTERPRISE_MISSING, "enterprise_number",
                   N_("enterprise: give either an enterprise number or a foreign VAT number") if not has_kbo
                   else N_("enterprise: give an enterprise number or a foreign VAT number, not both"))
    elif has_kbo:
        values["enterprise_number"] = parse("enterprise_number", submission.enterprise_number,
                                            parse_enterprise_number, ErrorCode.ENTERPRISE_INVALID)
    else:
        values["foreign_vat"] = parse("foreign_vat", submission.foreign_vat, parse_foreign_vat,
                                      ErrorCode.FOREIGN_VAT_INVALID)

    if regime is Regime.DAY:
        _check_day(submission, channel, received_at, values, errors)
    else:
        _check_clocking(submission, received_at, values, errors)

    reference = submission.client_reference
    if reference is not None:
        reference = reference.strip()
        if len(reference) > MAX_REFERENCE_LENGTH:
            errors.add(ErrorCode.REFERENCE_INVALID, "client_reference",
                       N_("reference: at most %(count)s characters"), count=MAX_REFERENCE_LENGTH)
        values["client_reference"] = reference or None

    if submission.activity not in (None, ""):
        activity = str(submission.activity).strip().upper()
        if activity not in ACTIVITIES:
            errors.add(ErrorCode.ACTIVITY_UNKNOWN, "activity", N_("activity: not a code of the activity list"))
        values["activity"] = activity

    if errors.items:
        return errors.items
    return CheckedSubmission(**values)


def _check_day(submission, channel, received_at, values, errors) -> None:
    today = belgian_date(received_at)
    day = submission.registration_date or today
    first, last = day_window(channel, today)
    if not first <= day <= last:
        if first == last:
            errors.add(ErrorCode.DATE_OUT_OF_WINDOW, "registration_date",
                       N_("registration date: today (Belgian time) on this channel"))
        elif (last - first).days == 1:
            errors.add(ErrorCode.DATE_OUT_OF_WINDOW, "registration_date",
                       N_("registration date: today or tomorrow (Belgian time) on this channel"))
        else:
            errors.add(ErrorCode.DATE_OUT_OF_WINDOW, "registration_date",
                       N_("registration date: from today to %(days)s days ahead (Belgian time) on this channel"),
                       days=(last - first).days)
    values["registration_date"] = day


def _check_clocking(submission, received_at, values, errors) -> None:
    if submission.within_radius is not None:
        values["within_radius"] = bool(submission.within_radius)
    direction = (submission.direction or "").strip().lower()
    if direction not in Direction.ALL:
        errors.add(ErrorCode.DIRECTION_INVALID, "direction", N_("type: in or out"))
    values["direction"] = direction

    instant = submission.clocked_at
    if instant is None:
        errors.add(ErrorCode.DATE_MISSING, "clocked_at", N_("registration date: the instant is missing"))
    elif instant.tzinfo is None:
        errors.add(ErrorCode.INSTANT_OUT_OF_WINDOW, "clocked_at",
                   N_("registration date: give the instant with its offset from UTC"))
    else:
        problem = clocking_in_window(instant, received_at)
        if problem:
            errors.add(ErrorCode.INSTANT_OUT_OF_WINDOW, "clocked_at", N_("registration date: %(problem)s"),
                       problem=problem)
        values["clocked_at"] = instant
        values["registration_date"] = belgian_date(instant)

    has_point = submission.latitude is not None or submission.longitude is not None
    has_address = submission.address is not None
    if has_point == has_address:
        errors.add(ErrorCode.PLACE_OF_WORK_INVALID, "place_of_work",
                   N_("place of work: give either coordinates or an address") if not has_point
                   else N_("place of work: give coordinates or an address, not both"))
    elif has_point:
        lat, lon = submission.latitude, submission.longitude
        if lat is None or lon is None:
            errors.add(ErrorCode.PLACE_OF_WORK_INVALID, "place_of_work",
                       N_("place of work: coordinates need both latitude and longitude"))
        elif not (BELGIUM_LATITUDE[0] <= lat <= BELGIUM_LATITUDE[1]
                  and BELGIUM_LONGITUDE[0] <= lon <= BELGIUM_LONGITUDE[1]):
            errors.add(ErrorCode.PLACE_OF_WORK_INVALID, "place_of_work",
                       N_("place of work: the coordinates are not in Belgium (WGS84 latitude, longitude)"))
        else:
            values["latitude"], values["longitude"] = lat, lon
    else:
        address = submission.address
        post_code = (address.post_code or "").strip()
        if not (post_code.isdigit() and len(post_code) == 4 and post_code[0] != "0"):
            errors.add(ErrorCode.PLACE_OF_WORK_INVALID, "place_of_work", N_("place of work: a Belgian post code"))
        elif not ((address.municipality or "").strip() and (address.street or "").strip()
                  and (address.house_number or "").strip()):
            errors.add(ErrorCode.PLACE_OF_WORK_INVALID, "place_of_work",
                       N_("place of work: municipality, street and house number are required"))
        else:
            parts = Address(post_code, address.municipality.strip(), address.street.strip(),
                            address.house_number.strip(), (address.box or "").strip() or None)
            too_long = [name for name, limit in ADDRESS_LIMITS.items() if len(getattr(parts, name) or "") > limit]
            if too_long:
                errors.add(ErrorCode.PLACE_OF_WORK_INVALID, "place_of_work", N_("place of work: too long: %(parts)s"),
                           parts=", ".join(f"{name.replace('_', ' ')} (at most {ADDRESS_LIMITS[name]})"
                                           for name in too_long))
            values["address"] = parts
