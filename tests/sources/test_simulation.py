"""The simulation dataset: deterministic, valid identifiers, the public examples, one scenario per remark."""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from stdnum.be import bis, nn

from presence.domain.identifiers import (
    parse_enterprise_number,
    parse_foreign_vat,
    parse_inss,
    parse_limosa_id,
    parse_work_declaration_number,
)
from presence.sources import simulation
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

POSTGRES_URL = os.environ.get("PRESENCE_TEST_POSTGRES_URL")
TODAY = date(2026, 3, 3)


def table_contents(db, model) -> list[tuple]:
    table = model.__table__
    with db.reading() as session:
        return [tuple(row) for row in session.execute(select(table).order_by(*table.primary_key.columns))]


def test_small_dataset(db):
    seen = []
    started = time.monotonic()
    summary = simulation.generate(db, "small", TODAY, progress=lambda *args: seen.append(args))
    assert time.monotonic() - started < 10

    counts = summary.counts
    assert 2_000 <= counts["person"] <= 2_300
    assert 400 <= counts["enterprise"] <= 500
    assert 200 <= counts["work_declaration"] <= 250
    assert 6_000 <= counts["dimona_period"] <= 6_100
    assert 100 <= counts["limosa_declaration"] <= 110
    assert counts["mandate"] >= 400 and counts["employer_period"] >= 250
    assert counts["contract"] >= 2 * counts["work_declaration"]
    models = {m.__tablename__: m for m in (Person, Enterprise, EmployerPeriod, Mandate, DimonaPeriod,
                                           LimosaDeclaration, WorkDeclaration, Contract)}
    with db.reading() as session:
        for table, model in models.items():
            assert session.scalar(select(func.count()).select_from(model)) == counts[table], table

    # Progress: after each chunk, ending at the total of every table.
    last = {}
    for table, done, total in seen:
        assert 0 < done <= total
        last[table] = (done, total)
    assert last == {table: (n, n) for table, n in counts.items()}
    assert summary.scenarios == simulation.scenarios(TODAY)


def test_determinism(db, second_db):
    one, two = db, second_db
    simulation.generate(one, "small", TODAY)
    simulation.generate(two, "small", TODAY)
    for model in (Person, Enterprise, Mandate, DimonaPeriod, LimosaDeclaration, WorkDeclaration,
                  Contract):
        assert table_contents(one, model) == table_contents(two, model), model.__tablename__


def test_another_day_moves_the_dates(db, second_db):
    one, two = db, second_db
    simulation.generate(one, "small", TODAY)
    simulation.generate(two, "small", TODAY + timedelta(days=10))
    with one.reading() as first, two.reading() as second:
        assert first.scalars(select(Person.inss)).all() == second.scalars(select(Person.inss)).all()
        shift = {(a - b).days for a, b in zip(
            first.scalars(select(WorkDeclaration.starts_on).order_by(WorkDeclaration.number)),
            second.scalars(select(WorkDeclaration.starts_on).order_by(WorkDeclaration.number)),
            strict=True)}
        assert -10 in shift


def test_refuses_to_load_twice(demo_db):
    assert simulation.is_loaded(demo_db)
    with pytest.raises(ValueError, match="already hold data"):
        simulation.generate(demo_db, "small", TODAY)


def test_refuses_any_source_data(db):
    assert not simulation.is_loaded(db)
    with db.writing() as session:
        session.add(Person(inss="78012340961", given_name="Jan", family_name="Janssens",
                           updated_at=datetime(2026, 1, 1, tzinfo=UTC)))
    with pytest.raises(ValueError, match="table person"):
        simulation.generate(db, "small", TODAY)
    with pytest.raises(ValueError, match="unknown size"):
        simulation.generate(db, "huge", TODAY)


