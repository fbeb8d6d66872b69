"""Why a registration is cancelled: the contract's reasons."""

from __future__ import annotations

from enum import StrEnum


class CancellationReason(StrEnum):
    HOLIDAY = "HOLIDAY"
    DISEASE = "DISEASE"
    PLANNING = "PLANNING"  # the planning changed: the person did not come
    C32A = "C32A"  # temporary unemployment (form C3.2A)


LABELS = {
    CancellationReason.HOLIDAY: {"fr": "Vacances", "nl": "Vakantie", "de": "Urlaub", "en": "Holiday"},
    CancellationReason.DISEASE: {"fr": "Maladie", "nl": "Ziekte", "de": "Krankheit", "en": "Illness"},
    CancellationReason.PLANNING: {
        "fr": "Changement de planning",
        "nl": "Planningswijziging",
        "de": "Planungsänderung",
        "en": "Change of planning",
    },
    CancellationReason.C32A: {
        "fr": "Chômage temporaire (C3.2A)",
        "nl": "Tijdelijke werkloosheid (C3.2A)",
        "de": "Zeitweilige Arbeitslosigkeit (C3.2A)",
        "en": "Temporary unemployment (C3.2A)",
    },
}


def parse_reason(value: str | None) -> CancellationReason | None:
    try:
        return CancellationReason((value or "").strip().upper())
    except ValueError:
        return None
