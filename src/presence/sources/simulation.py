"""The simulation dataset: made-up authentic sources for the simulation environment and for tests.

Deterministic (a fixed seed; dates relative to the `today` given), with valid identifiers throughout:

- the public examples of the ONSS documentation (INSS 78012340961 employed by 0448181966, the declaring
  contractor of workplaces 1Y1000003EQCZ and 1Y1003SQ5VSSZ; Limosa 24910158641968060 and 24911936602056031
  posting workers of a German employer that subcontracts on 1Y1000003EQCZ), which validate without remark;
- one scenario per remark CAW_01..CAW_17 (and clean cases): the data of each is built so that a registration
  of the day regime with the scenario's identifiers, today or tomorrow, gets exactly that remark (CAW_14, the
  duplicate, is clean data registered twice). `scenarios(today)` lists them without a database;
- cleaning scenarios on the public cleaning workplace: check-ins and check-outs that are clean, or get
  CAW_18 or CAW_19 (`cleaning_scenarios(today)`);
- bulk data of two sizes (`small` for tests and demos, `national` for load tests), generated lazily and
  written with bulk inserts.

Bulk identifiers come from ranges the fixed data does not use (even INSS serial numbers, enterprise numbers
from 0060..., workplaces 1Y1B..., Limosa numbers 2493...), so nothing collides.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Table, select
from stdnum.iso7064 import mod_11_10, mod_97_10
from stdnum.lu import tva as lu_tva
from stdnum.pt import nif as pt_nif

from ..db.batching import chunked
from ..db.bulk import bulk_insert
from ..db.engine import Database
from ..domain.declarations import subject_to_registration
from ..domain.places import Place
from ..domain.sectors import Sector
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

SEED = 20130101
INSERT_CHUNK = 5000

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Size:
    people: int
    enterprises: int
    declarations: int
    dimona: int
    limosa: int
    foreign_employers: int


SIZES = {
    "small": Size(people=2_000, enterprises=400, declarations=200, dimona=6_000, limosa=100,
                  foreign_employers=12),
    # Enough distinct people, employers and workplaces for benchmarks of tens of thousands of registrations.
    "medium": Size(people=60_000, enterprises=12_000, declarations=6_000, dimona=240_000, limosa=2_000,
                   foreign_employers=200),
    "national": Size(people=500_000, enterprises=100_000, declarations=50_000, dimona=2_000_000,
                     limosa=20_000, foreign_employers=2_000),
}


@dataclass(frozen=True)
class Scenario:
    """Identifiers to register (day regime, today or tomorrow) and the one remark that must follow."""

    name: str
    expected_remark: str | None  # a CAW code; None: validated without remark
    inss: str | None
    limosa_id: str | None
    enterprise_number: str | None
    foreign_vat: str | None
    workplace: str


@dataclass(frozen=True)
class CleaningScenario:
    """Check-ins and check-outs (`clockings`) to register by REST, in this order a few minutes apart, on the public
    cleaning workplace (`CLEANING_PLACE`), and the one remark the last one must get. Each has a person of its own,
    so that trying one does not pair with another's clockings."""

    name: str
    expected_remark: str | None
    inss: str
    enterprise_number: str
    workplace: str
    clockings: tuple[str, ...]


@dataclass
class SimulationSummary:
    counts: dict[str, int] = field(default_factory=dict)  # rows written, by table
    scenarios: list[Scenario] = field(default_factory=list)
    cleaning_scenarios: list[CleaningScenario] = field(default_factory=list)


# --- Identifiers -------------------------------------------------------------------------------------------


def make_inss(birth: date, serial: int, bis: bool = False) -> str:
    """A national register number (or a BIS number, month + 40) with its check digits."""
    month = birth.month + (40 if bis else 0)
    body = f"{birth.year % 100:02d}{month:02d}{birth.day:02d}{serial:03d}"
    base = int(body) + (2_000_000_000 if birth.year >= 2000 else 0)
    return f"{body}{97 - base % 97:02d}"


def make_enterprise_number(base: int) -> str:
    """A KBO/BCE number from its first 8 digits (as an integer below 20,000,000)."""
    body = f"{base:08d}"
    return f"{body}{97 - base % 97:02d}"


def make_foreign_vat(country: str, base: int) -> str:
    if country == "DE":
        body = f"{10_000_000 + base % 90_000_000:08d}"
        return f"DE{body}{mod_11_10.calc_check_digit(body)}"
    if country == "PT":
        body = f"{50_000_000 + base % 40_000_000:08d}"
        return f"PT{body}{pt_nif.calc_check_digit(body)}"
    if country == "LU":
        body = f"{100_000 + base % 900_000:06d}"
        return f"LU{body}{lu_tva.calc_check_digits(body)}"
    raise ValueError(country)


def make_limosa_id(base: int) -> str:
    body = f"249{base:012d}"
    return body + mod_97_10.calc_check_digits(body)


_WORKPLACE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


def make_workplace(prefix: str, index: int) -> str:
    """A work-declaration number `1Y1` + `prefix` + 8 characters + `Z`."""
    chars = []
    for _ in range(8):
        index, rest = divmod(index, len(_WORKPLACE_ALPHABET))
        chars.append(_WORKPLACE_ALPHABET[rest])
    return f"1Y1{prefix}{''.join(reversed(chars))}Z"


# --- Names and places --------------------------------------------------------------------------------------

GIVEN = ("Jan", "Marie", "Luc", "Sofie", "Pierre", "An", "Mohamed", "Nathalie", "Koen", "Julie", "Tom",
         "Isabelle", "Pieter", "Sarah", "Marc", "Els", "David", "Emma", "Wim", "Laura", "Youssef", "Ines",
         "Bart", "Chloé", "Kevin", "Lotte", "Thomas", "Hanne", "Jean", "Fatima", "Dirk", "Camille",
         "Stijn", "Lea", "Olivier", "Nora", "Geert", "Amélie", "Ahmed", "Eline")
