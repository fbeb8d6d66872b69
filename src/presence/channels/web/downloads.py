"""The pages' tables as files to download: CSV, and XLSX for spreadsheets (xlsxwriter, formulas and links
never read from the cells: a name typed as `=cmd()` stays text)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from io import BytesIO, StringIO

from fastapi.responses import Response

from .pages import Visitor, finished

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_download(visitor: Visitor, filename: str, columns: Sequence[str], rows: Iterable[Sequence]) -> Response:
    out = StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows(rows)
    return finished(Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{filename}"'}), visitor)


def spreadsheet(sheet: str, columns: Sequence[str], rows: Sequence[Sequence], autofilter: bool = False) -> bytes:
    """One sheet: the columns' names in bold and frozen, then the rows."""
    import xlsxwriter  # only for these exports

    out = BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    worksheet = book.add_worksheet(sheet[:31])
    worksheet.write_row(0, 0, columns, book.add_format({"bold": True}))
    for index, row in enumerate(rows, start=1):
        worksheet.write_row(index, 0, row)
    if autofilter:
        worksheet.autofilter(0, 0, len(rows), len(columns) - 1)
    worksheet.freeze_panes(1, 0)
    book.close()
    return out.getvalue()


def xlsx_download(visitor: Visitor, filename: str, content: bytes) -> Response:
    return finished(Response(content, media_type=XLSX,
                             headers={"Content-Disposition": f'attachment; filename="{filename}"'}), visitor)
