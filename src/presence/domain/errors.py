"""Synchronous per-item error codes (an item refused with one of these is not stored).

Codes 1..11 are the SOAP contract's; codes from 12 up are ours, for what the contract does not name.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    NOT_ALLOWED = "1"  # cancel: the caller may not cancel this registration
    ENTERPRISE_INVALID = "2"  # format or check digits of the KBO/BCE number
    ENTERPRISE_UNKNOWN = "3"  # unknown to the enterprise register
    WORKPLACE_INVALID = "4"  # work-declaration number
    INSS_INVALID = "5"
    DATE_OUT_OF_WINDOW = "6"
    REGISTRATION_ID_UNKNOWN = "7"  # not a number this registry issues
    ALREADY_CANCELLED = "8"
    TOO_LATE_TO_CANCEL = "9"
    REGISTRATION_NOT_FOUND = "10"  # no such registration among those the caller may see
    CANCELLATION_REASON_INVALID = "11"
    LIMOSA_INVALID = "12"
    PERSON_MISSING = "13"  # exactly one of INSS/BIS or Limosa number
    ENTERPRISE_MISSING = "14"  # exactly one enterprise (none with a Limosa number)
    FOREIGN_VAT_INVALID = "15"
    INSTANT_OUT_OF_WINDOW = "16"  # cleaning: real time only
    DIRECTION_INVALID = "17"  # cleaning: in or out
    PLACE_OF_WORK_INVALID = "18"
    REFERENCE_INVALID = "19"
    ACTIVITY_UNKNOWN = "20"
    NOT_ALLOWED_FOR_PERSON = "21"  # the caller may not register for this person
    DATE_MISSING = "22"


@dataclass(frozen=True)
class ItemError:
    code: ErrorCode
    field: str  # the submission field at fault (REST `issues[].name` maps it to the channel's own name)
    message: str  # English, safe to show: never contains a personal number
    # For the channels that speak the person's language: the message as marked for the catalogues, with its
    # `%(name)s` values (themselves marked texts, or numbers). Empty: the message is its own template.
    template: str = ""
    values: tuple[tuple[str, str | int], ...] = ()

    @classmethod
    def of(cls, code: ErrorCode, field: str, template: str, **values: str | int) -> ItemError:
        return cls(code, field, template % values if values else template, template, tuple(values.items()))


class BatchSizeError(ValueError):
    """A request with no item, or more than the limit: refused whole."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"a request holds 1 to {limit} items, not {size}")
        self.size = size
        self.limit = limit


MAX_BATCH = 200


def check_batch_size(size: int) -> None:
    if not 1 <= size <= MAX_BATCH:
        raise BatchSizeError(size, MAX_BATCH)