FAMILY = ("Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens", "Wouters",
          "De Smet", "Dubois", "Lambert", "Dupont", "Martin", "Simon", "Leroy", "Laurent", "Lejeune",
          "Renard", "Hermans", "Vermeulen", "Van Damme", "Michiels", "Desmet", "El Amrani", "Lemaire",
          "Aerts", "Pauwels", "Verstraete", "Smets", "Stevens", "Cools", "Declercq", "Mathieu", "Gérard",
          "Denis", "Hendrickx", "Baert", "Coppens", "Bogaert")
FOREIGN_GIVEN = ("Piotr", "Anna", "João", "Ana", "Klaus", "Petra", "Ion", "Elena", "Tomasz", "Marta",
                 "Rui", "Sandra", "Jürgen", "Katarzyna", "Andrei", "Paulo")
FOREIGN_FAMILY = ("Kowalski", "Nowak", "Silva", "Santos", "Müller", "Schmidt", "Popescu", "Ionescu",
                  "Wiśniewski", "Ferreira", "Schneider", "Wagner", "Pereira", "Dumitru", "Lewandowski")
TRADES = ("Bouw", "Construct", "Renovatie", "Bâtiment", "Dakwerken", "Toitures", "Elektro", "Sanitair",
          "Schrijnwerk", "Menuiserie", "Beton", "Nettoyage", "Schoonmaak", "Cleaning", "Vlees", "Viandes",
          "Stukadoor", "Plafonnage", "Isolatie", "Terrassement")
LEGAL_FORMS = ("NV", "BV", "SA", "SRL", "CommV", "SC", "BVBA", "SPRL")
FOREIGN_FORMS = {"DE": "GmbH", "PT": "Lda", "LU": "Sàrl"}
STREETS = ("Rue de la Loi", "Kerkstraat", "Rue Haute", "Stationsstraat", "Avenue Louise", "Dorpsstraat",
           "Chaussée de Waterloo", "Molenstraat", "Rue du Marché", "Nieuwstraat", "Boulevard Anspach",
           "Schoolstraat", "Rue de la Station", "Kapelstraat", "Place Saint-Lambert", "Industrieweg",
           "Rue de Namur", "Meir", "Grote Markt", "Rue des Carmes")
# Post code, municipality, latitude, longitude (its centre).
PLACES = (
    ("1000", "Bruxelles", 50.8467, 4.3525), ("1050", "Ixelles", 50.8333, 4.3667),
    ("1030", "Schaerbeek", 50.8676, 4.3737), ("2000", "Antwerpen", 51.2194, 4.4025),
    ("2800", "Mechelen", 51.0257, 4.4776), ("3000", "Leuven", 50.8798, 4.7005),
    ("3500", "Hasselt", 50.9307, 5.3325), ("4000", "Liège", 50.6326, 5.5797),
    ("5000", "Namur", 50.4674, 4.8720), ("6000", "Charleroi", 50.4108, 4.4446),
    ("7000", "Mons", 50.4542, 3.9523), ("8000", "Brugge", 51.2093, 3.2247),
    ("8500", "Kortrijk", 50.8280, 3.2649), ("9000", "Gent", 51.0543, 3.7174),
    ("9300", "Aalst", 50.9378, 4.0410), ("1300", "Wavre", 50.7170, 4.6010),
    ("1400", "Nivelles", 50.5980, 4.3290), ("4800", "Verviers", 50.5891, 5.8623),
    ("6700", "Arlon", 49.6833, 5.8167), ("4700", "Eupen", 50.6300, 6.0310),
    ("2300", "Turnhout", 51.3227, 4.9447), ("3600", "Genk", 50.9650, 5.5000),
    ("8400", "Oostende", 51.2300, 2.9200), ("7500", "Tournai", 50.6056, 3.3878),
)


def _pick(names: tuple[str, ...], index: int, salt: int) -> str:
    return names[(index * 2_654_435_761 + salt) % 4_294_967_291 % len(names)]


def _person_name(index: int, foreign: bool = False) -> tuple[str, str]:
    if foreign:
        return _pick(FOREIGN_GIVEN, index, 3), _pick(FOREIGN_FAMILY, index, 11)
    return _pick(GIVEN, index, 5), _pick(FAMILY, index, 13)


# --- The public examples and the scenarios -----------------------------------------------------------------

PUBLIC_INSS = "78012340961"
PUBLIC_ENTERPRISE = "0448181966"
PUBLIC_CLIENT = "0403019261"
PUBLIC_CLEANING_CLIENT = "0566988259"
PUBLIC_OTHER_ENTERPRISE = "0428759497"
PUBLIC_WORKPLACE = "1Y1000003EQCZ"
PUBLIC_CLEANING_WORKPLACE = "1Y1003SQ5VSSZ"
PUBLIC_LIMOSA = "24910158641968060"
PUBLIC_LIMOSA_2 = "24911936602056031"
PUBLIC_BIS = "98472899765"
PUBLIC_BIS_2 = make_inss(date(1985, 3, 12), 995, bis=True)
PUBLIC_FOREIGN_EMPLOYER = make_foreign_vat("DE", 81_304_657)
SINCE_2013 = date(2013, 1, 1)


def made_up_place(index: int, point: tuple[float, float] | None = None) -> Place:
    """The address of the `index`th made-up workplace, at the centre of its municipality unless at `point`."""
    post_code, municipality, latitude, longitude = PLACES[index % len(PLACES)]
    latitude, longitude = point or (latitude, longitude)
    return Place(STREETS[index % len(STREETS)], str(1 + index), post_code, municipality, latitude, longitude)


CLEANING_PLACE = made_up_place(0, (50.8467, 4.3525))  # of PUBLIC_CLEANING_WORKPLACE


