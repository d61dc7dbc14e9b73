"""nbgrader's regions of a cell: the solution (``### BEGIN SOLUTION`` .. ``### END SOLUTION``) and the
hidden tests (``### BEGIN HIDDEN TESTS`` .. ``### END HIDDEN TESTS``): the one parser of them.

The rule is nbgrader's own (``ClearSolutions._replace_solution_region``,
``ClearHiddenTests._remove_hidden_test_region``): a line that *contains* a delimiter is a marker, and
a region runs from its begin marker to the next end marker. The delimiters are nbgrader's defaults
(``ClearSolutions.begin_solution_delimeter`` ...; tests/labgrade/course/test_regions.py checks that they
still are): they are not read from nbgrader here because importing ``nbgrader.preprocessors`` loads
about 1,300 modules, and this module runs in the grading kernel and in the sandboxed worker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

BEGIN_SOLUTION, END_SOLUTION = "BEGIN SOLUTION", "END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
SOLUTION, HIDDEN = "solution", "hidden"
_DELIMITERS = ((BEGIN_HIDDEN, HIDDEN, True), (END_HIDDEN, HIDDEN, False),
               (BEGIN_SOLUTION, SOLUTION, True), (END_SOLUTION, SOLUTION, False))
_INDENT = re.compile(r"[ \t]*")


class RegionError(ValueError):
    """A begin marker without its end (nbgrader refuses such a cell too)."""


@dataclass(frozen=True)
class Marker:
    kind: str        # SOLUTION or HIDDEN
    begin: bool


@dataclass(frozen=True)
class Region:
    kind: str        # SOLUTION or HIDDEN
    indent: str      # the indentation of the begin marker
    begin: int       # line index of the begin marker (lines as ``source.split("\n")``)
    end: int         # line index of the end marker
    body: list[str]  # the lines between the markers


def marker(line: str) -> Marker | None:
    """Which marker ``line`` is, if any (a line containing a delimiter, as nbgrader reads it)."""
    for text, kind, begin in _DELIMITERS:
        if text in line:
            return Marker(kind, begin)
    return None


def regions(source: str, kind: str | None = None) -> list[Region]:
    """The regions of ``source`` (of one ``kind``, or all), in order."""
    out, open_ = [], None
    lines = source.split("\n")
    for i, line in enumerate(lines):
        m = marker(line)
        if m is None:
            continue
        if m.begin:
            open_ = (m.kind, i, _INDENT.match(line).group(0))
        elif open_ is not None and open_[0] == m.kind:
            k, start, indent = open_
            out.append(Region(k, indent, start, i, lines[start + 1:i]))
            open_ = None
    if open_ is not None:
        raise RegionError(f"a {open_[0]} region begins on line {open_[1] + 1} and does not end")
    return [r for r in out if kind is None or r.kind == kind]


def has_hidden_tests(source: str) -> bool:
    """Whether ``source`` begins a hidden-test region (never raises: any cell, a student's included)."""
    return any((m := marker(line)) is not None and m.kind == HIDDEN and m.begin for line in source.split("\n"))


def hidden_mask(source: str) -> list[bool]:
    """Per line (``source.splitlines(True)``): inside a hidden-test region, markers included."""
    out, hidden = [], False
    for line in source.splitlines(True):
        m = marker(line)
        if m is not None and m.kind == HIDDEN:
            hidden = m.begin
            out.append(True)
        else:
            out.append(hidden)
    return out


def without_hidden_tests(source: str) -> str:
    """``source`` as students receive it: the hidden-test regions, markers included, removed."""
    return "".join(line for line, hidden in zip(source.splitlines(True), hidden_mask(source), strict=True)
                   if not hidden)


def without_markers(source: str, kind: str = SOLUTION) -> str:
    """``source`` without the marker lines of ``kind`` (their regions' code stays)."""
    return "".join(line for line in source.splitlines(True) if (m := marker(line)) is None or m.kind != kind)



def hidden_line_numbers(source: str) -> set[int]:
    """1-based numbers of the lines of ``source`` inside hidden-test regions (markers included)."""
    return {i for i, hidden in enumerate(hidden_mask(source), 1) if hidden}
