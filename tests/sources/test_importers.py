"""Importers of the authentic sources: CSV and JSON files, all or nothing, upserts on natural keys."""

from __future__ import annotations

import csv
import json
import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from presence.db.models import AuditEvent
from presence.domain.visibility import Caller
from presence.services.registrations.revalidation import import_source
from presence.services.runtime import Runtime
from presence.sources import importers
from presence.sources.importers import SOURCES, AffectedKeys, ImportRejected, import_file
from presence.sources.models import (
    Contract,
    DimonaPeriod,
    EmployerPeriod,
    Enterprise,
    LimosaDeclaration,
    Mandate,
    Person,
    WorkDeclaration,
)
from presence.sources.simulation import make_foreign_vat, make_limosa_id

POSTGRES_URL = os.environ.get("PRESENCE_TEST_POSTGRES_URL")
NOW = datetime(2026, 3, 3, 8, 30, tzinfo=UTC)
GERMAN = make_foreign_vat("DE", 81_304_657)


class Recorder(list):
    """An `after_write` that records its calls (source, keys) and says 7 registrations were queued."""

    def __call__(self, session, report):
        assert session.in_transaction()
        self.append((report.source, report.keys))
        return 7


@pytest.fixture
def hook():
    return Recorder()


# Two valid rows per source (CSV text values; the JSON tests use the same values).
ROWS = {
    "people": [
        {"inss": "78012340961", "given_name": "Jan", "family_name": "Janssens", "birth_date": "1978-01-23"},
        {"inss": "98472899765", "given_name": "Piotr", "family_name": "Kowalski", "birth_date": ""},
    ],
    "enterprises": [
        {"number": "0448.181.966", "name": "Exemplum SA", "natural_person": "false", "country": "BE",
         "starts_on": "2000-01-01", "ends_on": ""},
        {"number": GERMAN, "name": "Beispiel Bau GmbH", "natural_person": "0", "country": "DE",
         "starts_on": "2005-01-01", "ends_on": "2030-12-31"},
    ],
    "employer-periods": [
        {"enterprise": "0448181966", "starts_on": "2000-01-01", "ends_on": ""},
        {"enterprise": "BE0428759497", "starts_on": "1998-09-01", "ends_on": "2020-01-31"},
    ],
    "mandates": [
        {"enterprise": "0448181966", "inss": "78012340961", "role": "founder", "starts_on": "2000-01-01",
         "ends_on": ""},
        {"enterprise": "0428759497", "inss": "85073003328", "role": "mandatary", "starts_on": "2010-05-01",
         "ends_on": "2019-04-30"},
    ],
    "dimona": [
        {"dimona_id": "100000000001", "inss": "78012340961", "employer": "0448181966",
         "starts_on": "2010-01-01", "ends_on": "", "worker_type": "OTH"},
        {"dimona_id": "100000000002", "inss": "00012556777", "employer": "0428759497",
         "starts_on": "2024-07-01", "ends_on": "2024-08-31", "worker_type": "stu"},
    ],
    "limosa": [
        {"number": "24910158641968060", "employer": GERMAN, "employer_name": "Beispiel Bau GmbH",
         "inss": "98472899765", "given_name": "Piotr", "family_name": "Kowalski", "starts_on": "2013-01-01",
         "ends_on": "2099-12-31"},
        {"number": "24911936602056031", "employer": GERMAN, "employer_name": "Beispiel Bau GmbH",
         "inss": "", "given_name": "João", "family_name": "Silva", "starts_on": "2013-01-01",
         "ends_on": "2099-12-31"},
    ],
    "declarations": [
        {"number": "1Y1000003EQCZ", "sector": "construction", "client": "0403019261",
         "client_name": "Immo NV", "declaring_contractor": "0448181966", "street": "Rue de la Loi",
         "house_number": "16", "post_code": "1000", "municipality": "Bruxelles", "latitude": "",
         "longitude": "", "amount_eur": "2500000", "starts_on": "2013-01-01", "ends_on": ""},
        {"number": "1Y1-003SQ5VSS-Z", "sector": "4", "client": "0566988259", "client_name": "Kantoren BV",
         "declaring_contractor": "0448181966", "street": "Grand-Place", "house_number": "1",
         "post_code": "1000", "municipality": "Bruxelles", "latitude": "50.8467", "longitude": "4.3525",
         "amount_eur": "180000.50", "starts_on": "2013-01-01", "ends_on": ""},
    ],
    "contracts": [
        {"declaration_number": "1Y1000003EQCZ", "enterprise": "0448181966", "parent": "", "level": "0",
         "starts_on": "2013-01-01", "ends_on": "", "amount_eur": "2500000"},
        {"declaration_number": "1Y1000003EQCZ", "enterprise": GERMAN, "parent": "0448181966", "level": "1",
         "starts_on": "2013-01-01", "ends_on": "", "amount_eur": ""},
    ],
}

