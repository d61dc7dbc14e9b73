"""Text a student controls, made safe where it ends up (CSV files, the printed table, the HTML report).

Failure messages (the first line of an exception a student's code may raise with any text),
flags that quote the student's code, file names and student ids all reach grades.csv,
students.csv, the printed table and the HTML report. At those boundaries:

* :func:`plain` turns any value into one line of printable text: ANSI escapes removed, control
  and invisible formatting characters (C0/C1 controls, line/paragraph separators, zero-width and
  bidirectional overrides) replaced by a space, capped at ``limit`` characters (a multi-megabyte
  message is cut before it is scanned);
* :func:`csv_cell` is :func:`plain` plus OWASP's defence against CSV (formula) injection: a cell
  whose first non-blank character is ``=``, ``+``, ``-``, ``@`` (or a full-width variant), or that
  starts with a tab or carriage return, gets a leading ``'`` so that a spreadsheet shows it as text;
* HTML is rendered by Jinja2 with autoescaping (labgrade.reports.report) and capped the same way.
"""

from __future__ import annotations

import csv
import re
import unicodedata

CELL_MAX = 500                    # characters per CSV cell / report message
ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
FORMULA_START = set("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
CSV_FIELD_LIMIT = 1 << 24         # what our readers accept per field (files written before the caps)


def _visible(ch: str) -> bool:
    return unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn") or ch == " "


def plain(value, limit: int = CELL_MAX) -> str:
    """One line of printable text, at most ``limit`` characters (an ellipsis marks a cut)."""
    text = "" if value is None else str(value)
    if len(text) > 4 * limit + 64:
        text = text[: 4 * limit + 64]
    text = ANSI.sub("", text)
    text = "".join(ch if _visible(ch) else " " for ch in text)
    text = re.sub(r" {2,}", " ", text).strip()
    if len(text) > limit:
        text = text[: max(0, limit - 1)] + "\u2026"
    return text


def csv_cell(value, limit: int = CELL_MAX) -> str:
    """A CSV cell a spreadsheet shows as text: :func:`plain`, then ``'`` before a formula trigger."""
    raw = "" if value is None else str(value)
    text = plain(raw, limit)
    first = raw[:1]
    if (first in FORMULA_START) or (text[:1] in FORMULA_START):
        text = "'" + text
    return text


def raise_csv_field_limit() -> None:
    """Let csv readers accept fields up to :data:`CSV_FIELD_LIMIT` (older reports had no cap)."""
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)
