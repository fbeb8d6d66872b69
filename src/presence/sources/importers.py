"""Importers of the authentic sources: CSV or JSON files into the local copies.

An import is all or nothing. Every row is validated first (identifiers through `domain.identifiers`, ISO
dates, periods that end after they start ...); if any row is rejected, or the file cannot be read, nothing is
written and the report lists every problem with its line (CSV: the physical line, the header being line 1;
JSON: the item's position, from 1; 0: the file as a whole). Otherwise all rows are written in one transaction
as upserts on the source's natural key, and `after_write` runs in the same transaction.

Messages never quote an INSS value: they name the field and say what is wrong with it.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from sqlalchemy import Table, select

from ..db.batching import chunked
from ..db.bulk import upsert
from ..db.engine import Database
from ..domain.declarations import subject_to_registration
from ..domain.identifiers import (
    InvalidIdentifier,
    parse_any_enterprise,
    parse_enterprise_number,
    parse_foreign_vat,
    parse_inss,
    parse_limosa_id,
    parse_work_declaration_number,
)
from ..domain.registration import BELGIUM_LATITUDE, BELGIUM_LONGITUDE
from ..domain.sectors import Sector
from ..logs import mask_personal_numbers
from .models import (
    Contract,
    DimonaPeriod,
    EmployerPeriod,
    Enterprise,
    LimosaDeclaration,
    Mandate,
    Person,
    WorkDeclaration,
)

WRITE_CHUNK = 1000
# Line number of a problem with the file as a whole (format, encoding, JSON syntax).
WHOLE_FILE = 0


# --- Field types -----------------------------------------------------------------------------------------


def _identifier(parser: Callable[[str], str], width: int = 0):
    """A field parsed by one of `domain.identifiers`' parsers; a JSON number is taken as its digits."""

    def before(value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value).zfill(width)
        return value

    def after(value: str) -> str:
        try:
            return parser(value)
        except InvalidIdentifier as error:
            raise ValueError(error.reason) from None

    return [BeforeValidator(before), AfterValidator(after)]


def _iso_date(value: Any) -> Any:
    if value is None or isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise ValueError("expected a date as YYYY-MM-DD")
    text = value.strip()
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        raise ValueError("expected a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError("not a calendar date") from None


Inss = Annotated[str, *_identifier(parse_inss, 11)]
EnterpriseNumber = Annotated[str, *_identifier(parse_enterprise_number, 10)]
AnyEnterprise = Annotated[str, *_identifier(parse_any_enterprise, 10)]
ForeignVat = Annotated[str, *_identifier(parse_foreign_vat)]
LimosaId = Annotated[str, *_identifier(parse_limosa_id)]
WorkplaceNumber = Annotated[str, *_identifier(parse_work_declaration_number)]
Day = Annotated[date, BeforeValidator(_iso_date)]
Name = Annotated[str, Field(min_length=1, max_length=100)]
LongName = Annotated[str, Field(min_length=1, max_length=200)]
Amount = Annotated[float, Field(ge=0, lt=10**12, allow_inf_nan=False)]


def _sector(value: Any) -> Any:
    names = {"construction": Sector.CONSTRUCTION, "meat": Sector.MEAT, "cleaning": Sector.CLEANING}
    text = str(value).strip().lower()
    if text in names:
        return names[text]
    if text in ("1", "3", "4"):
        return Sector(int(text))
    raise ValueError("1 (construction), 3 (meat) or 4 (cleaning)")


# --- Row models (one per source) ---------------------------------------------------------------------------


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Period(_Row):
    @model_validator(mode="after")
    def _ends_after_start(self):
        ends_on = getattr(self, "ends_on", None)
        if ends_on is not None and ends_on < self.starts_on:
            raise ValueError("ends_on: before starts_on")
        return self


class PersonRow(_Row):
    inss: Inss
    given_name: Name
    family_name: Name
    birth_date: Day | None = None


class EnterpriseRow(_Period):
    number: Annotated[str, BeforeValidator(lambda v: str(v).zfill(10) if isinstance(v, int) else v),
                      Field(min_length=1)]
    name: LongName
    natural_person: bool = False
    country: str = Field("BE", pattern=r"^[A-Za-z]{2}$")
    starts_on: Day
    ends_on: Day | None = None

    @model_validator(mode="after")
    def _number_of_its_country(self):
        country = self.country.upper()
        try:
            number = (parse_enterprise_number(self.number) if country == "BE"
                      else parse_foreign_vat(self.number))
        except InvalidIdentifier as error:
            raise ValueError(f"number: {error.reason}") from None
        self.number, self.country = number, country
        return self


class EmployerPeriodRow(_Period):
    enterprise: EnterpriseNumber
    starts_on: Day
    ends_on: Day | None = None


class MandateRow(_Period):
    enterprise: EnterpriseNumber
    inss: Inss
    role: Literal["founder", "mandatary"]
    starts_on: Day
    ends_on: Day | None = None


class DimonaRow(_Period):
    dimona_id: Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, int) else v),
                         Field(min_length=1, max_length=20)]
    inss: Inss
    employer: EnterpriseNumber
    starts_on: Day
    ends_on: Day | None = None
    worker_type: Annotated[str, Field(pattern=r"^[A-Za-z0-9]{1,3}$"), AfterValidator(str.upper)] = "OTH"


