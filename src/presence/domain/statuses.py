"""A registration's state: its lifecycle and the outcome of its content checks.

The REST contract shows the two apart (`status.code` and `validity`); the SOAP contract folds them into one
`Status`. Both are derived here from the same two stored values.
"""

from __future__ import annotations

from enum import StrEnum


class Lifecycle(StrEnum):
    REGISTERED = "registered"
    EDITED = "edited"  # corrected by the back office; the original stays in the history
    CANCELLED = "cancelled"


class Validity(StrEnum):
    PENDING = "pending"  # accepted, content checks not yet run
    VALID = "valid"  # checked, no remark
    INVALID = "invalid"  # checked, with remarks: still a registration


class SoapStatus(StrEnum):
    SUCCESSFULLY_REGISTERED = "SUCCESSFULLY REGISTERED"
    VALIDATED = "VALIDATED"
    FAILED = "FAILED"
    SUCCESSFULLY_CANCELLED = "SUCCESSFULLY CANCELLED"


def soap_status(lifecycle: Lifecycle, validity: Validity) -> SoapStatus:
    if lifecycle is Lifecycle.CANCELLED:
        return SoapStatus.SUCCESSFULLY_CANCELLED
    return {
        Validity.PENDING: SoapStatus.SUCCESSFULLY_REGISTERED,
        Validity.VALID: SoapStatus.VALIDATED,
        Validity.INVALID: SoapStatus.FAILED,
    }[validity]


def state_of_soap_status(status: SoapStatus) -> tuple[Lifecycle | None, Validity | None]:
    """The stored values a SOAP status stands for (None: any), for searches by status."""
    return {
        SoapStatus.SUCCESSFULLY_CANCELLED: (Lifecycle.CANCELLED, None),
        SoapStatus.SUCCESSFULLY_REGISTERED: (None, Validity.PENDING),
        SoapStatus.VALIDATED: (None, Validity.VALID),
        SoapStatus.FAILED: (None, Validity.INVALID),
    }[status]