def _scenario_birth(k: int, bis: bool = False) -> date:
    return date(1990 if bis else 1980, 1, 1) + timedelta(days=7 * k)


def _scenario_inss(k: int) -> str:
    """Scenario people: born in 1980 (posted workers: 1990), odd serial numbers from 901 (bulk people have
    even ones)."""
    return make_inss(_scenario_birth(k), 901 + 2 * (k % 40))


def _scenario_bis(k: int) -> str:
    return make_inss(_scenario_birth(k, bis=True), 901 + 2 * (k % 40), bis=True)


def _scenario_enterprise(k: int) -> str:
    return make_enterprise_number(3_000_000 + 11 * k)


def _scenario_foreign(k: int) -> str:
    return make_foreign_vat("DE", 70_000_000 + 101 * k)


def _scenario_limosa(k: int) -> str:
    return make_limosa_id(200_000_000_000 + 7 * k)


def _scenario_workplace(k: int) -> str:
    return make_workplace("S", k)


SCENARIO_CLIENT = _scenario_enterprise(0)
# The declaring contractor of the scenarios where the scenario's enterprise is a subcontractor (or absent).
SCENARIO_BUILDER = _scenario_enterprise(1)


def scenarios(today: date) -> list[Scenario]:
    """The scenarios of the simulation dataset generated for `today` (no database needed)."""
    del today  # the identifiers do not depend on the date; the data behind them does
    p, e, b, f, w = (_scenario_inss, _scenario_enterprise, _scenario_bis, _scenario_foreign,
                     _scenario_workplace)
    return [
        Scenario("public example: INSS and enterprise number", None, PUBLIC_INSS, None, PUBLIC_ENTERPRISE,
                 None, PUBLIC_WORKPLACE),
        Scenario("public example: Limosa number", None, None, PUBLIC_LIMOSA, None, None, PUBLIC_WORKPLACE),
        Scenario("clean: an employee with a Dimona", None, p(1), None, e(11), None, w(1)),
        Scenario("CAW_01: employer active, no Dimona", "CAW_01", p(3), None, e(13), None, w(3)),
        Scenario("CAW_02: a company that is no employer, the person no mandatary", "CAW_02",
                 p(4), None, e(14), None, w(4)),
        Scenario("CAW_03: the person's mandate ended 200 days ago", "CAW_03", p(5), None, e(15), None, w(5)),
        Scenario("CAW_04: the enterprise was struck off 90 days ago", "CAW_04",
                 p(6), None, e(16), None, w(6)),
        Scenario("CAW_05: a self-employed person's enterprise, someone else registers", "CAW_05",
                 p(7), None, e(17), None, w(7)),
        Scenario("CAW_06: a Limosa number no declaration has", "CAW_06",
                 None, _scenario_limosa(8), None, None, w(8)),
        Scenario("CAW_07: a Limosa declaration that ended 20 days ago", "CAW_07", None, _scenario_limosa(9),
                 None, None, w(9)),
        Scenario("CAW_08: no Limosa of this foreign employer names the person", "CAW_08",
                 b(10), None, None, f(10), w(10)),
        Scenario("CAW_09: the person's Limosa with this employer ended 20 days ago", "CAW_09",
                 b(11), None, None, f(11), w(11)),
        Scenario("CAW_10: a workplace number no declaration has", "CAW_10", p(12), None, e(22), None, w(12)),
        Scenario("CAW_11: the work declaration ended 60 days ago", "CAW_11", p(13), None, e(23), None, w(13)),
        Scenario("CAW_12: the enterprise is not in the declaration's chain", "CAW_12",
                 p(14), None, e(24), None, w(14)),
        Scenario("CAW_13: construction works below the threshold", "CAW_13", p(15), None, e(25), None, w(15)),
        Scenario("CAW_14: clean data, registered twice (the second gets the remark)", "CAW_14",
                 p(2), None, e(12), None, w(2)),
        Scenario("CAW_15: an INSS unknown to the national register", "CAW_15",
                 p(16), None, e(26), None, w(16)),
        Scenario("CAW_16: the employer stopped employing 100 days ago", "CAW_16",
                 p(17), None, e(27), None, w(17)),
        Scenario("CAW_17: the subcontract ended 30 days ago", "CAW_17", p(18), None, e(28), None, w(18)),
    ]


CREW_SIZE = 60  # Exemplum Construct SA's construction workers, for the online service's assistant


def crew_inss(k: int) -> str:
    """Exemplum Construct SA's crew: born in 1975, odd serial numbers from 601 (bulk people have even ones)."""
    return make_inss(date(1975, 1, 1) + timedelta(days=11 * k), 601 + 2 * k)


CLEANERS = (19, 20, 21)  # scenario people employed by PUBLIC_ENTERPRISE, one per cleaning scenario


def cleaning_scenarios(today: date) -> list[CleaningScenario]:
    """The cleaning scenarios of the simulation dataset generated for `today` (no database needed)."""
    del today  # as for `scenarios`
    clean, orphan_out, second_in = (_scenario_inss(k) for k in CLEANERS)
    site, employer = PUBLIC_CLEANING_WORKPLACE, PUBLIC_ENTERPRISE
    return [
        CleaningScenario("clean: an in, then an out", None, clean, employer, site, ("in", "out")),
        CleaningScenario("CAW_18: an out without an in before it", "CAW_18", orphan_out, employer, site, ("out",)),
        CleaningScenario("CAW_19: an in, then a second in", "CAW_19", second_in, employer, site, ("in", "in")),
    ]