def test_identifiers_are_valid(demo_db):
    with demo_db.reading() as session:
        people = session.scalars(select(Person.inss)).all()
        enterprises = session.execute(select(Enterprise.number, Enterprise.country)).all()
        limosa = session.execute(select(LimosaDeclaration.number, LimosaDeclaration.employer,
                                        LimosaDeclaration.inss)).all()
        workplaces = session.scalars(select(WorkDeclaration.number)).all()
        dimona = session.execute(select(DimonaPeriod.inss, DimonaPeriod.employer)).all()
        contracts = session.scalars(select(Contract.enterprise)).all()
        mandates = session.execute(select(Mandate.inss, Mandate.enterprise)).all()
        employer_periods = session.scalars(select(EmployerPeriod.enterprise)).all()

    for inss in people:
        assert parse_inss(inss) == inss
    assert any(nn.is_valid(i) and i[0] in "0" for i in people), "some people were born from 2000"
    assert sum(bis.is_valid(i) for i in people) >= 100
    for number, country in enterprises:
        parse = parse_enterprise_number if country == "BE" else parse_foreign_vat
        assert parse(number) == number
    assert {country for _, country in enterprises} >= {"BE", "DE", "PT", "LU"}
    for number, employer, inss in limosa:
        assert parse_limosa_id(number) == number
        assert parse_foreign_vat(employer) == employer
        assert inss is None or parse_inss(inss) == inss
    for number in workplaces:
        assert parse_work_declaration_number(number) == number
        assert number.startswith("1Y1") and number.endswith("Z")
    belgian = {number for number, country in enterprises if country == "BE"}
    foreign = {number for number, country in enterprises if country != "BE"}
    known_people = set(people)
    for inss, employer in dimona:
        assert parse_inss(inss) == inss and employer in belgian
    assert sum(inss not in known_people for inss, _ in dimona) == 1  # the CAW_15 scenario's
    assert set(contracts) <= belgian | foreign
    assert {e for _, e in mandates} <= belgian and {i for i, _ in mandates} <= known_people
    assert set(employer_periods) <= belgian


def test_periods_are_well_formed(demo_db):
    with demo_db.reading() as session:
        for model in (Enterprise, EmployerPeriod, Mandate, DimonaPeriod, LimosaDeclaration, WorkDeclaration,
                      Contract):
            bad = session.scalar(select(func.count()).select_from(model).where(
                model.ends_on.is_not(None), model.ends_on < model.starts_on))
            assert bad == 0, model.__tablename__


def test_declarations_mix(demo_db):
    with demo_db.reading() as session:
        sectors = dict(session.execute(select(WorkDeclaration.sector, func.count())
                                     .group_by(WorkDeclaration.sector)).all())
        assert set(sectors) == {1, 3, 4}
        subject = dict(session.execute(
            select(WorkDeclaration.subject_to_registration, func.count())
            .where(WorkDeclaration.sector == 1).group_by(WorkDeclaration.subject_to_registration)).all())
        assert subject[True] > 20 and subject[False] > 20, "construction amounts around the threshold"
        levels = set(session.scalars(select(Contract.level).distinct()))
        assert levels == {0, 1, 2}
        chains = session.execute(select(Contract.declaration_number, func.count())
                                 .group_by(Contract.declaration_number)).all()
        assert max(n for _, n in chains) == 5
        # Every declaration has its declaring contractor at level 0.
        missing = session.scalar(select(func.count()).select_from(WorkDeclaration).where(
            ~select(Contract.id).where(Contract.declaration_number == WorkDeclaration.number,
                                       Contract.enterprise == WorkDeclaration.declaring_contractor,
                                       Contract.level == 0).exists()))
        assert missing == 0
        natural = session.scalar(select(func.count()).select_from(Enterprise)
                                 .where(Enterprise.natural_person.is_(True)))
        assert 50 < natural < 120


