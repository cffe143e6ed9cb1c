"""CSV downloads that a spreadsheet opens safely.

A cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return, which some
programs skip before looking) is read by Excel and LibreOffice as a formula: a name typed into the
pupil administration as ``=HYPERLINK(...)`` would run when staff open the file (CSV injection,
OWASP). Such a cell gets a leading apostrophe, which spreadsheets show as plain text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Sequence[object], rows: Iterable[Sequence[object]]) -> str:
    """The rows as CSV (every cell quoted, formulas neutralised), with a BOM so Excel reads UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return "\ufeff" + out.getvalue()