class _Rows:
    """Rows of every table, for the fixed part of the dataset."""

    def __init__(self, today: date, stamp: datetime) -> None:
        self.today = today
        self.stamp = stamp
        self.tables: dict[str, list[dict]] = {name: [] for name in TABLES}
        self._dimona = 0

    def days(self, n: int) -> date:
        return self.today + timedelta(days=n)

    def person(self, inss: str, given: str, family: str, birth: date | None) -> None:
        self.tables["person"].append({"inss": inss, "given_name": given, "family_name": family,
                                      "birth_date": birth, "updated_at": self.stamp})

    def enterprise(self, number: str, name: str, starts_on: date, ends_on: date | None = None,
                   natural_person: bool = False, country: str = "BE") -> None:
        self.tables["enterprise"].append({"number": number, "name": name, "natural_person": natural_person,
                                          "country": country, "starts_on": starts_on, "ends_on": ends_on,
                                          "updated_at": self.stamp})

    def employer(self, enterprise: str, starts_on: date, ends_on: date | None = None) -> None:
        self.tables["employer_period"].append({"enterprise": enterprise, "starts_on": starts_on,
                                               "ends_on": ends_on})

    def mandate(self, enterprise: str, inss: str, role: str, starts_on: date, ends_on: date | None = None):
        self.tables["mandate"].append({"enterprise": enterprise, "inss": inss, "role": role,
                                       "starts_on": starts_on, "ends_on": ends_on})

    def dimona(self, inss: str, employer: str, starts_on: date, ends_on: date | None = None) -> None:
        self._dimona += 1
        self.tables["dimona_period"].append({"dimona_id": f"{100_000_000_000 + self._dimona}", "inss": inss,
                                             "employer": employer, "starts_on": starts_on, "ends_on": ends_on,
                                             "worker_type": "OTH"})

    def limosa(self, number: str, employer: str, employer_name: str, inss: str | None, name: tuple[str, str],
               starts_on: date, ends_on: date) -> None:
        self.tables["limosa_declaration"].append({
            "number": number, "employer": employer, "employer_name": employer_name, "inss": inss,
            "given_name": name[0], "family_name": name[1], "starts_on": starts_on, "ends_on": ends_on,
            "updated_at": self.stamp})

    def declaration(self, number: str, sector: Sector, client: str, client_name: str, contractor: str,
                    amount: float, starts_on: date, ends_on: date | None, place: int = 0,
                    subject: bool | None = None, point: tuple[float, float] | None = None,
                    where: Place | None = None) -> None:
        where = where or made_up_place(place, point)
        self.tables["work_declaration"].append({
            "number": number, "sector": int(sector), "client": client, "client_name": client_name,
            "declaring_contractor": contractor, "street": where.street, "house_number": where.house_number,
            "post_code": where.post_code, "municipality": where.municipality, "latitude": where.latitude,
            "longitude": where.longitude, "amount_eur": amount, "starts_on": starts_on,
            "ends_on": ends_on,
            "subject_to_registration": (subject_to_registration(sector, amount, starts_on) if subject is None
                                        else subject),
            "updated_at": self.stamp})

    def contract(self, declaration: str, enterprise: str, parent: str | None, level: int, starts_on: date,
                 ends_on: date | None, amount: float | None = None) -> None:
        self.tables["contract"].append({"declaration_number": declaration, "enterprise": enterprise,
                                        "parent": parent, "level": level, "starts_on": starts_on,
                                        "ends_on": ends_on, "amount_eur": amount})


def _fixed_rows(today: date, stamp: datetime) -> _Rows:
    r = _Rows(today, stamp)
    _public_examples(r)
    _scenario_data(r)
    return r


def _public_examples(r: _Rows) -> None:
    since_2000 = date(2000, 1, 1)
    r.person(PUBLIC_INSS, "Jan", "Janssens", date(1978, 1, 23))
    r.person(PUBLIC_BIS, "Piotr", "Kowalski", date(1998, 7, 28))
    r.person(PUBLIC_BIS_2, "João", "Silva", date(1985, 3, 12))

    r.enterprise(PUBLIC_ENTERPRISE, "Exemplum Construct SA", since_2000)
    r.employer(PUBLIC_ENTERPRISE, since_2000)
    r.dimona(PUBLIC_INSS, PUBLIC_ENTERPRISE, date(2010, 1, 1))
    for k in range(CREW_SIZE):
        r.person(crew_inss(k), *_person_name(900_000 + k), date(1975, 1, 1) + timedelta(days=11 * k))
        r.dimona(crew_inss(k), PUBLIC_ENTERPRISE, date(2018, 1, 1) + timedelta(days=k))
    r.enterprise(PUBLIC_CLIENT, "Immo Exemplum NV", date(1995, 3, 1))
    r.enterprise(PUBLIC_CLEANING_CLIENT, "Kantoren Exemplum BV", date(2005, 6, 1))
    r.enterprise(PUBLIC_OTHER_ENTERPRISE, "Exemplum Techniek BV", date(1998, 9, 1))
    r.employer(PUBLIC_OTHER_ENTERPRISE, date(1998, 9, 1))
    r.enterprise(PUBLIC_FOREIGN_EMPLOYER, "Beispiel Bau GmbH", date(2005, 1, 1), country="DE")

    r.declaration(PUBLIC_WORKPLACE, Sector.CONSTRUCTION, PUBLIC_CLIENT, "Immo Exemplum NV", PUBLIC_ENTERPRISE,
                  2_500_000.0, SINCE_2013, None, place=0)
    r.contract(PUBLIC_WORKPLACE, PUBLIC_ENTERPRISE, None, 0, SINCE_2013, None, 2_500_000.0)
    r.contract(PUBLIC_WORKPLACE, PUBLIC_FOREIGN_EMPLOYER, PUBLIC_ENTERPRISE, 1, SINCE_2013, None, 400_000.0)
    r.declaration(PUBLIC_CLEANING_WORKPLACE, Sector.CLEANING, PUBLIC_CLEANING_CLIENT, "Kantoren Exemplum BV",
                  PUBLIC_ENTERPRISE, 180_000.0, SINCE_2013, None, where=CLEANING_PLACE)
    r.contract(PUBLIC_CLEANING_WORKPLACE, PUBLIC_ENTERPRISE, None, 0, SINCE_2013, None, 180_000.0)

    end = date(2099, 12, 31)
    r.limosa(PUBLIC_LIMOSA, PUBLIC_FOREIGN_EMPLOYER, "Beispiel Bau GmbH", PUBLIC_BIS, ("Piotr", "Kowalski"),
             SINCE_2013, end)
    r.limosa(PUBLIC_LIMOSA_2, PUBLIC_FOREIGN_EMPLOYER, "Beispiel Bau GmbH", PUBLIC_BIS_2, ("João", "Silva"),
             SINCE_2013, end)


