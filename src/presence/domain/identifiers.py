"""Identifiers of people, enterprises and workplaces.

Check digits are python-stdnum's business; this module only decides which numbers each field accepts and
turns stdnum's errors into messages that are safe to show (they never repeat the number itself).
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache

from stdnum import exceptions as stdnum_errors
from stdnum.be import bis, nn
from stdnum.be import vat as be_vat
from stdnum.eu import vat as eu_vat
from stdnum.iso7064 import mod_97_10

from .texts import N_


class InvalidIdentifier(ValueError):
    """A number that is not acceptable. `str()` explains why without quoting the number."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _reason(error: stdnum_errors.ValidationError, component: str = N_("a part of the number is impossible")) -> str:
    if isinstance(error, stdnum_errors.InvalidLength):
        return N_("wrong length")
    if isinstance(error, stdnum_errors.InvalidChecksum):
        return N_("wrong check digits")
    if isinstance(error, stdnum_errors.InvalidComponent):
        return component
    return N_("wrong format")


class PersonNumberKind(StrEnum):
    NISS = "NISS"  # national register number (INSS/NISS/rijksregisternummer)
    BIS = "BIS"  # number of the Crossroads Bank register, for people not in the national register


@lru_cache(maxsize=65536)  # numbers recur within and across batches
def parse_inss(value: str | int) -> str:
    """An INSS/NISS or BIS number, 11 digits; accepts the usual punctuation."""
    compact = nn.compact(str(value))
    try:
        nn.validate(compact)
        return compact
    except stdnum_errors.ValidationError as nn_error:
        try:
            bis.validate(compact)
            return compact
        except stdnum_errors.ValidationError as bis_error:
            # Report the error of the register the month digits point to.
            month = int(compact[2:4]) if len(compact) == 11 and compact.isdigit() else 0
            raise InvalidIdentifier(N_("INSS"), _reason(bis_error if month > 12 else nn_error,
                                                    N_("impossible date of birth or serial number"))) from None


def person_number_kind(inss: str) -> PersonNumberKind:
    return PersonNumberKind.BIS if bis.is_valid(inss) else PersonNumberKind.NISS


@lru_cache(maxsize=65536)  # numbers recur within and across batches
def parse_enterprise_number(value: str | int) -> str:
    """A KBO/BCE enterprise number as its 10 digits.

    Accepts `0448181966`, `0448.181.966`, `BE0448181966` and the SOAP `long` form `448181966`.
    """
    text = str(value).strip()
    if isinstance(value, int) or text.isdigit():
        text = text.zfill(10)
    try:
        return be_vat.validate(text)
    except stdnum_errors.ValidationError as error:
        raise InvalidIdentifier(N_("enterprise number"),
                                _reason(error, N_("wrong format: starts with 0 or 1"))) from None


_FOREIGN_VAT = re.compile(r"^[A-Z]{2}[A-Z0-9+*]{2,14}$")


@lru_cache(maxsize=65536)  # numbers recur within and across batches
def parse_foreign_vat(value: str) -> str:
    """A foreign enterprise's VAT number with its country prefix.

    EU numbers are checked by stdnum; other countries' numbers are only checked for shape (*ours*).
    Belgian enterprises must use their enterprise number instead.
    """
    compact = re.sub(r"[\s.\-/]", "", str(value)).upper()
    if compact.startswith("BE"):
        raise InvalidIdentifier(N_("foreign VAT number"),
                                N_("a Belgian enterprise is identified by its enterprise number"))
    if not _FOREIGN_VAT.match(compact):
        raise InvalidIdentifier(N_("foreign VAT number"), N_("wrong format: country code then the number"))
    if compact[:2] in _EU_PREFIXES:
        try:
            return eu_vat.validate(compact)
        except stdnum_errors.ValidationError as error:
            raise InvalidIdentifier(N_("foreign VAT number"), _reason(error)) from None
    return compact


_EU_PREFIXES = {prefix.upper() for prefix in eu_vat.MEMBER_STATES} | {"EL", "XI"}

def parse_any_enterprise(value: str | int) -> str:
    """A KBO/BCE enterprise number, or a foreign VAT number (recognised by its country prefix)."""
    text = str(value).strip()
    if len(text) >= 2 and text[:2].isalpha() and text[:2].upper() != "BE":
        return parse_foreign_vat(text)
    return parse_enterprise_number(text)


def is_belgian_enterprise_number(number: str) -> bool:
    """For a number from `parse_any_enterprise`: KBO/BCE (10 digits) rather than foreign VAT."""
    return number.isdigit()


_LIMOSA = re.compile(r"^249\d{14}$")


@lru_cache(maxsize=65536)  # numbers recur within and across batches
def parse_limosa_id(value: str | int) -> str:
    """A Limosa declaration number: 17 digits starting 249.

    Both public examples satisfy ISO 7064 MOD 97-10; we enforce it (*ours*, inferred, documented).
    """
    compact = re.sub(r"[\s.\-]", "", str(value))
    if not compact.isdigit():
        raise InvalidIdentifier(N_("Limosa number"), N_("wrong format: digits only"))
    if len(compact) != 17:
        raise InvalidIdentifier(N_("Limosa number"), N_("wrong length: 17 digits"))
    if not _LIMOSA.match(compact):
        raise InvalidIdentifier(N_("Limosa number"), N_("wrong format: starts with 249"))
    if not mod_97_10.is_valid(compact):
        raise InvalidIdentifier(N_("Limosa number"), N_("wrong check digits"))
    return compact


_WORK_DECLARATION = re.compile(r"^[A-HJ-NP-Z0-9]{13}$")


@lru_cache(maxsize=65536)  # numbers recur within and across batches
def parse_work_declaration_number(value: str) -> str:
    """A work-declaration number (the workplace): 13 characters, letters without I and O, and digits."""
    compact = re.sub(r"[\s.\-]", "", str(value)).upper()
    if len(compact) != 13:
        raise InvalidIdentifier(N_("work-declaration number"), N_("wrong length: 13 characters"))
    if not _WORK_DECLARATION.match(compact):
        raise InvalidIdentifier(N_("work-declaration number"), N_("wrong format: digits and letters except I and O"))
    return compact


def mask_inss(inss: str) -> str:
    """For screens and exports where the full number is not needed: keep the birth date part only."""
    return inss[:6] + "*****" if len(inss) == 11 else "***********"