class LimosaRow(_Period):
    number: LimosaId
    employer: ForeignVat
    employer_name: LongName
    inss: Inss | None = None
    given_name: Name
    family_name: Name
    starts_on: Day
    ends_on: Day


class DeclarationRow(_Period):
    number: WorkplaceNumber
    sector: Annotated[int, BeforeValidator(_sector)]
    client: AnyEnterprise
    client_name: LongName
    declaring_contractor: AnyEnterprise
    street: Annotated[str, Field(min_length=1, max_length=150)]
    house_number: Annotated[str, Field(min_length=1, max_length=20)]
    post_code: Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, int) else v),
                         Field(pattern=r"^[1-9][0-9]{3}$")]
    municipality: Name
    latitude: Annotated[float, Field(ge=BELGIUM_LATITUDE[0], le=BELGIUM_LATITUDE[1])] | None = None
    longitude: Annotated[float, Field(ge=BELGIUM_LONGITUDE[0], le=BELGIUM_LONGITUDE[1])] | None = None
    amount_eur: Amount
    starts_on: Day
    ends_on: Day | None = None
    subject_to_registration: bool | None = None  # absent: computed from the sector and the amount

    @model_validator(mode="after")
    def _complete(self):
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude, longitude: give both or neither")
        if self.subject_to_registration is None:
            self.subject_to_registration = subject_to_registration(Sector(self.sector), self.amount_eur,
                                                                   self.starts_on)
        return self


class ContractRow(_Period):
    declaration_number: WorkplaceNumber
    enterprise: AnyEnterprise
    parent: AnyEnterprise | None = None
    level: Annotated[int, Field(ge=0, le=20)] = 0
    starts_on: Day
    ends_on: Day | None = None
    amount_eur: Amount | None = None

    @model_validator(mode="after")
    def _chain(self):
        if self.parent is not None and self.level == 0:
            raise ValueError("parent: the declaring contractor (level 0) has no parent")
        if self.parent is not None and self.parent == self.enterprise:
            raise ValueError("parent: an enterprise does not subcontract to itself")
        return self


# --- Sources -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AffectedKeys:
    """What an import touched, so the registrations concerned can be checked again."""

    inss: frozenset[str] = frozenset()  # every registration of these people
    enterprises: frozenset[str] = frozenset()  # every registration for these enterprises
    limosa_ids: frozenset[str] = frozenset()
    workplaces: frozenset[str] = frozenset()
    people_at: frozenset[tuple[str, str]] = frozenset()  # (INSS, enterprise): that person for that enterprise

    def as_dict(self) -> dict[str, frozenset]:
        return {"inss": self.inss, "enterprises": self.enterprises, "limosa_ids": self.limosa_ids,
                "workplaces": self.workplaces, "people_at": self.people_at}


def _keys(rows: list[BaseModel], people_at: tuple[str, str] | None = None, **columns: tuple[str, ...]
          ) -> AffectedKeys:
    values = {
        kind: frozenset(v for row in rows for name in names if (v := getattr(row, name)) is not None)
        for kind, names in columns.items()
    }
    if people_at:
        person, enterprise = people_at
        values["people_at"] = frozenset((getattr(row, person), getattr(row, enterprise)) for row in rows
                                        if getattr(row, person) is not None)
    return AffectedKeys(**values)


@dataclass(frozen=True)
class SourceSpec:
    name: str  # as on the command line
    model: type[_Row]
    table: Table
    key: tuple[str, ...]  # the natural key, a unique constraint of the table
    affected: Callable[[list], AffectedKeys]
    description: str

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.model.model_fields)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(name for name, info in self.model.model_fields.items() if info.is_required())

    @property
    def has_updated_at(self) -> bool:
        return "updated_at" in self.table.c