def _scenario_data(r: _Rows) -> None:
    p, e, b, w = _scenario_inss, _scenario_enterprise, _scenario_bis, _scenario_workplace
    long_ago = r.days(-3650)
    active = (r.days(-400), r.days(400))  # a period that covers today with wide margins
    client, builder = SCENARIO_CLIENT, SCENARIO_BUILDER

    def person(k: int, inss: str | None = None) -> str:
        bis = inss is not None
        inss = inss or p(k)
        given, family = _person_name(10_000 + k, foreign=bis)
        r.person(inss, given, family, _scenario_birth(k, bis))
        return inss

    def company(k: int, employer_since: date | None = long_ago, **kwargs) -> str:
        number = e(k)
        r.enterprise(number, kwargs.pop("name", f"Scenario {k:02d} {_pick(TRADES, k, 1)} BV"),
                     kwargs.pop("starts_on", long_ago), **kwargs)
        if employer_since is not None:
            r.employer(number, employer_since)
        return number

    def works(k: int, contractor: str, starts_on: date = active[0], ends_on: date | None = active[1],
              amount: float = 850_000.0, **kwargs) -> str:
        number = w(k)
        r.declaration(number, Sector.CONSTRUCTION, client, "Scenario Immo NV", contractor, amount, starts_on,
                      ends_on, place=k, **kwargs)
        r.contract(number, contractor, None, 0, starts_on, None, amount)
        return number

    def subcontract(workplace: str, enterprise: str, starts_on: date = active[0],
                    ends_on: date | None = active[1]) -> None:
        r.contract(workplace, enterprise, builder, 1, starts_on, ends_on, 100_000.0)

    def employee(k: int, enterprise_k: int) -> tuple[str, str]:
        inss, number = person(k), company(enterprise_k)
        r.dimona(inss, number, active[0])
        return inss, number

    def foreign(k: int) -> str:
        number = _scenario_foreign(k)
        r.enterprise(number, f"Scenario {k:02d} Bau GmbH", long_ago, country="DE")
        return number

    company(0, employer_since=None, name="Scenario Immo NV")
    company(1, name="Scenario Hoofdaannemer NV")

    # Cleaning: employees of the declaring contractor of the public cleaning workplace.
    for k in CLEANERS:
        r.dimona(person(k), PUBLIC_ENTERPRISE, active[0])

    # Clean, and its twin for the duplicate (CAW_14).
    for k, ek in ((1, 11), (2, 12)):
        _, number = employee(k, ek)
        works(k, number)

    # CAW_01: an active employer, no Dimona.
    person(3)
    works(3, company(13))
    # CAW_02: a company that never employed anyone; its founder is someone else.
    person(4)
    number = company(14, employer_since=None)
    r.mandate(number, person(40), "founder", long_ago)
    works(4, number)
    # CAW_03: a mandate that ended 200 days ago (no Dimona, the company no employer).
    number = company(15, employer_since=None)
    r.mandate(number, person(5), "mandatary", r.days(-2000), r.days(-200))
    works(5, number)
    # CAW_04: struck off 90 days ago; the Dimona and the employer period ended then too.
    inss = person(6)
    number = company(16, employer_since=None, ends_on=r.days(-90))
    r.employer(number, long_ago, r.days(-90))
    r.dimona(inss, number, r.days(-1000), r.days(-90))
    works(6, builder)
    subcontract(w(6), number)
    # CAW_05: a self-employed person's own enterprise, someone else registers.
    person(7)
    number = company(17, employer_since=None, natural_person=True,
                     name="Scenario 17 Dakwerken (natural person)")
    r.mandate(number, person(41), "founder", long_ago)
    works(7, number)
    # CAW_06: a Limosa number that no declaration has.
    works(8, builder)
    # CAW_07: a Limosa declaration that ended 20 days ago.
    employer = foreign(9)
    r.limosa(_scenario_limosa(9), employer, "Scenario 09 Bau GmbH", person(9, b(9)),
             _person_name(10_009, foreign=True),
             r.days(-200), r.days(-20))
    works(9, builder)
    subcontract(w(9), employer)
    # CAW_08: the foreign employer's Limosa names someone else.
    employer = foreign(10)
    person(10, b(10))
    r.limosa(_scenario_limosa(10), employer, "Scenario 10 Bau GmbH", person(42, b(42)),
             _person_name(10_042, foreign=True),
             *active)
    works(10, builder)
    subcontract(w(10), employer)
    # CAW_09: the person's Limosa with this employer ended 20 days ago.
    employer = foreign(11)
    r.limosa(_scenario_limosa(11), employer, "Scenario 11 Bau GmbH", person(11, b(11)),
             _person_name(10_011, foreign=True),
             r.days(-300), r.days(-20))
    works(11, builder)
    subcontract(w(11), employer)
    # CAW_10: a well-formed workplace number that no declaration has (w(12) is never declared).
    employee(12, 22)
    # CAW_11: the declaration ended 60 days ago (the contract itself is open-ended).
    _, number = employee(13, 23)
    works(13, number, starts_on=r.days(-500), ends_on=r.days(-60))
    # CAW_12: the enterprise is not in the chain.
    employee(14, 24)
    works(14, builder)
    # CAW_13: construction works below the threshold.
    _, number = employee(15, 25)
    works(15, number, amount=120_000.0)
    # CAW_15: a valid INSS the national register does not know (with a Dimona, so nothing else fires).
    number = company(26)
    r.dimona(p(16), number, active[0])
    works(16, number)
    # CAW_16: the enterprise exists but stopped employing 100 days ago.
    inss = person(17)
    number = company(27, employer_since=None)
    r.employer(number, r.days(-3000), r.days(-100))
    r.dimona(inss, number, r.days(-1000), r.days(-100))
    works(17, number)
    # CAW_17: the subcontract ended 30 days ago.
    _, number = employee(18, 28)
    works(18, builder)
    subcontract(w(18), number, ends_on=r.days(-30))


