"""What the registry says about a registration, in the reader's language: a formal error (the same rule and
wording as the web services, translated), a remark with its plain explanation and its fix, a status."""

from __future__ import annotations

from dataclasses import dataclass

from ... import i18n
from ...domain.errors import ItemError
from ...domain.remarks import CATALOGUE, RemarkCode
from ...domain.statuses import SoapStatus

# The web form's field for each field a formal check names.
FORM_FIELDS = {"inss": "person", "limosa_id": "person", "enterprise_number": "enterprise",
               "foreign_vat": "enterprise", "workplace": "workplace", "registration_date": "first_day"}

# The statuses as the pages name them (and their search's `status` values).
STATUS_CODES = {"registered": SoapStatus.SUCCESSFULLY_REGISTERED, "validated": SoapStatus.VALIDATED,
                "failed": SoapStatus.FAILED, "cancelled": SoapStatus.SUCCESSFULLY_CANCELLED}
STATUS_NAMES = {SoapStatus.SUCCESSFULLY_REGISTERED: i18n.lazy("Being checked"),
                SoapStatus.VALIDATED: i18n.lazy("Validated"), SoapStatus.FAILED: i18n.lazy("Remark"),
                SoapStatus.SUCCESSFULLY_CANCELLED: i18n.lazy("Cancelled")}
STATUS_TAGS = {SoapStatus.SUCCESSFULLY_REGISTERED: "grey", SoapStatus.VALIDATED: "green", SoapStatus.FAILED: "red",
               SoapStatus.SUCCESSFULLY_CANCELLED: "grey"}
REASON_NAMES = {"HOLIDAY": i18n.lazy("On holiday"), "DISEASE": i18n.lazy("Ill"),
                "PLANNING": i18n.lazy("The planning changed: the person did not come"),
                "C32A": i18n.lazy("Temporary unemployment (C3.2A)")}


def item_error(error: ItemError) -> str:
    """A formal error of a registration, translated: its template and each of its values."""
    values = {name: i18n.gettext(value) if isinstance(value, str) else value for name, value in error.values}
    return i18n.gettext(error.template or error.message, **values)


def status_name(status: SoapStatus) -> str:
    return i18n.gettext(STATUS_NAMES[status])


@dataclass(frozen=True)
class RemarkText:
    code: str
    label: str
    explanation: str
    fix: str


def remark(code: RemarkCode) -> RemarkText:
    found = CATALOGUE[RemarkCode(code)]
    return RemarkText(str(found.code), found.label(i18n.language()), i18n.gettext(found.explanation),
                      i18n.gettext(found.fix))
