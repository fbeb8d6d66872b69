"""What the services hand back to the channels: plain, immutable views of stored registrations."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime

from ...db.models import Registration
from ...domain.registration import Address
from ...domain.remarks import RemarkCode, decode_codes
from ...domain.statuses import Lifecycle, SoapStatus, Validity, soap_status


@dataclass(frozen=True)
class ValidationView:
    validated_at: datetime
    validity: Validity
    remarks: tuple[RemarkCode, ...]
    trigger: str


@dataclass(frozen=True)
class RevisionView:
    revised_at: datetime
    actor: str
    justification: str
    before: dict
    after: dict


@dataclass(frozen=True)
class WorkerName:
    given_name: str
    family_name: str


@dataclass(frozen=True, slots=True)
class PresenceView:
    id: int
    regime: str
    sector: int | None
    registration_date: date
    clocked_at: datetime | None
    direction: str | None
    inss: str | None
    limosa_id: str | None
    enterprise_number: str | None
    foreign_vat: str | None
    workplace: str
    client_reference: str | None
    activity: str | None
    latitude: float | None
    longitude: float | None
    channel: str
    sender_enterprise: str | None
    sender_id: str | None
    sender_user_type: str | None
    created_at: datetime
    lifecycle: Lifecycle
    lifecycle_at: datetime
    validity: Validity
    remarks: tuple[RemarkCode, ...]
    validated_at: datetime | None
    cancellation_reason: str | None
    address: Address | None = None
    history: tuple[ValidationView, ...] = field(default=())
    revisions: tuple[RevisionView, ...] = field(default=())
    worker: WorkerName | None = None
    within_radius: bool | None = None  # a check-in on a phone, with the worker's consent

    @property
    def status(self) -> SoapStatus:
        return soap_status(self.lifecycle, self.validity)

    @classmethod
    def from_row(cls, row, **extra) -> PresenceView:
        """From a `Registration` or a mapping of its columns."""
        if not isinstance(row, dict):
            row = {name: getattr(row, name) for name in _COLUMNS}
        values = {name: row[name] for name in _SHARED}
        values["lifecycle"] = Lifecycle(values["lifecycle"])
        values["validity"] = Validity(values["validity"])
        values["remarks"] = tuple(decode_codes(row["remark_codes"])) if row["remark_codes"] else ()
        if row["post_code"]:
            values["address"] = Address(row["post_code"], row["municipality"], row["street"], row["house_number"],
                                        row["box"])
        return cls(**values, **extra)


_COLUMNS = tuple(Registration.__table__.columns.keys())
_SHARED = tuple(f.name for f in fields(PresenceView) if f.name in _COLUMNS)