# --- Bulk data ---------------------------------------------------------------------------------------------

BIRTHS_FROM = date(1955, 1, 1)
BIRTH_DAYS = (date(2006, 12, 31) - BIRTHS_FROM).days + 1


def bulk_inss(index: int, bis: bool = False) -> str:
    """The `index`-th bulk person: a permutation of birth days, even serial numbers."""
    block, offset = divmod(index, BIRTH_DAYS)
    birth = BIRTHS_FROM + timedelta(days=(offset * 7919 + block) % BIRTH_DAYS)
    return make_inss(birth, 2 + 2 * block, bis=bis)


def _birth_of(index: int) -> date:
    block, offset = divmod(index, BIRTH_DAYS)
    return BIRTHS_FROM + timedelta(days=(offset * 7919 + block) % BIRTH_DAYS)


def bulk_enterprise_number(index: int) -> str:
    return make_enterprise_number(6_000_000 + 3 * index)


def bulk_workplace(index: int) -> str:
    return make_workplace("B", index)


def bulk_limosa_id(index: int) -> str:
    return make_limosa_id(300_000_000_000 + 13 * index)


def bulk_foreign_vat(index: int) -> str:
    country = ("DE", "DE", "PT", "LU")[index % 4]
    return make_foreign_vat(country, 1_000 + 7 * index)


@dataclass(frozen=True)
class _EnterpriseMeta:
    number: str
    natural_person: bool
    starts_on: date
    ends_on: date | None
    employer_periods: tuple[tuple[date, date | None], ...]
    founder: int  # bulk person index of its founder


def _enterprise_meta(size: Size, today: date) -> list[_EnterpriseMeta]:
    rng = random.Random(f"{SEED}:enterprises")
    metas = []
    for i in range(size.enterprises):
        natural = rng.random() < 0.2
        starts_on = today - timedelta(days=rng.randint(30, 15_000))
        ends_on = None
        if rng.random() < 0.03:
            ends_on = max(starts_on, today - timedelta(days=rng.randint(1, 1_000)))
        periods: list[tuple[date, date | None]] = []
        if rng.random() < (0.2 if natural else 0.85):
            first = min(today, ends_on or today, starts_on + timedelta(days=rng.randint(0, 365)))
            end = ends_on
            if end is None and rng.random() < 0.08:
                end = min(today - timedelta(days=1), first + timedelta(days=rng.randint(30, 3_000)))
                end = max(end, first)
            periods.append((first, end))
            if ends_on is None and end is not None and rng.random() < 0.5 and end < today - timedelta(days=2):
                periods.append((end + timedelta(days=rng.randint(1, (today - end).days - 1)), None))
        metas.append(_EnterpriseMeta(bulk_enterprise_number(i), natural, starts_on, ends_on, tuple(periods),
                                     rng.randrange(size.people)))
    return metas


def _enterprise_name(meta: _EnterpriseMeta, index: int) -> str:
    if meta.natural_person:
        given, family = _person_name(meta.founder)
        return f"{given} {family}"
    return f"{_pick(FAMILY, index, 17)} {_pick(TRADES, index, 19)} {_pick(LEGAL_FORMS, index, 23)}"


def _bulk_people(size: Size, stamp: datetime) -> Iterator[dict]:
    for i in range(size.people):
        given, family = _person_name(i)
        yield {"inss": bulk_inss(i), "given_name": given, "family_name": family, "birth_date": _birth_of(i),
               "updated_at": stamp}
    for j in range(size.limosa):  # posted workers have a BIS number
        given, family = _person_name(j, foreign=True)
        yield {"inss": bulk_inss(j, bis=True), "given_name": given, "family_name": family,
               "birth_date": _birth_of(j), "updated_at": stamp}


def _bulk_enterprises(metas: list[_EnterpriseMeta], size: Size, stamp: datetime) -> Iterator[dict]:
    for i, meta in enumerate(metas):
        yield {"number": meta.number, "name": _enterprise_name(meta, i),
               "natural_person": meta.natural_person, "country": "BE", "starts_on": meta.starts_on,
               "ends_on": meta.ends_on, "updated_at": stamp}
    for k in range(size.foreign_employers):
        number = bulk_foreign_vat(k)
        yield {"number": number, "name": _foreign_name(k), "natural_person": False, "country": number[:2],
               "starts_on": date(2000, 1, 1) + timedelta(days=k % 3_000), "ends_on": None,
               "updated_at": stamp}


def _foreign_name(k: int) -> str:
    country = bulk_foreign_vat(k)[:2]
    return f"{_pick(FOREIGN_FAMILY, k, 29)} {_pick(TRADES, k, 31)} {FOREIGN_FORMS[country]}"


def _bulk_employer_periods(metas: list[_EnterpriseMeta]) -> list[dict]:
    return [{"enterprise": meta.number, "starts_on": start, "ends_on": end}
            for meta in metas for start, end in meta.employer_periods]


