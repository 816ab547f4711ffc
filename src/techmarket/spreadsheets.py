"""Spreadsheets the platform hands out (CSV downloads people open in Excel or WPS).

Text stored from users and imports may start like a formula (``=HYPERLINK(…)``,
``+cmd|…``): written out as is, a spreadsheet would run it. Every export goes through
here so that no cell is ever read as a formula (OWASP, "CSV Injection")."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

# A cell starting with one of these may be read as a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | None


def neutralise(value: Cell) -> Cell:
    """The cell as text that no spreadsheet evaluates: a leading ``'`` before a formula
    start. Numbers are left as numbers (a negative amount is not a formula)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """A CSV document (RFC 4180, formulas neutralised) as text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
    writer.writerow([neutralise(name) for name in header])
    writer.writerows([neutralise(cell) for cell in row] for row in rows)
    return out.getvalue()