MODELS = {"people": Person, "enterprises": Enterprise, "employer-periods": EmployerPeriod,
          "mandates": Mandate, "dimona": DimonaPeriod, "limosa": LimosaDeclaration,
          "declarations": WorkDeclaration, "contracts": Contract}


def write_csv(path: Path, rows: list[dict], header: list[str] | None = None, bom: bool = False) -> Path:
    header = header or list(rows[0])
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_json(path: Path, rows: list[dict], wrapped: bool = False) -> Path:
    document = {"items": rows} if wrapped else rows
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def as_json_values(row: dict) -> dict:
    """The CSV values as a JSON producer would write them: empty strings as null, some numbers as numbers."""
    out = {}
    for name, value in row.items():
        if value == "":
            out[name] = None
        elif name in ("level", "amount_eur", "latitude", "longitude"):
            out[name] = float(value) if "." in value else int(value)
        elif name == "natural_person":
            out[name] = value in ("true", "1")
        else:
            out[name] = value
    return out


def count(db, model) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(model))


def table_rows(db, model) -> list[dict]:
    table = model.__table__
    columns = [c for c in table.c if c.name not in ("id", "updated_at", "amount_eur")]
    with db.reading() as session:
        return [dict(r._mapping) for r in session.execute(select(*columns).order_by(*columns))]


def load(db, source, tmp_path, clock, fmt="csv", rows=None, after_write=None):
    rows = rows if rows is not None else ROWS[source]
    if fmt == "csv":
        path = write_csv(tmp_path / f"{source}.csv", rows)
    else:
        path = write_json(tmp_path / f"{source}.json", [as_json_values(r) for r in rows])
    return import_file(db, source, path, clock, after_write)


def test_the_sources():
    assert list(SOURCES) == ["people", "enterprises", "employer-periods", "mandates", "dimona", "limosa",
                             "declarations", "contracts"]
    assert SOURCES["people"].required_columns == ("inss", "given_name", "family_name")


def test_unknown_source_lists_the_valid_ones(db, tmp_path, clock):
    with pytest.raises(ValueError, match="people, enterprises, employer-periods"):
        import_file(db, "persons", tmp_path / "x.csv", clock)


@pytest.mark.parametrize("fmt", ["csv", "json"])
@pytest.mark.parametrize("source", list(ROWS))
def test_happy_path(db, tmp_path, clock, hook, source, fmt):
    if source == "contracts":
        load(db, "declarations", tmp_path, clock, fmt)
    report = load(db, source, tmp_path, clock, fmt, after_write=hook)

    assert report.ok and report.accepted == 2 and report.rejected == []
    assert report.revalidated == 7
    assert count(db, MODELS[source]) == 2
    assert hook == [(source, report.keys)]
    assert isinstance(report.keys, AffectedKeys)
    assert set(report.affected) == {"inss", "enterprises", "limosa_ids", "workplaces", "people_at"}


def test_values_are_stored_in_canonical_form(db, tmp_path, clock):
    for source in ROWS:
        load(db, source, tmp_path, clock)
    with db.reading() as session:
        exemplum = session.get(Enterprise, "0448181966")
        assert (exemplum.natural_person, exemplum.country, exemplum.ends_on) == (False, "BE", None)
        assert exemplum.updated_at == NOW
        assert session.get(Enterprise, GERMAN).country == "DE"
        assert session.scalars(select(EmployerPeriod.enterprise).order_by(EmployerPeriod.enterprise)).all() \
            == ["0428759497", "0448181966"]
        student = select(DimonaPeriod.worker_type).where(DimonaPeriod.dimona_id == "100000000002")
        assert session.scalar(student) == "STU"
        assert session.get(Person, "98472899765").birth_date is None
        assert session.get(LimosaDeclaration, "24911936602056031").inss is None
        cleaning = session.get(WorkDeclaration, "1Y1003SQ5VSSZ")
        assert (cleaning.sector, cleaning.subject_to_registration) == (4, True)
        assert (cleaning.latitude, cleaning.longitude) == (50.8467, 4.3525)
        assert float(cleaning.amount_eur) == 180000.5
        assert session.get(WorkDeclaration, "1Y1000003EQCZ").subject_to_registration is True
        german = session.scalars(select(Contract).where(Contract.enterprise == GERMAN)).one()
        assert (german.parent, german.level, german.amount_eur) == ("0448181966", 1, None)


