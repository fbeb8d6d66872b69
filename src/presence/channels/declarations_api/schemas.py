"""The work declarations API's JSON shapes, camelCase on the wire. As in the REST service, the models check the
shape only (types, required properties, lengths); identifiers, amounts, periods and the chain are checked by
`services.declarations.declaring`, which names every problem at once."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field

from ..rest.schemas import Model, Out, text

SectorName = Literal["construction", "meat", "cleaning"]
ActorRole = Literal["architect", "design_coordinator", "execution_coordinator"]
# An amount in euros excl. VAT as a JSON string ("620000.50"), so no binary fraction changes a cent.
AMOUNT = r"^-?[0-9]{1,15}([.][0-9]{1,4})?$"


class Client(Model):
    enterprise_number: str = text(max_length=20, description="KBO/BCE number (10 digits) or foreign VAT number")
    name: str = text(max_length=200)


class Workplace(Model):
    street: str = text(max_length=200)
    house_number: str = text(max_length=20)
    post_code: str = text(max_length=4, description="A Belgian post code")
    municipality: str = text(max_length=100)
    latitude: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False)
    longitude: float | None = Field(None, ge=-180, le=180, allow_inf_nan=False)
    locate: bool = Field(False, description="Without latitude and longitude: place the workplace at the centre of "
                                            "its post code's locality (shipped data, no map service)")


class Contact(Model):
    name: str = text("", max_length=200)
    email: str = text("", max_length=200)
    phone: str = text("", max_length=50)


class Actor(Model):
    role: ActorRole
    name: str = text(max_length=200)
    enterprise_number: str | None = text(None, max_length=20)


class NewSubcontractor(Model):
    enterprise_number: str = text(max_length=20, description="KBO/BCE number or foreign VAT number")
    principal: str = text(max_length=20, description="Its direct principal: the declaring contractor or a "
                                                    "subcontractor of the chain")
    start_date: date
    end_date: date | None = Field(None, description="Empty: until its principal's contract ends")
    activities: str = text("", max_length=300)
    amount: str | None = text(None, max_length=20, pattern=AMOUNT, description="Euros excl. VAT, as a string")


class NewDeclaration(Model):
    sector: SectorName
    client: Client
    workplace: Workplace
    description: str = text("", max_length=500)
    contact: Contact = Contact()
    actors: list[Actor] = Field([], max_length=3)
    start_date: date
    end_date: date | None = None
    amount: str = text(max_length=20, pattern=AMOUNT, description="The contract's amount in euros excl. VAT, as a "
                                                                  "string: \"620000\" or \"620000.50\"")
    subcontractors: list[NewSubcontractor] = Field([], max_length=500)


class TermsChange(Model):
    """Properties left out keep their value; `endDate: null` makes the works open-ended."""

    start_date: date | None = None
    end_date: date | None = None
    amount: str | None = text(None, max_length=20, pattern=AMOUNT)


class SubcontractEnd(Model):
    end_date: date = Field(description="The subcontract's last day; those under it end with it")


class EnterpriseOut(Out):
    enterprise_number: str
    name: str | None = None


class SubcontractorOut(Out):
    enterprise_number: str
    name: str | None
    principal: str
    start_date: date
    end_date: date | None
    activities: str
    amount: Decimal | None


class ActorOut(Out):
    role: ActorRole
    name: str
    enterprise_number: str | None


class RevisionOut(Out):
    changed_at: datetime
    change: Literal["declared", "changed", "subcontractor_added", "subcontractor_ended", "cancelled"] | str
    actor: str
    details: dict


class PlaceOut(Out):
    address: str
    latitude: float | None
    longitude: float | None


class DeclarationOut(Out):
    number: str = Field(description="The work-declaration number (13 characters), the registrations' workplace")
    url: str = Field(description="The workplace's short URL: what its QR code holds")
    poster: str = Field(description="The printable poster (PDF, A4; `?size=A3` for A3)")
    sector: SectorName
    client: EnterpriseOut
    declaring_contractor: EnterpriseOut
    workplace: PlaceOut
    description: str
    start_date: date
    end_date: date | None
    amount: Decimal
    subject_to_registration: bool = Field(description="Whether presences must be registered on this workplace")
    origin: Literal["online", "import"] | str
    cancelled: bool
    actors: list[ActorOut]
    subcontractors: list[SubcontractorOut] = Field(description="The whole chain for the declaring contractor, the "
                                                               "client and inspectors; a subcontractor's branch")
    history: list[RevisionOut]


class ListedOut(Out):
    number: str
    sector: SectorName
    address: str
    client_name: str
    start_date: date
    end_date: date | None
    amount: Decimal
    subject_to_registration: bool
    role: Literal["declaring_contractor", "client", "subcontractor", "inspector"] = Field(
        description="Why the caller sees it")


class DeclarationList(Out):
    items: list[ListedOut]