def _bulk_mandates(metas: list[_EnterpriseMeta], size: Size, today: date) -> list[dict]:
    rng = random.Random(f"{SEED}:mandates")
    rows = []
    for meta in metas:
        rows.append({"enterprise": meta.number, "inss": bulk_inss(meta.founder), "role": "founder",
                     "starts_on": meta.starts_on, "ends_on": meta.ends_on})
        if meta.natural_person:
            continue
        chosen = {meta.founder}
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            person = rng.randrange(size.people)
            if person in chosen:
                continue
            chosen.add(person)
            starts_on = min(today, meta.starts_on + timedelta(days=rng.randint(0, 3_000)))
            ends_on = meta.ends_on
            if ends_on is None and rng.random() < 0.25:
                ends_on = min(today + timedelta(days=rng.randint(-1_000, 1_000)),
                              starts_on + timedelta(days=rng.randint(30, 4_000)))
                ends_on = max(ends_on, starts_on)
            rows.append({"enterprise": meta.number, "inss": bulk_inss(person), "role": "mandatary",
                         "starts_on": starts_on, "ends_on": ends_on})
    return rows


WORKER_TYPES = ("OTH", "OTH", "OTH", "OTH", "OTH", "OTH", "STU", "FLX", "EXT", "A17")


def _bulk_dimona(metas: list[_EnterpriseMeta], size: Size, today: date) -> Iterator[dict]:
    rng = random.Random(f"{SEED}:dimona")
    employers = [meta for meta in metas if meta.employer_periods]
    horizon = today + timedelta(days=30)
    earliest = today - timedelta(days=2_500)
    for i in range(size.dimona):
        meta = employers[rng.randrange(len(employers))]
        first, last = meta.employer_periods[rng.randrange(len(meta.employer_periods))]
        low = max(first, earliest)
        high = min(last or horizon, horizon)
        if high < low:
            low = high = first
        starts_on = low + timedelta(days=rng.randint(0, (high - low).days))
        worker_type = WORKER_TYPES[rng.randrange(len(WORKER_TYPES))]
        if worker_type in ("STU", "FLX", "EXT"):
            ends_on = starts_on + timedelta(days=rng.randint(0, 30))
        elif last is None and rng.random() < 0.6:
            ends_on = None
        else:
            ends_on = starts_on + timedelta(days=rng.randint(0, 900))
        if last is not None and (ends_on is None or ends_on > last):
            ends_on = last
        yield {"dimona_id": f"{400_000_000_000 + i}", "inss": bulk_inss(rng.randrange(size.people)),
               "employer": meta.number, "starts_on": starts_on, "ends_on": ends_on,
               "worker_type": worker_type}


def _bulk_limosa(size: Size, today: date, stamp: datetime) -> Iterator[dict]:
    rng = random.Random(f"{SEED}:limosa")
    for k in range(size.limosa):
        worker = rng.randrange(k) if k and rng.random() < 0.15 else k
        employer = rng.randrange(size.foreign_employers)
        starts_on = today - timedelta(days=rng.randint(0, 700))
        given, family = _person_name(worker, foreign=True)
        yield {"number": bulk_limosa_id(k), "employer": bulk_foreign_vat(employer),
               "employer_name": _foreign_name(employer),
               "inss": bulk_inss(worker, bis=True) if rng.random() < 0.95 else None,
               "given_name": given, "family_name": family, "starts_on": starts_on,
               "ends_on": starts_on + timedelta(days=rng.randint(7, 700)), "updated_at": stamp}


def _chain_sizes(size: Size) -> list[int]:
    rng = random.Random(f"{SEED}:chains")
    return rng.choices((0, 1, 2, 3, 4), weights=(10, 30, 27, 19, 14), k=size.declarations)


def _bulk_declarations(metas: list[_EnterpriseMeta], size: Size, today: date, stamp: datetime,
                       chains: list[int]) -> Iterator[tuple[dict, list[dict]]]:
    rng = random.Random(f"{SEED}:declarations")
    alive = [i for i, meta in enumerate(metas) if meta.ends_on is None]
    contractors = [i for i in alive if not metas[i].natural_person
                   and any(end is None for _, end in metas[i].employer_periods)]
    threshold = math.log(500_000)
    for i in range(size.declarations):
        number = bulk_workplace(i)
        roll = rng.random()
        sector = Sector.CONSTRUCTION if roll < 0.70 else Sector.MEAT if roll < 0.82 else Sector.CLEANING
        if sector is Sector.CONSTRUCTION:
            amount = round(max(5_000.0, rng.lognormvariate(threshold, 0.9)), 2)
        else:
            amount = round(rng.uniform(20_000, 2_000_000), 2)
        client = alive[rng.randrange(len(alive))]
        contractor = contractors[rng.randrange(len(contractors))]
        if rng.random() < 0.05:  # finished works
            starts_on = today - timedelta(days=rng.randint(200, 1_500))
            ends_on = starts_on + timedelta(days=rng.randint(60, (today - starts_on).days - 1))
        else:  # works in progress (most of them)
            starts_on = today - timedelta(days=rng.randint(0, 900))
            ends_on = None if rng.random() < 0.3 else today + timedelta(days=rng.randint(30, 1_200))
        post_code, municipality, latitude, longitude = PLACES[rng.randrange(len(PLACES))]
        has_point = rng.random() < 0.7
        declaration = {
            "number": number, "sector": int(sector), "client": metas[client].number,
            "client_name": _enterprise_name(metas[client], client),
            "declaring_contractor": metas[contractor].number,
            "street": STREETS[rng.randrange(len(STREETS))], "house_number": str(rng.randint(1, 250)),
            "post_code": post_code, "municipality": municipality,
            "latitude": round(latitude + rng.uniform(-0.01, 0.01), 6) if has_point else None,
            "longitude": round(longitude + rng.uniform(-0.01, 0.01), 6) if has_point else None,
            "amount_eur": amount, "starts_on": starts_on, "ends_on": ends_on,
            "subject_to_registration": subject_to_registration(sector, amount, starts_on), "updated_at": stamp,
        }
        contracts = [{"declaration_number": number, "enterprise": metas[contractor].number, "parent": None,
                      "level": 0, "starts_on": starts_on, "ends_on": ends_on, "amount_eur": amount}]
        in_chain = {metas[contractor].number}
        level_one: list[str] = []
        for n in range(chains[i]):
            if rng.random() < 0.12:
                pick = rng.randrange(size.foreign_employers)
                while (enterprise := bulk_foreign_vat(pick)) in in_chain:
                    pick = (pick + 1) % size.foreign_employers
            else:
                pick = rng.randrange(len(contractors))
                while (enterprise := metas[contractors[pick]].number) in in_chain:
                    pick = (pick + 1) % len(contractors)
            in_chain.add(enterprise)
            level = 1 if n == 0 or not level_one or rng.random() < 0.6 else 2
            parent = metas[contractor].number if level == 1 else level_one[rng.randrange(len(level_one))]
            if level == 1:
                level_one.append(enterprise)
            sub_start = starts_on + timedelta(days=rng.randint(0, 120))
            if ends_on is not None and sub_start > ends_on:
                sub_start = starts_on
            sub_end = ends_on
            if rng.random() < 0.15:
                sub_end = sub_start + timedelta(days=rng.randint(20, 300))
                if ends_on is not None and sub_end > ends_on:
                    sub_end = ends_on
            contracts.append({"declaration_number": number, "enterprise": enterprise, "parent": parent,
                              "level": level, "starts_on": sub_start, "ends_on": sub_end,
                              "amount_eur": round(amount * rng.uniform(0.05, 0.4), 2)})
        yield declaration, contracts