SOURCES: dict[str, SourceSpec] = {
    spec.name: spec
    for spec in (
        SourceSpec("people", PersonRow, Person.__table__, ("inss",),
                   lambda rows: _keys(rows, inss=("inss",)),
                   "the national register and the BIS register"),
        SourceSpec("enterprises", EnterpriseRow, Enterprise.__table__, ("number",),
                   lambda rows: _keys(rows, enterprises=("number",)),
                   "the enterprise register (KBO/BCE) and foreign enterprises"),
        SourceSpec("employer-periods", EmployerPeriodRow, EmployerPeriod.__table__,
                   ("enterprise", "starts_on"),
                   lambda rows: _keys(rows, enterprises=("enterprise",)),
                   "periods during which enterprises are registered as employers"),
        SourceSpec("mandates", MandateRow, Mandate.__table__, ("enterprise", "inss", "role", "starts_on"),
                   lambda rows: _keys(rows, people_at=("inss", "enterprise")),
                   "founders and mandataries of enterprises"),
        SourceSpec("dimona", DimonaRow, DimonaPeriod.__table__, ("dimona_id",),
                   lambda rows: _keys(rows, people_at=("inss", "employer")),
                   "Dimona employment declarations"),
        SourceSpec("limosa", LimosaRow, LimosaDeclaration.__table__, ("number",),
                   lambda rows: _keys(rows, people_at=("inss", "employer"), limosa_ids=("number",)),
                   "Limosa declarations of posted workers"),
        SourceSpec("declarations", DeclarationRow, WorkDeclaration.__table__, ("number",),
                   lambda rows: _keys(rows, workplaces=("number",)),
                   "work declarations (the workplaces)"),
        SourceSpec("contracts", ContractRow, Contract.__table__,
                   ("declaration_number", "enterprise", "starts_on"),
                   lambda rows: _keys(rows, workplaces=("declaration_number",)),
                   "the chains of contractors of the work declarations"),
    )
}


# --- Reports -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RejectedRow:
    line: int  # CSV: physical line (header = 1); JSON: item position from 1; 0: the whole file
    reason: str

    def __post_init__(self) -> None:
        # A reason may quote a header or a key taken from the file: never a personal number.
        object.__setattr__(self, "reason", mask_personal_numbers(self.reason))

    def __str__(self) -> str:
        return f"{'file' if self.line == WHOLE_FILE else f'line {self.line}'}: {self.reason}"


@dataclass
class ImportReport:
    source: str
    file: str
    accepted: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    keys: AffectedKeys = field(default_factory=AffectedKeys)
    revalidated: int = 0  # registrations queued for a new check

    @property
    def ok(self) -> bool:
        return not self.rejected

    @property
    def affected(self) -> dict[str, frozenset[str]]:
        """The keys the import touched, by kind (inss, enterprises, limosa_ids, workplaces)."""
        return self.keys.as_dict()

    def summary(self) -> str:
        if self.ok:
            return (f"{self.source}: {self.accepted} rows imported from {self.file}; "
                    f"{self.revalidated} registrations queued for a new check")
        return f"{self.source}: nothing imported from {self.file}, {len(self.rejected)} problems"


class ImportRejected(Exception):
    """Nothing was imported; `report.rejected` says why."""

    def __init__(self, report: ImportReport) -> None:
        first = "; ".join(str(r) for r in report.rejected[:3])
        more = f" (and {len(report.rejected) - 3} more)" if len(report.rejected) > 3 else ""
        super().__init__(f"{report.summary()}: {first}{more}")
        self.report = report