def test_affected_keys(db, tmp_path, clock):
    reports = {source: load(db, source, tmp_path, clock) for source in ROWS}
    assert reports["people"].keys == AffectedKeys(inss=frozenset({"78012340961", "98472899765"}))
    assert reports["enterprises"].keys.enterprises == {"0448181966", GERMAN}
    assert reports["employer-periods"].keys.enterprises == {"0448181966", "0428759497"}
    # A person's Dimona or mandate concerns that person's registrations for that enterprise only.
    assert reports["mandates"].keys == AffectedKeys(people_at=frozenset(
        {("78012340961", "0448181966"), ("85073003328", "0428759497")}))
    assert reports["dimona"].keys == AffectedKeys(people_at=frozenset(
        {("78012340961", "0448181966"), ("00012556777", "0428759497")}))
    assert reports["limosa"].keys == AffectedKeys(
        people_at=frozenset({("98472899765", GERMAN)}),
        limosa_ids=frozenset({"24910158641968060", "24911936602056031"}))
    assert reports["declarations"].keys == AffectedKeys(
        workplaces=frozenset({"1Y1000003EQCZ", "1Y1003SQ5VSSZ"}))
    assert reports["contracts"].keys == AffectedKeys(workplaces=frozenset({"1Y1000003EQCZ"}))


def test_json_items_wrapper_and_bom(db, tmp_path, clock):
    path = write_json(tmp_path / "people.json", [as_json_values(r) for r in ROWS["people"]], wrapped=True)
    assert import_file(db, "people", path, clock).accepted == 2
    path = write_csv(tmp_path / "enterprises.csv", ROWS["enterprises"], bom=True)
    assert import_file(db, "enterprises", path, clock).accepted == 2


def test_optional_columns_may_be_left_out(db, tmp_path, clock):
    path = tmp_path / "enterprises.csv"
    path.write_text("number,name,starts_on\n0448181966,Exemplum SA,2000-01-01\n", encoding="utf-8")
    import_file(db, "enterprises", path, clock)
    with db.reading() as session:
        row = session.get(Enterprise, "0448181966")
        assert (row.natural_person, row.country, row.ends_on) == (False, "BE", None)


def test_json_numbers_for_identifiers(db, tmp_path, clock):
    path = write_json(tmp_path / "dimona.json", [
        {"dimona_id": 5, "inss": 12556777, "employer": 448181966, "starts_on": "2020-01-01"}])
    import_file(db, "dimona", path, clock)
    with db.reading() as session:
        row = session.scalars(select(DimonaPeriod)).one()
        assert (row.dimona_id, row.inss, row.employer) == ("5", "00012556777", "0448181966")


@pytest.mark.parametrize("amount,sector,starts_on,given,expected", [
    ("499999.99", "construction", "2020-05-04", "", False),
    ("500000", "1", "2020-05-04", "", True),
    ("500000", "1", "2016-02-29", "", False),  # works started before March 2016: €800,000
    ("800000", "1", "2016-02-29", "", True),
    ("1000", "meat", "2020-05-04", "", True),
    ("1000", "3", "2020-05-04", "", True),
    ("100", "cleaning", "2024-01-01", "", True),
    ("900000", "construction", "2020-05-04", "false", False),  # the declaration says so
])
def test_subject_to_registration(db, tmp_path, clock, amount, sector, starts_on, given, expected):
    row = dict(ROWS["declarations"][0], amount_eur=amount, sector=sector, starts_on=starts_on)
    row["subject_to_registration"] = given
    load(db, "declarations", tmp_path, clock, rows=[row])
    with db.reading() as session:
        assert session.get(WorkDeclaration, "1Y1000003EQCZ").subject_to_registration is expected


def reject(db, source, path, clock, after_write=None) -> list[tuple[int, str]]:
    with pytest.raises(ImportRejected) as caught:
        import_file(db, source, path, clock, after_write)
    report = caught.value.report
    assert report.accepted == 0 and not report.ok
    assert count(db, MODELS[source]) == 0, "nothing is stored when a row is rejected"
    return [(r.line, r.reason) for r in report.rejected]


