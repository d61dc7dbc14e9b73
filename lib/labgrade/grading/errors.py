"""The errors an autograded notebook shows: per graded cell, its first error, made one line of plain text."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from labgrade.grading.untrusted import CELL_MAX, plain

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
TIMEOUT_ERRORS = {"CellTimeoutError", "StudentTimeoutError"}   # nbclient's; labgrade.sandbox.judge's (isolation)


def first_line(text: str, limit: int = CELL_MAX) -> str:
    text = ANSI.sub("", (text or "")[: 8 * limit]).strip()
    return plain(text.splitlines()[0], limit) if text else ""


def error_message(output) -> str:
    ename = output.get("ename", "Error")
    if ename in TIMEOUT_ERRORS:
        return "CellTimeoutError: the cell ran past the per-cell timeout and was interrupted"
    ename = plain(ename, 100) or "Error"
    msg = first_line(str(output.get("evalue", "")))
    return f"{ename}: {msg}" if msg else ename


def notebook_errors(path: Path) -> tuple[dict[str, str], bool]:
    """Per grade_id, the first error of the cell; and whether any cell timed out."""
    errors, timed_out = {}, False
    if not path.exists():
        return errors, timed_out
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        errs = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if any(o.get("ename") in TIMEOUT_ERRORS for o in errs):
            timed_out = True
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid and errs:
            errors[gid] = error_message(errs[0])
    return errors, timed_out