class _FileProblem(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


# --- Reading -----------------------------------------------------------------------------------------------


def _absent(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_csv(text: str, spec: SourceSpec) -> Iterator[tuple[int, dict[str, Any] | RejectedRow]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise _FileProblem(WHOLE_FILE, "empty file: a header row with the field names is needed")
        header = [name.strip() for name in header]
        _check_header(header, spec)
        while True:
            start = reader.line_num + 1
            try:
                values = next(reader)
            except StopIteration:
                break
            if not any(v.strip() for v in values):
                continue  # blank line
            if len(values) != len(header):
                yield start, RejectedRow(start, f"{len(values)} fields where the header has {len(header)}")
                continue
            yield start, {name: value for name, value in zip(header, values, strict=True)
                          if not _absent(value)}
    except csv.Error as error:
        raise _FileProblem(reader.line_num, f"broken CSV: {error}") from None


def _names(names: list[str], shown: int = 10) -> str:
    """A list of names for a message, cut short when a hostile file has thousands."""
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(name[:40] for name in names[:shown]) + more


def _check_header(header: list[str], spec: SourceSpec) -> None:
    problems = []
    duplicated = sorted(name for name, n in Counter(header).items() if n > 1)
    if duplicated:
        problems.append(f"repeated columns: {_names(duplicated)}")
    unknown = [name for name in header if name not in spec.columns]
    if unknown:
        problems.append(f"unknown columns: {_names(unknown)} (expected among: {', '.join(spec.columns)})")
    missing = [name for name in spec.required_columns if name not in header]
    if missing:
        problems.append(f"missing required columns: {_names(missing)}")
    if problems:
        raise _FileProblem(1, "; ".join(problems))


def _read_json(text: str) -> Iterator[tuple[int, dict[str, Any] | RejectedRow]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise _FileProblem(WHOLE_FILE, f"broken JSON at {where}: {error.msg}") from None
    except RecursionError:
        raise _FileProblem(WHOLE_FILE, "JSON nested too deeply: expected a list of flat objects") from None
    items = document.get("items") if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise _FileProblem(WHOLE_FILE, 'JSON: expected a list of objects, or {"items": [...]}')
    for position, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            yield position, RejectedRow(position, "not a JSON object")
            continue
        yield position, {name: value for name, value in item.items() if not _absent(value)}


def _describe(error: dict) -> str:
    location = ".".join(str(part) for part in error["loc"])
    kind = error["type"]
    if kind == "missing":
        message = "required"
    elif kind == "extra_forbidden":
        message = "unknown field"
    else:
        message = error["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, "):]
    # Model-level checks name their field themselves ("ends_on: before starts_on").
    return f"{location}: {message}" if location else message


def _validate(spec: SourceSpec, rows: Iterable[tuple[int, dict[str, Any] | RejectedRow]]
              ) -> tuple[list[tuple[int, _Row]], list[RejectedRow]]:
    valid, rejected = [], []
    first_line_of_key: dict[tuple, int] = {}
    for line, raw in rows:
        if isinstance(raw, RejectedRow):
            rejected.append(raw)
            continue
        try:
            row = spec.model.model_validate(raw)
        except ValidationError as error:
            # include_input=False: the raw value (an INSS perhaps) never reaches the report.
            reasons = [_describe(e) for e in error.errors(include_url=False, include_input=False,
                                                          include_context=False)]
            rejected.append(RejectedRow(line, "; ".join(reasons)))
            continue
        key = tuple(getattr(row, name) for name in spec.key)
        if key in first_line_of_key:
            rejected.append(RejectedRow(line, f"same {', '.join(spec.key)} as line {first_line_of_key[key]}"))
            continue
        first_line_of_key[key] = line
        valid.append((line, row))
    return valid, rejected


def read_rows(spec: SourceSpec, path: Path) -> tuple[list[tuple[int, _Row]], list[RejectedRow]]:
    """Every row of the file, validated: (line, row) pairs and the rejected rows."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise _FileProblem(WHOLE_FILE, "unsupported file type: .csv or .json")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise _FileProblem(WHOLE_FILE, f"cannot read the file: {error.strerror or error}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise _FileProblem(WHOLE_FILE, f"not UTF-8 text (line {line}, byte {error.start})") from None
    rows = _read_csv(text, spec) if suffix == ".csv" else _read_json(text)
    return _validate(spec, rows)


# --- Writing -----------------------------------------------------------------------------------------------


def _unknown_declarations(session, rows: list[tuple[int, ContractRow]]) -> list[RejectedRow]:
    numbers = {row.declaration_number for _, row in rows}
    known: set[str] = set()
    for chunk in chunked(numbers):
        known.update(session.scalars(select(WorkDeclaration.number).where(WorkDeclaration.number.in_(chunk))))
    return [RejectedRow(line, "declaration_number: no work declaration has this number (import it first)")
            for line, row in rows if row.declaration_number not in known]


def import_file(db: Database, source: str, path: Path, clock,
                after_write: Callable[[Any, ImportReport], int] | None = None) -> ImportReport:
    """Import one file of `source` into its table, all or nothing.

    `after_write(session, report)` runs in the import's transaction once the rows are written (the services
    queue the checks the import calls for, and audit it); what it returns is `report.revalidated`.
    Raises `ImportRejected` (with the report) when a row is rejected or the file cannot be read.
    """
    spec = SOURCES.get(source)
    if spec is None:
        raise ValueError(f"unknown source {source!r}: one of {', '.join(SOURCES)}")
    path = Path(path)
    report = ImportReport(source=source, file=str(path))
    try:
        valid, report.rejected = read_rows(spec, path)
    except _FileProblem as problem:
        report.rejected = [RejectedRow(problem.line, problem.reason)]
    if report.rejected:
        report.rejected.sort(key=lambda r: r.line)
        raise ImportRejected(report)

    if not valid:
        return report
    rows = [row for _, row in valid]
    now = clock.now()
    values = []
    for row in rows:
        data = row.model_dump()
        if spec.has_updated_at:
            data["updated_at"] = now
        values.append(data)

    with db.writing() as session:
        if spec.name == "contracts":
            missing = _unknown_declarations(session, valid)
            if missing:
                report.rejected = missing
                raise ImportRejected(report)
        upsert(session, spec.table, values, list(spec.key), WRITE_CHUNK)
        report.accepted = len(values)
        report.keys = spec.affected(rows)
        if after_write is not None:
            report.revalidated = after_write(session, report)
    return report