def test_broken_rows_are_all_reported_with_their_lines(db, tmp_path, clock, hook):
    good = ROWS["mandates"][0]
    rows = [
        good,
        dict(good, inss="78012340962"),  # line 3: wrong check digits
        dict(good, starts_on="2000-02-30", inss="85073003328"),  # line 4: not a date
        dict(good, starts_on="01/02/2000", inss="17073003384"),  # line 5: not ISO
        dict(good, ends_on="1999-12-31", inss="00012556777"),  # line 6: ends before it starts
        dict(good, enterprise="0431150351", inss="01490700185"),  # line 7: enterprise check digits
        dict(good, role="boss", inss="97440936363"),  # line 8
        dict(good, enterprise="", inss="85073003328", role="mandatary"),  # line 9: missing value
    ]
    problems = reject(db, "mandates", write_csv(tmp_path / "m.csv", rows), clock, hook)
    assert problems == [
        (3, "inss: wrong check digits"),
        (4, "starts_on: not a calendar date"),
        (5, "starts_on: expected a date as YYYY-MM-DD"),
        (6, "ends_on: before starts_on"),
        (7, "enterprise: wrong check digits"),
        (8, "role: Input should be 'founder' or 'mandatary'"),
        (9, "enterprise: required"),
    ]
    assert hook == []


def test_json_rows_are_numbered_from_one(db, tmp_path, clock):
    rows = [as_json_values(r) for r in ROWS["limosa"]]
    rows[1]["number"] = "24911936602056032"
    rows.append("not an object")
    rows.append(dict(rows[0], number=24910158641968060, surprise=1))
    rows.append(dict(rows[0], inss=None, given_name=None, ends_on="2099-13-01"))
    problems = reject(db, "limosa", write_json(tmp_path / "l.json", rows), clock)
    assert problems == [
        (2, "number: wrong check digits"),
        (3, "not a JSON object"),
        (4, "surprise: unknown field"),
        (5, "given_name: required; ends_on: not a calendar date"),
    ]


def test_multiline_csv_field_keeps_physical_line_numbers(db, tmp_path, clock):
    path = tmp_path / "people.csv"
    path.write_text('inss,given_name,family_name\n78012340961,"Jan\nMarie",Janssens\n'
                    '\n85073003328,Luc,\n', encoding="utf-8")
    assert reject(db, "people", path, clock) == [(5, "family_name: required")]


def test_declaration_rules(db, tmp_path, clock):
    good = ROWS["declarations"][1]
    rows = [
        dict(good, sector="2"),
        dict(good, latitude="4.35", longitude="50.85"),  # swapped
        dict(good, latitude=""),
        dict(good, post_code="0123"),
        dict(good, number="1Y1000003EQIZ"),
        dict(good, client=GERMAN, declaring_contractor="DE123"),
        dict(good, amount_eur="-5"),
    ]
    problems = dict(reject(db, "declarations", write_csv(tmp_path / "d.csv", rows), clock))
    assert problems[2] == "sector: 1 (construction), 3 (meat) or 4 (cleaning)"
    assert problems[3].startswith("latitude: Input should be greater than or equal to 49.45")
    assert "longitude: Input should be less than or equal to 6.45" in problems[3]
    assert problems[4] == "latitude, longitude: give both or neither"
    assert problems[5].startswith("post_code: String should match pattern")
    assert problems[6] == "number: wrong format: digits and letters except I and O"
    assert problems[7].startswith("declaring_contractor: wrong")  # the foreign client itself is fine
    assert problems[8].startswith("amount_eur: Input should be greater than or equal to 0")


def test_enterprise_numbers_follow_the_country(db, tmp_path, clock):
    good = ROWS["enterprises"][0]
    rows = [dict(good, country="DE"), dict(good, number=GERMAN, country="BE"), dict(good, country="Belgium")]
    problems = reject(db, "enterprises", write_csv(tmp_path / "e.csv", rows), clock)
    assert [line for line, _ in problems] == [2, 3, 4]
    assert problems[0][1].startswith("number: wrong format")
    assert problems[2][1].startswith("country: String should match pattern")


def test_belgian_only_columns_refuse_foreign_numbers(db, tmp_path, clock):
    row = dict(ROWS["employer-periods"][0], enterprise=GERMAN)
    assert reject(db, "employer-periods", write_csv(tmp_path / "p.csv", [row]), clock) == [
        (2, "enterprise: wrong format")]


def test_duplicate_keys_in_one_file(db, tmp_path, clock):
    rows = [ROWS["people"][0], ROWS["people"][1], dict(ROWS["people"][0], given_name="Other")]
    assert reject(db, "people", write_csv(tmp_path / "p.csv", rows), clock) == [
        (4, "same inss as line 2")]


