"""Local copies of the authentic sources. Each row has the natural key of its source, so a re-import
replaces what it had."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Numeric, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db.base import Base, BigId, Json, UTCDateTime
from ..domain.places import Place


class Person(Base):
    """The national register and the BIS register: who an INSS/BIS number belongs to."""

    __tablename__ = "person"

    inss: Mapped[str] = mapped_column(String(11), primary_key=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Enterprise(Base):
    """The enterprise register (KBO/BCE), and foreign enterprises known by their VAT number."""

    __tablename__ = "enterprise"

    number: Mapped[str] = mapped_column(String(20), primary_key=True)  # 10 digits, or a foreign VAT
    name: Mapped[str] = mapped_column(String(200))
    natural_person: Mapped[bool] = mapped_column(Boolean, default=False)  # a self-employed's own enterprise
    country: Mapped[str] = mapped_column(String(2), default="BE")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EmployerPeriod(Base):
    """A period during which the enterprise is registered with the social security as an employer."""

    __tablename__ = "employer_period"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    enterprise: Mapped[str] = mapped_column(String(20))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (UniqueConstraint("enterprise", "starts_on"),)


class Mandate(Base):
    """A founder or mandatary of an enterprise (the self-employed who may work for it without Dimona)."""

    __tablename__ = "mandate"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    enterprise: Mapped[str] = mapped_column(String(20))
    inss: Mapped[str] = mapped_column(String(11))
    role: Mapped[str] = mapped_column(String(10))  # founder | mandatary
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        UniqueConstraint("enterprise", "inss", "role", "starts_on"),
        Index("ix_mandate_inss", "inss"),
    )


class DimonaPeriod(Base):
    """A Dimona employment declaration: this INSS works for this employer during this period."""

    __tablename__ = "dimona_period"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    dimona_id: Mapped[str] = mapped_column(String(20), unique=True)  # the Dimona period's own number
    inss: Mapped[str] = mapped_column(String(11))
    employer: Mapped[str] = mapped_column(String(10))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    worker_type: Mapped[str] = mapped_column(String(3), default="OTH")

    # By person (the checks), and by employer (the people an employer may register: the online assistant).
    __table_args__ = (Index("ix_dimona_period_inss_employer", "inss", "employer"),
                      Index("ix_dimona_period_employer", "employer", "starts_on"))


class LimosaDeclaration(Base):
    """A Limosa declaration: a foreign employer posts a worker to Belgium for a period."""

    __tablename__ = "limosa_declaration"

    number: Mapped[str] = mapped_column(String(17), primary_key=True)
    employer: Mapped[str] = mapped_column(String(20))  # foreign VAT number
    employer_name: Mapped[str] = mapped_column(String(200))
    inss: Mapped[str | None] = mapped_column(String(11))  # the worker's INSS/BIS, when known
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_limosa_declaration_inss", "inss", "employer"),)


class WorkDeclaration(Base):
    """A work declaration (30bis): the workplace every registration points to."""

    __tablename__ = "work_declaration"

    number: Mapped[str] = mapped_column(String(13), primary_key=True)
    sector: Mapped[int] = mapped_column(SmallInteger)
    client: Mapped[str] = mapped_column(String(20))  # the principal (donneur d'ordre)
    client_name: Mapped[str] = mapped_column(String(200))
    declaring_contractor: Mapped[str] = mapped_column(String(20))
    street: Mapped[str] = mapped_column(String(150))
    house_number: Mapped[str] = mapped_column(String(20))
    post_code: Mapped[str] = mapped_column(String(4))
    municipality: Mapped[str] = mapped_column(String(100))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    amount_eur: Mapped[float] = mapped_column(Numeric(14, 2))  # all contracts on these works, excl. VAT
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    subject_to_registration: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Declared here (`services.declarations.declaring`) rather than imported: what the online declaration adds.
    origin: Mapped[str] = mapped_column(String(8), default="import", server_default="import")  # import | online
    description: Mapped[str | None] = mapped_column(Text)
    contact_name: Mapped[str | None] = mapped_column(String(200))  # the declaring contractor's contact person
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    actors: Mapped[list | None] = mapped_column(Json)  # architects, safety coordinators: [{role, name, enterprise}]
    declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a cancelled declaration is as none

    @property
    def place(self) -> Place:
        return Place(self.street, self.house_number, self.post_code, self.municipality, self.latitude,
                     self.longitude)

    contracts: Mapped[list[Contract]] = relationship(
        back_populates="declaration", cascade="all, delete-orphan", order_by="Contract.level"
    )

    __table_args__ = (
        Index("ix_work_declaration_contractor", "declaring_contractor"),
        Index("ix_work_declaration_client", "client"),
        Index("ix_work_declaration_position", "latitude", "longitude"),  # places near a point
    )


class Contract(Base):
    """A link of a declaration's chain: the declaring contractor (level 0) or a subcontractor."""

    __tablename__ = "contract"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    declaration: Mapped[WorkDeclaration] = relationship(back_populates="contracts")
    declaration_number: Mapped[str] = mapped_column(ForeignKey("work_declaration.number", ondelete="CASCADE"))
    enterprise: Mapped[str] = mapped_column(String(20))  # KBO/BCE number or foreign VAT
    parent: Mapped[str | None] = mapped_column(String(20))  # who subcontracted to it (None: the client)
    level: Mapped[int] = mapped_column(SmallInteger, default=0)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    amount_eur: Mapped[float | None] = mapped_column(Numeric(14, 2))
    activities: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (
        UniqueConstraint("declaration_number", "enterprise", "starts_on"),
        Index("ix_contract_enterprise", "enterprise"),
    )


class DeclarationRevision(Base):
    """A change to a work declaration made here: who, when, what (append-only; the declaration's history)."""

    __tablename__ = "declaration_revision"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    declaration_number: Mapped[str] = mapped_column(String(13), index=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))  # user:<id>, or operator
    actor_enterprise: Mapped[str | None] = mapped_column(String(20))
    change: Mapped[str] = mapped_column(String(30))  # declared | changed | subcontractor_added | ...
    details: Mapped[dict] = mapped_column(Json)  # what changed: {field: [before, after]} or the subcontractor
