"""`presence demo`, `presence scenarios`, `presence import`: the authentic sources' data."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..clock import SystemClock, belgian_today
from ..config import Environment
from .common import Column, app, err, fail, make_runtime, open_database, out, print_table


class Size(StrEnum):
    small = "small"
    medium = "medium"
    national = "national"


@app.command()
def demo(
    size: Annotated[Size, typer.Option(help="small: thousands of rows; medium: a region; national: Belgium.")] = (
        Size.small),
    if_empty: Annotated[bool, typer.Option(help="Do nothing when the dataset is already loaded.")] = False,
    today: Annotated[str | None, typer.Option(help="Build the dataset around this date (YYYY-MM-DD).")] = None,
) -> None:
    """Load the simulation dataset: enterprises, people, declarations, Dimona, Limosa, every remark's case."""
    from ..sources import simulation

    db = open_database()
    if simulation.is_loaded(db):
        if if_empty:
            out.print("simulation dataset already loaded")
            return
        raise fail("the sources already hold data: load the simulation dataset into an empty database")
    try:
        day = date.fromisoformat(today) if today else belgian_today(SystemClock())
    except ValueError:
        raise fail("--today: a date as YYYY-MM-DD", 2) from None
    columns = (TextColumn("{task.description:<20}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=False) as progress:
        tasks: dict[str, int] = {}

        def report(table: str, done: int, total: int) -> None:
            if table not in tasks:
                tasks[table] = progress.add_task(table, total=total)
            progress.update(tasks[table], completed=done, total=total)

        summary = simulation.generate(db, str(size), day, progress=report)
    table = Table("table", "rows", title=f"simulation dataset ({size}) around {day}")
    for name, count in summary.counts.items():
        table.add_row(name, f"{count:,}")
    out.print(table)
    out.print(f"{len(summary.scenarios) + len(summary.cleaning_scenarios)} scenarios (one per remark, and clean "
              "cases); see `presence scenarios`", highlight=False)
    runtime = make_runtime(db)
    if runtime.environment is Environment.SIMULATION:
        from ..sources.personas import create_personas

        created = create_personas(runtime)
        out.print(f"{len(created)} personas, one per role, with their accounts; see `presence personas`",
                  highlight=False)


@app.command()
def scenarios(
    today: Annotated[str | None, typer.Option(help="The date the dataset was built around.")] = None,
) -> None:
    """List the simulation scenarios: what to register to get each remark (and none)."""
    from ..sources import simulation

    try:
        day = date.fromisoformat(today) if today else belgian_today(SystemClock())
    except ValueError:
        raise fail("--today: a date as YYYY-MM-DD", 2) from None
    columns = [Column("remark", whole=True), Column("scenario"), Column("person", whole=True),
               Column("enterprise", whole=True), Column("workplace", whole=True)]
    print_table("Construction and meat (SOAP, a day): register for today or tomorrow", columns, (
        [s.expected_remark or "none", s.name, s.inss or f"Limosa\n{s.limosa_id}",
         s.enterprise_number or s.foreign_vat or "", s.workplace] for s in simulation.scenarios(day)))
    place = simulation.CLEANING_PLACE
    cleaning = simulation.cleaning_scenarios(day)
    out.print(f"\nCleaning (REST, an instant): check in and out, a few minutes apart, on workplace "
              f"{cleaning[0].workplace}, {place.address}, at latitude {place.latitude}, longitude "
              f"{place.longitude}:", highlight=False, soft_wrap=False)
    print_table("", [Column("remark", whole=True), Column("scenario"), Column("register", whole=True),
                     Column("person", whole=True), Column("enterprise", whole=True)], (
        [s.expected_remark or "none", s.name, " then ".join(s.clockings), s.inss, s.enterprise_number]
        for s in cleaning))
    out.print("\nA registration is created at once (pending); its remark comes from the asynchronous check, "
              "seconds later: consult it then.", highlight=False, soft_wrap=False)


@app.command("import")
def import_source(
    source: Annotated[str, typer.Argument(help="people, enterprises, employer-periods, mandates, dimona, "
                                                "limosa, declarations or contracts")],
    file: Annotated[Path, typer.Argument(help="A .csv (with a header row) or .json file.", exists=True,
                                         dir_okay=False, readable=True)],
) -> None:
    """Import a file of an authentic source: every row is checked; one bad row and nothing is imported."""
    from ..domain.visibility import Caller
    from ..services.registrations.revalidation import import_source
    from ..sources import importers

    db = open_database()
    if source not in importers.SOURCES:
        raise fail(f"unknown source {source!r}: one of {', '.join(importers.SOURCES)}", 2)
    try:
        report = import_source(make_runtime(db), Caller.operator(), source, file)
    except importers.ImportRejected as rejected:
        report = rejected.report
        err.print(f"[bold red]{file.name}: nothing imported[/], {len(report.rejected)} row(s) rejected:",
                  highlight=False)
        for row in report.rejected[:200]:
            err.print(f"  {row}", highlight=False, markup=False)
        if len(report.rejected) > 200:
            err.print(f"  ... and {len(report.rejected) - 200} more", highlight=False)
        raise typer.Exit(1) from None
    out.print(f"{file.name}: {report.accepted} row(s) imported into {source}; "
              f"{report.revalidated} registration(s) to check again", highlight=False)