@pytest.mark.parametrize("content,expected", [
    ("given_name,family_name\nJan,Janssens\n", (1, "missing required columns: inss")),
    ("inss,given_name,family_name,nickname\n78012340961,Jan,Janssens,J\n",
     (1, "unknown columns: nickname (expected among: inss, given_name, family_name, birth_date)")),
    ("inss,inss,given_name,family_name\n", (1, "repeated columns: inss")),
    ('inss,given_name,family_name\n78012340961,"Jan"x,Janssens\n',
     (2, "broken CSV: ',' expected after '\"'")),
    ('inss,given_name,family_name\n78012340961,"Jan,Janssens\n', (2, "broken CSV: unexpected end of data")),
    ("", (0, "empty file: a header row with the field names is needed")),
    ("inss,given_name,family_name\n78012340961,Jan\n", (2, "2 fields where the header has 3")),
])
def test_unreadable_csv(db, tmp_path, clock, content, expected):
    path = tmp_path / "people.csv"
    path.write_text(content, encoding="utf-8")
    [problem] = reject(db, "people", path, clock)
    assert problem[0] == expected[0]
    assert problem[1].startswith(expected[1])


@pytest.mark.parametrize("content,expected", [
    ('[{"inss": "78012340961",}]', "broken JSON at line 1, column 25: Expecting property name"),
    ('{"people": []}', 'JSON: expected a list of objects, or {"items": [...]}'),
    ("42", 'JSON: expected a list of objects'),
])
def test_unreadable_json(db, tmp_path, clock, content, expected):
    path = tmp_path / "people.json"
    path.write_text(content, encoding="utf-8")
    [(line, reason)] = reject(db, "people", path, clock)
    assert line == 0 and reason.startswith(expected)


def test_unreadable_files(db, tmp_path, clock):
    assert reject(db, "people", tmp_path / "people.xlsx", clock) == [
        (0, "unsupported file type: .csv or .json")]
    [(line, reason)] = reject(db, "people", tmp_path / "absent.csv", clock)
    assert line == 0 and reason.startswith("cannot read the file")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("inss,given_name,family_name\n78012340961,Andr\xe9,X\n".encode("latin-1"))
    assert reject(db, "people", latin, clock) == [(0, "not UTF-8 text (line 2, byte 44)")]


def test_empty_file_imports_nothing(db, tmp_path, clock, hook):
    path = tmp_path / "people.csv"
    path.write_text("inss,given_name,family_name\n", encoding="utf-8")
    report = import_file(db, "people", path, clock, hook)
    assert report.ok and report.accepted == 0 and hook == []


@pytest.mark.parametrize("source", list(ROWS))
def test_reimport_updates_in_place(db, tmp_path, clock, source):
    if source == "contracts":
        load(db, "declarations", tmp_path, clock)
    load(db, source, tmp_path, clock)
    changed = {
        "people": ("given_name", "Johan"), "enterprises": ("name", "Renamed"),
        "employer-periods": ("ends_on", "2031-01-31"), "mandates": ("ends_on", "2031-01-31"),
        "dimona": ("ends_on", "2031-01-31"), "limosa": ("ends_on", "2031-01-31"),
        "declarations": ("ends_on", "2031-01-31"), "contracts": ("ends_on", "2031-01-31"),
    }[source]
    rows = [dict(ROWS[source][0], **dict([changed])), ROWS[source][1]]
    before = table_rows(db, MODELS[source])
    clock.set(datetime(2026, 4, 1, tzinfo=UTC))
    report = load(db, source, tmp_path, clock, rows=rows)
    after = table_rows(db, MODELS[source])

    assert report.accepted == 2 and count(db, MODELS[source]) == 2
    assert len(after) == len(before)
    changed_value = date.fromisoformat(changed[1]) if changed[0] == "ends_on" else changed[1]
    assert changed_value in [row[changed[0]] for row in after]
    if "updated_at" in MODELS[source].__table__.c:
        with db.reading() as session:
            stamps = set(session.scalars(select(MODELS[source].__table__.c.updated_at)))
        assert stamps == {datetime(2026, 4, 1, tzinfo=UTC)}


