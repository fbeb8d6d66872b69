"""The QR code of a Limosa-1 document: a URL such as
`http://limosa.be/q.html?id=<17-digit Limosa number>&1=<ddmmyyddmmyy>&2=<INSS/BIS>&3=<surname>&4=<first name>&6=
<foreign employer id>&7=<employer name>&9=<Belgian client, 9 digits>` (percent-encoded since 26 January 2017;
parameters 5 and 8 are unknown and ignored).

Whatever a camera reads is untrusted: the text is parsed defensively (length, host, path, each value checked), and
a code whose Limosa number, person number or client number fails its check digits is refused as damaged or
tampered with, never half-used.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qs, urlsplit

from .identifiers import InvalidIdentifier, parse_enterprise_number, parse_inss, parse_limosa_id
from .texts import N_

MAX_LENGTH = 2000  # a real code holds a few hundred characters
HOSTS = ("limosa.be", "www.limosa.be")
MAX_NAME = 100


class NotALimosaDocument(ValueError):
    """The text is not the QR code of a Limosa-1 document, or one damaged or tampered with. `reason` (English,
    marked for the catalogues) never quotes the text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LimosaDocument:
    limosa_id: str
    starts_on: date | None = None
    ends_on: date | None = None
    inss: str | None = None  # the posted worker's INSS or BIS number
    surname: str = ""
    first_name: str = ""
    employer_id: str = ""  # the foreign employer's identifier, as written
    employer_name: str = ""
    client: str | None = None  # the Belgian client's KBO/BCE number

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.surname) if part)


def is_limosa_url(text: str) -> bool:
    """Whether the text looks like a Limosa-1 code at all (then `parse_limosa_qr` says whether it is a good one)."""
    try:
        parts = urlsplit((text or "").strip()[:MAX_LENGTH])
    except ValueError:
        return False
    return (parts.hostname or "").lower() in HOSTS


def parse_limosa_qr(text: str) -> LimosaDocument:
    """The document a Limosa-1 QR code describes; `NotALimosaDocument` when it is not one, or is damaged."""
    text = (text or "").strip()
    if len(text) > MAX_LENGTH:
        raise NotALimosaDocument(N_("This code is too long to be a Limosa-1 code."))
    try:
        parts = urlsplit(text)
    except ValueError:
        raise NotALimosaDocument(N_("This is not the code of a Limosa-1 document.")) from None
    if (parts.scheme.lower() not in ("http", "https") or (parts.hostname or "").lower() not in HOSTS
            or parts.path.lower() != "/q.html"):
        raise NotALimosaDocument(N_("This is not the code of a Limosa-1 document."))
    try:
        values = parse_qs(parts.query, keep_blank_values=True, strict_parsing=False, max_num_fields=20,
                          errors="strict")
    except (ValueError, UnicodeDecodeError):
        raise NotALimosaDocument(N_("The code of this Limosa-1 document is damaged.")) from None
    if any(len(found) > 1 for found in values.values()):  # the same parameter twice: which one is true?
        raise NotALimosaDocument(N_("The code of this Limosa-1 document is damaged."))
    value = {key: found[0].strip() for key, found in values.items()}
    try:
        limosa_id = parse_limosa_id(value.get("id", ""))
        inss = parse_inss(value["2"]) if value.get("2") else None
        client = parse_enterprise_number(value["9"]) if value.get("9") else None
    except InvalidIdentifier:  # a check digit that fails: misread, or changed by hand
        raise NotALimosaDocument(N_("The code of this Limosa-1 document is damaged or was changed: a number in it "
                                    "fails its check.")) from None
    starts_on, ends_on = _period(value.get("1", ""))
    return LimosaDocument(limosa_id, starts_on, ends_on, inss, _text(value.get("3")), _text(value.get("4")),
                          _text(value.get("6")), _text(value.get("7")), client)


def _period(text: str) -> tuple[date | None, date | None]:
    """`ddmmyyddmmyy`; an unreadable period is left out (the registry's copy of Limosa has the real one)."""
    if not re.fullmatch(r"\d{12}", text):
        return None, None
    try:
        days = [date(2000 + int(text[i + 4:i + 6]), int(text[i + 2:i + 4]), int(text[i:i + 2])) for i in (0, 6)]
    except ValueError:
        return None, None
    return (days[0], days[1]) if days[0] <= days[1] else (None, None)


def _text(value: str | None) -> str:
    """A name as printed: without control characters, at most `MAX_NAME` characters."""
    cleaned = "".join(c for c in (value or "") if unicodedata.category(c)[0] != "C")
    return " ".join(cleaned.split())[:MAX_NAME]
