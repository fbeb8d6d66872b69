"""Sectors subject to presence registration, with the SOAP `Sector` codes."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Sector(IntEnum):
    CONSTRUCTION = 1  # works on immovable property, art. 30bis of the law of 27 June 1969
    GUARDING = 2  # security/guarding: a SOAP code, no workplace of ours uses it yet
    MEAT = 3  # slaughterhouses, cutting plants, meat preparation, art. 30ter
    CLEANING = 4  # cleaning for a third party, law of 26 December 2022 (*ours*: code 4, REST only)


class Regime(StrEnum):
    """How presence is registered: one date per person (construction, meat) or each IN and OUT (cleaning)."""

    DAY = "day"
    CLOCKING = "clocking"


def regime_of(sector: Sector) -> Regime:
    return Regime.CLOCKING if sector is Sector.CLEANING else Regime.DAY