def test_contracts_need_their_declaration(db, tmp_path, clock, hook):
    load(db, "declarations", tmp_path, clock, rows=ROWS["declarations"][1:])
    rows = [dict(ROWS["contracts"][0], declaration_number="1Y1003SQ5VSSZ"), *ROWS["contracts"]]
    assert reject(db, "contracts", write_csv(tmp_path / "c.csv", rows), clock, hook) == [
        (3, "declaration_number: no work declaration has this number (import it first)"),
        (4, "declaration_number: no work declaration has this number (import it first)"),
    ]
    assert hook == []


def test_contract_chain_rules(db, tmp_path, clock):
    load(db, "declarations", tmp_path, clock)
    good = ROWS["contracts"][1]
    rows = [dict(good, level="0"), dict(good, parent=GERMAN), dict(good, level="-1")]
    problems = reject(db, "contracts", write_csv(tmp_path / "c.csv", rows), clock)
    assert problems[0] == (2, "parent: the declaring contractor (level 0) has no parent")
    assert problems[1] == (3, "parent: an enterprise does not subcontract to itself")
    assert problems[2][1].startswith("level: Input should be greater than or equal to 0")


BAD_INSS = ["78012340962", "7801234096", "780123409611", "78O12340961", "98472899766", "98.47.28-997.66",
            "00012556778", "05011512379"]


@pytest.mark.parametrize("source,column", [("people", "inss"), ("mandates", "inss"), ("dimona", "inss"),
                                           ("limosa", "inss")])
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_inss_never_appears_in_messages(db, tmp_path, clock, source, column, fmt):
    rows = [dict(ROWS[source][0], **{column: bad}) for bad in BAD_INSS]
    if source == "dimona":
        rows = [dict(row, dimona_id=str(n)) for n, row in enumerate(rows)]
    if source == "limosa":
        rows = [dict(row, number=make_limosa_id(n)) for n, row in enumerate(rows)]
    if fmt == "csv":
        path = write_csv(tmp_path / "x.csv", rows)
    else:
        path = write_json(tmp_path / "x.json", rows)
    with pytest.raises(ImportRejected) as caught:
        import_file(db, source, path, clock)
    text = str(caught.value) + repr(caught.value.report)
    assert len(caught.value.report.rejected) == len(rows)
    for bad in BAD_INSS:
        assert bad not in text
        assert bad.replace(".", "").replace("-", "") not in text
    assert all(r.reason.startswith("inss: ") for r in caught.value.report.rejected)


def test_after_write_runs_in_the_import_transaction(db, tmp_path, clock):
    def failing(session, report):
        raise RuntimeError("revalidation failed")

    with pytest.raises(RuntimeError):
        load(db, "people", tmp_path, clock, after_write=failing)
    assert count(db, Person) == 0


def test_the_import_service_audits_and_queues_checks(db, tmp_path, clock):
    runtime = Runtime(db=db, clock=clock)
    path = write_csv(tmp_path / "dimona.csv", ROWS["dimona"])
    report = import_source(runtime, Caller.operator(), "dimona", path)
    assert report.accepted == 2 and report.revalidated == 0
    with db.reading() as session:
        [event] = session.scalars(select(AuditEvent)).all()
    assert event.action == "source.imported" and event.actor_kind == "operator"
    assert event.details == {"source": "dimona", "file": "dimona.csv", "rows": 2, "revalidated": 0}


def test_report_texts():
    report = importers.ImportReport("people", "p.csv", rejected=[
        importers.RejectedRow(0, "broken JSON"), importers.RejectedRow(3, "inss: wrong check digits")])
    assert [str(r) for r in report.rejected] == ["file: broken JSON", "line 3: inss: wrong check digits"]
    assert str(ImportRejected(report)) == (
        "people: nothing imported from p.csv, 2 problems: "
        "file: broken JSON; line 3: inss: wrong check digits")


def test_hostile_files_get_short_clear_answers(db, tmp_path, clock):
    deep = tmp_path / "people.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    assert reject(db, "people", deep, clock) == [(0, "JSON nested too deeply: expected a list of flat objects")]
    wide = tmp_path / "people.csv"
    wide.write_text("inss,given_name,family_name," + ",".join(f"c{i}" for i in range(50_000)) + "\n")
    [(line, reason)] = reject(db, "people", wide, clock)
    assert line == 1 and "and 49990 more" in reason and len(reason) < 400


def test_a_file_without_header_does_not_echo_personal_numbers(db, tmp_path, clock):
    headless = tmp_path / "people.csv"
    headless.write_text("85073003328,Jan,Peeters\n")
    problems = reject(db, "people", headless, clock)
    assert problems and all("85073003328" not in reason for _, reason in problems)
