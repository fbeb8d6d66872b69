"""Why a registration is cancelled: the contract's reasons."""

from __future__ import annotations

from enum import StrEnum


class CancellationReason(StrEnum):
    HOLIDAY = "HOLIDAY"
    DISEASE = "DISEASE"
    PLANNING = "PLANNING"  # the planning changed: the person did not come
    C32A = "C32A"  # temporary unemployment (form C3.2A)


def parse_reason(value: str | None) -> CancellationReason | None:
    try:
        return CancellationReason((value or "").strip().upper())
    except ValueError:
        return None