def test_public_examples(demo_db):
    with demo_db.reading() as session:
        for number in ("0448181966", "0403019261", "0566988259", "0428759497"):
            assert session.get(Enterprise, number) is not None
        employer = session.get(Enterprise, "0448181966")
        since_2000 = (date(2000, 1, 1), None)
        assert (employer.natural_person, employer.starts_on, employer.ends_on) == (False, *since_2000)
        assert session.execute(select(EmployerPeriod.starts_on, EmployerPeriod.ends_on)
                               .where(EmployerPeriod.enterprise == "0448181966")).all() == [since_2000]
        assert session.get(Person, "78012340961") is not None
        assert session.get(Person, "98472899765") is not None
        assert session.execute(select(DimonaPeriod.starts_on, DimonaPeriod.ends_on).where(
            DimonaPeriod.inss == "78012340961", DimonaPeriod.employer == "0448181966")).all() == [
            (date(2010, 1, 1), None)]

        construction = session.get(WorkDeclaration, "1Y1000003EQCZ")
        assert (construction.sector, construction.subject_to_registration, construction.client,
                construction.declaring_contractor, construction.starts_on, construction.ends_on) == (
            1, True, "0403019261", "0448181966", date(2013, 1, 1), None)
        assert float(construction.amount_eur) >= 500_000
        cleaning = session.get(WorkDeclaration, "1Y1003SQ5VSSZ")
        assert (cleaning.sector, cleaning.client, cleaning.declaring_contractor, cleaning.starts_on,
                cleaning.ends_on) == (4, "0566988259", "0448181966", date(2013, 1, 1), None)
        assert 50.7 < cleaning.latitude < 50.95 and 4.2 < cleaning.longitude < 4.5  # Brussels

        posted = session.get(LimosaDeclaration, "24910158641968060")
        assert (posted.inss, posted.starts_on, posted.ends_on) == ("98472899765", date(2013, 1, 1),
                                                                  date(2099, 12, 31))
        assert posted.employer.startswith("DE") and parse_foreign_vat(posted.employer) == posted.employer
        assert session.get(Enterprise, posted.employer).country == "DE"
        other = session.get(LimosaDeclaration, "24911936602056031")
        assert other.employer == posted.employer and other.inss not in (None, posted.inss)
        assert session.get(Person, other.inss) is not None
        sub = session.scalars(select(Contract).where(Contract.declaration_number == "1Y1000003EQCZ",
                                                     Contract.enterprise == posted.employer)).one()
        assert (sub.level, sub.parent, sub.ends_on) == (1, "0448181966", None)


def test_scenarios_cover_every_remark():
    listed = simulation.scenarios(TODAY)
    expected = [s.expected_remark for s in listed]
    assert sorted(r for r in expected if r) == [f"CAW_{n:02d}" for n in range(1, 18)]
    assert None in expected
    assert len({s.name for s in listed}) == len(listed)
    assert simulation.scenarios(TODAY) == listed  # pure
    for s in listed:
        assert (s.inss is None) != (s.limosa_id is None), s.name
        if s.limosa_id:
            assert s.enterprise_number is None and s.foreign_vat is None
        else:
            assert (s.enterprise_number is None) != (s.foreign_vat is None), s.name
        parsers = ((s.inss, parse_inss), (s.limosa_id, parse_limosa_id),
                   (s.enterprise_number, parse_enterprise_number), (s.foreign_vat, parse_foreign_vat),
                   (s.workplace, parse_work_declaration_number))
        for value, parse in parsers:
            assert value is None or parse(value) == value, s.name


def test_generated_numbers_helpers():
    assert simulation.make_inss(date(1978, 1, 23), 409) == "78012340961"
    assert simulation.make_inss(date(2000, 1, 25), 567) == "00012556777"
    assert simulation.make_inss(date(1998, 7, 28), 997, bis=True) == "98472899765"
    assert simulation.make_enterprise_number(4_481_819) == "0448181966"
    assert simulation.make_limosa_id(101_586_419_680) == "24910158641968060"
    assert simulation.make_workplace("S", 0) == "1Y1SAAAAAAAAZ"
    assert len(simulation.make_workplace("B", 10**9)) == 13
    bulk = [simulation.bulk_inss(i) for i in range(0, 600_000, 97)]
    assert len(set(bulk)) == len(bulk) and all(nn.is_valid(i) for i in bulk)
    assert all(bis.is_valid(simulation.bulk_inss(i, bis=True)) for i in range(0, 30_000, 61))
    numbers = [simulation.bulk_enterprise_number(i) for i in range(0, 100_000, 37)]
    assert all(parse_enterprise_number(n) == n for n in numbers)
    vats = [simulation.bulk_foreign_vat(i) for i in range(2_000)]
    assert len(set(vats)) == len(vats) and all(parse_foreign_vat(v) == v for v in vats)