# --- Writing -----------------------------------------------------------------------------------------------

TABLES: dict[str, Table] = {
    model.__tablename__: model.__table__
    for model in (Person, Enterprise, EmployerPeriod, Mandate, DimonaPeriod, LimosaDeclaration,
                  WorkDeclaration, Contract)
}


def is_loaded(db: Database) -> bool:
    """Whether the simulation dataset is in this database (its public example enterprise is)."""
    with db.reading() as session:
        found = session.scalar(select(Enterprise.number).where(Enterprise.number == PUBLIC_ENTERPRISE))
    return found is not None


class _Writer:
    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.counts: dict[str, int] = {name: 0 for name in TABLES}

    def write(self, session, table: str, chunk: list[dict], total: int) -> None:
        if not chunk:
            return
        bulk_insert(session, TABLES[table], chunk)
        self.counts[table] += len(chunk)
        if self.progress is not None:
            self.progress(table, self.counts[table], total)

    def stream(self, session, table: str, rows: Iterable[dict], total: int) -> None:
        for chunk in chunked(rows, INSERT_CHUNK):
            self.write(session, table, chunk, total)


def generate(db: Database, size: str, today: date, progress: Progress | None = None) -> SimulationSummary:
    """Fill the (empty) source tables with the simulation dataset for `today`."""
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}: one of {', '.join(SIZES)}")
    with db.reading() as session:
        for name, table in TABLES.items():
            if session.execute(select(table.c[list(table.c.keys())[0]]).limit(1)).first() is not None:
                raise ValueError(f"the source tables already hold data (table {name}); "
                                 "the simulation dataset loads into empty source tables only")
    dims = SIZES[size]
    stamp = datetime.combine(today, time(0), tzinfo=UTC)
    fixed = _fixed_rows(today, stamp).tables
    metas = _enterprise_meta(dims, today)
    writer = _Writer(progress)

    # One transaction: an interrupted load leaves nothing behind, so `is_loaded` never sees half a dataset.
    with db.writing() as session:
        _write_all(session, writer, fixed, metas, dims, today, stamp)
    return SimulationSummary(counts=dict(writer.counts), scenarios=scenarios(today),
                             cleaning_scenarios=cleaning_scenarios(today))


def _write_all(session, writer: _Writer, fixed, metas, dims: Size, today: date, stamp: datetime) -> None:
    def stream(table: str, bulk: Iterable[dict], bulk_total: int) -> None:
        rows = fixed[table]
        writer.stream(session, table, _concat(rows, bulk), len(rows) + bulk_total)

    stream("person", _bulk_people(dims, stamp), dims.people + dims.limosa)
    stream("enterprise", _bulk_enterprises(metas, dims, stamp), dims.enterprises + dims.foreign_employers)
    employer_periods = _bulk_employer_periods(metas)
    stream("employer_period", employer_periods, len(employer_periods))
    mandates = _bulk_mandates(metas, dims, today)
    stream("mandate", mandates, len(mandates))
    del employer_periods, mandates
    stream("dimona_period", _bulk_dimona(metas, dims, today), dims.dimona)
    stream("limosa_declaration", _bulk_limosa(dims, today, stamp), dims.limosa)

    # Declarations before the contracts that refer to them.
    chains = _chain_sizes(dims)
    declarations_total = len(fixed["work_declaration"]) + dims.declarations
    contracts_total = len(fixed["contract"]) + sum(chains) + dims.declarations
    writer.write(session, "work_declaration", fixed["work_declaration"], declarations_total)
    writer.write(session, "contract", fixed["contract"], contracts_total)
    pending: list[dict] = []
    for chunk in chunked(_bulk_declarations(metas, dims, today, stamp, chains), INSERT_CHUNK // 4):
        writer.write(session, "work_declaration", [declaration for declaration, _ in chunk], declarations_total)
        pending.extend(contract for _, contracts in chunk for contract in contracts)
        if len(pending) >= INSERT_CHUNK:
            writer.write(session, "contract", pending, contracts_total)
            pending = []
    writer.write(session, "contract", pending, contracts_total)


def _concat(first: list[dict], then: Iterable[dict]) -> Iterator[dict]:
    yield from first
    yield from then
