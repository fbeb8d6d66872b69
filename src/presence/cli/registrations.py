"""`presence search`, `presence export`, `presence purge`: the registrations, as the operator sees them."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ..clock import SystemClock, belgian_today
from .common import Column, WideOpt, app, as_operator, fail, make_runtime, open_database, out, print_table


def _criteria(date_from, date_to, inss, enterprise, workplace, status, remark):
    from ..domain.remarks import RemarkCode
    from ..domain.statuses import SoapStatus
    from ..services.errors import InvalidRequest
    from ..services.registrations.search_criteria import search_criteria

    try:
        start = date.fromisoformat(date_from) if date_from else belgian_today(SystemClock())
        end = date.fromisoformat(date_to) if date_to else start
    except ValueError:
        raise fail("--from/--to: dates as YYYY-MM-DD", 2) from None
    try:
        criteria = search_criteria([(start, end)], inss=inss or None, enterprise=enterprise or None,
                                   workplace=workplace or None)
    except InvalidRequest as error:
        raise fail(str(error), 2) from None
    try:
        criteria.statuses = [SoapStatus(s.upper()) for s in status]
    except ValueError:
        raise fail(f"--status: one of {', '.join(s.value for s in SoapStatus)}", 2) from None
    try:
        criteria.remarks = [RemarkCode(r.upper()) for r in remark]
    except ValueError:
        raise fail("--remark: a code CAW_01 .. CAW_19", 2) from None
    return criteria


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


EXPORT_COLUMNS = ["id", "status", "remarks", "registration_date", "clocked_at", "direction", "inss", "limosa_id",
                  "enterprise_number", "foreign_vat", "workplace", "sector", "channel", "sender_enterprise",
                  "sender_id", "created_at", "client_reference"]


def _export_row(p) -> dict:
    return {
        "id": p.id, "status": p.status.value, "remarks": " ".join(p.remarks),
        "registration_date": p.registration_date.isoformat(),
        "clocked_at": p.clocked_at.isoformat() if p.clocked_at else "", "direction": p.direction or "",
        "inss": p.inss or "", "limosa_id": p.limosa_id or "", "enterprise_number": p.enterprise_number or "",
        "foreign_vat": p.foreign_vat or "", "workplace": p.workplace, "sector": p.sector or "",
        "channel": p.channel, "sender_enterprise": p.sender_enterprise or "", "sender_id": p.sender_id or "",
        "created_at": p.created_at.isoformat(), "client_reference": p.client_reference or "",
    }


DateFrom = Annotated[str | None, typer.Option("--from", help="First registration date (default today).")]
DateTo = Annotated[str | None, typer.Option("--to", help="Last registration date (default --from).")]
Inss = Annotated[str | None, typer.Option(help="INSS/BIS number of the person.")]
EnterpriseOpt = Annotated[str | None, typer.Option(help="Enterprise number or foreign VAT number.")]
WorkplaceOpt = Annotated[str | None, typer.Option(help="Work-declaration number.")]
StatusOpt = Annotated[list[str], typer.Option(help="SUCCESSFULLY REGISTERED, VALIDATED, FAILED, "
                                                   "SUCCESSFULLY CANCELLED (repeatable).")]
RemarkOpt = Annotated[list[str], typer.Option(help="Remark code such as CAW_01 (repeatable).")]


@app.command()
def search(
    date_from: DateFrom = None, date_to: DateTo = None, inss: Inss = None, enterprise: EnterpriseOpt = None,
    workplace: WorkplaceOpt = None, status: StatusOpt = [], remark: RemarkOpt = [],  # noqa: B006
    first: Annotated[int, typer.Option(help="Skip this many matches.")] = 0,
    limit: Annotated[int, typer.Option(help="Show at most this many (at most 500).")] = 50,
    output: Annotated[Format, typer.Option("--format", help="table, csv or json.")] = Format.table,
    wide: WideOpt = False,
) -> None:
    """Search registrations, as the back office sees them."""
    from ..domain.identifiers import mask_inss
    from ..services.registrations.consulting import Page, search_presences

    criteria = _criteria(date_from, date_to, inss, enterprise, workplace, status, remark)
    result = as_operator(search_presences, criteria, Page(first, limit), code=2)
    if output is Format.table:
        columns = [Column("id", whole=True), Column("date"), Column("person", whole=True),
                   Column("enterprise\nworkplace", whole=True), Column("channel", wide=True), Column("status"),
                   Column("remarks")]
        rows = ([str(p.id),
                 p.registration_date.isoformat() + (f" {p.direction} {p.clocked_at:%H:%M}" if p.clocked_at else ""),
                 mask_inss(p.inss) if p.inss else f"Limosa\n{p.limosa_id}",
                 f"{p.enterprise_number or p.foreign_vat or ''}\n{p.workplace}", p.channel, p.status.value,
                 " ".join(p.remarks)] for p in result.items)
        print_table(f"{result.total} match(es); showing {len(result.items)} from {first}", columns, rows, wide)
    elif output is Format.csv:
        writer = csv.DictWriter(sys.stdout, EXPORT_COLUMNS)
        writer.writeheader()
        writer.writerows(_export_row(p) for p in result.items)
    else:
        print(json.dumps({"total": result.total, "items": [_export_row(p) for p in result.items]}, indent=2))


@app.command()
def export(
    date_from: DateFrom = None, date_to: DateTo = None, inss: Inss = None, enterprise: EnterpriseOpt = None,
    workplace: WorkplaceOpt = None, status: StatusOpt = [], remark: RemarkOpt = [],  # noqa: B006
    output: Annotated[Path | None, typer.Option("--output", "-o", help="CSV file to write (default stdout).",
                                                dir_okay=False)] = None,
) -> None:
    """Export every matching registration as CSV (no 500 cap: the operator's bulk export)."""
    from ..services.registrations.consulting import MAX_RESULTS, Page, search_presences

    criteria = _criteria(date_from, date_to, inss, enterprise, workplace, status, remark)
    runtime = make_runtime(open_database())
    try:
        stream = output.open("w", newline="", encoding="utf-8") if output else sys.stdout
    except OSError as error:
        raise fail(f"cannot write {output}: {error.strerror}", 2) from None
    try:
        writer = csv.DictWriter(stream, EXPORT_COLUMNS)
        writer.writeheader()
        first, written = 0, 0
        while True:
            result = as_operator(search_presences, criteria, Page(first, MAX_RESULTS), runtime=runtime, code=2)
            writer.writerows(_export_row(p) for p in result.items)
            written += len(result.items)
            first += MAX_RESULTS
            if first >= result.total or not result.items:
                break
    finally:
        if output:
            stream.close()
    if output:
        out.print(f"{written} registration(s) written to {output}", highlight=False)


@app.command()
def purge(
    dry_run: Annotated[bool, typer.Option(help="Only count what would be purged.")] = False,
) -> None:
    """Purge registrations older than the 7-year retention (with their history), old audit events, finished
    jobs older than 30 days, the signed SOAP messages no replay of which could be accepted any more, expired
    access tokens and used client assertions."""
    from ..services.retention import purge_expired

    report = as_operator(purge_expired, dry_run=dry_run)
    verb = "would purge" if dry_run else "purged"
    out.print(f"{verb}: {report.registrations} registration(s) dated before {report.cutoff}, "
              f"{report.audit_events} audit event(s), {report.jobs} finished job(s), "
              f"{report.received_messages} received message(s), {report.access_tokens} expired access token(s), "
              f"{report.used_assertions} used client assertion(s), {report.user_sessions} ended web session(s)",
              highlight=False)
    if report.months_dropped:  # PostgreSQL's monthly partitions, dropped whole
        out.print(f"months dropped whole: {', '.join(month.strftime('%Y-%m') for month in report.months_dropped)}",
                  highlight=False)

