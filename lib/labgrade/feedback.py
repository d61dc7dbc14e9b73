"""Feedback without hidden tests (nbgrader issue #917).

nbgrader's autograde puts the full test cells back (hidden tests included)
before it runs them, and ``generate_feedback`` renders that notebook as it is:
the student would read the hidden tests in the test cell, and again in any
traceback, whose context lines show the source around the failing line.

:class:`HideHiddenTests` is an nbgrader preprocessor added to
``GenerateFeedback.preprocessors`` (after ``GetGrades``). In the notebook being
rendered (never in autograded/), it

* replaces each ``### BEGIN HIDDEN TESTS`` .. ``### END HIDDEN TESTS`` region of a
  cell by one comment line, ``# (hidden tests: not shown)``;
* removes from every error traceback the context lines that belong to a hidden
  region: by line number in frames of the notebook's own cells (``Cell In[n],
  line k`` is mapped to the cell whose execution count is ``n``), and by text
  everywhere else; a failing line that is hidden becomes
  ``---> (a line of the hidden tests)``.

The error's name and message (the first line a student acts on) stay.
"""

from __future__ import annotations

import re

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

BEGIN = "### BEGIN HIDDEN TESTS"
END = "### END HIDDEN TESTS"
PLACEHOLDER = "# (hidden tests: not shown)"
HIDDEN_LINE = "---> (a line of the hidden tests)"

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
FRAME = re.compile(r"^\s*Cell\s+In\s*\[(\d+)\],\s*line\s+(\d+)")
CONTEXT = re.compile(r"^\s*(-*>)?\s*(\d+)(?: (.*))?$")
CARETS = re.compile(r"^\s*[\^~\s]+$")


def hidden_line_numbers(source: str) -> set[int]:
    """1-based numbers of the lines of ``source`` inside hidden regions (markers included)."""
    out, inside = set(), False
    for i, line in enumerate(source.split("\n"), start=1):
        if BEGIN in line:
            inside = True
        if inside:
            out.add(i)
        if END in line:
            inside = False
    return out


def strip_hidden_source(source: str) -> str:
    lines, out, inside = source.split("\n"), [], False
    for line in lines:
        if BEGIN in line:
            inside = True
            indent = re.match(r"\s*", line).group(0)
            out.append(indent + PLACEHOLDER)
            continue
        if inside:
            if END in line:
                inside = False
            continue
        out.append(line)
    return "\n".join(out)


def _clean_frame(text: str, hidden_numbers: set[int] | None, hidden_text: set[str]) -> str:
    """Remove hidden context lines from one traceback entry (may hold several lines)."""
    lines = text.split("\n")
    out, dropped_prev = [], False
    numbers = None
    for line in lines:
        plain = ANSI.sub("", line)
        m = FRAME.match(plain)
        if m:
            numbers = hidden_numbers
            out.append(line)
            dropped_prev = False
            continue
        c = CONTEXT.match(plain)
        if c:
            arrow, number, code = c.group(1), int(c.group(2)), (c.group(3) or "")
            hidden = (numbers is not None and number in numbers) or (
                code.strip() and code.strip() in hidden_text)
            if hidden:
                if arrow:
                    out.append(HIDDEN_LINE)
                dropped_prev = True
                continue
            dropped_prev = False
            out.append(line)
            continue
        if dropped_prev and plain.strip() and CARETS.match(plain):
            continue  # the ^^^^ markers under a removed line
        dropped_prev = False
        out.append(line)
    return "\n".join(out)


def clean_traceback(traceback: list[str], cells_by_count: dict[int, set[int]], hidden_text: set[str]) -> list[str]:
    out = []
    for entry in traceback:
        plain = ANSI.sub("", entry)
        numbers = None
        m = FRAME.search(plain)
        if m:
            numbers = cells_by_count.get(int(m.group(1)), set())
        out.append(_clean_frame(entry, numbers, hidden_text))
    return out


def hide_hidden_tests(nb) -> int:
    """Strip hidden tests from ``nb`` in place. Returns the number of cells changed."""
    by_count: dict[int, set[int]] = {}
    hidden_text: set[str] = set()
    for cell in nb.cells:
        nums = hidden_line_numbers(cell.source)
        if cell.cell_type == "code" and cell.get("execution_count") is not None:
            by_count[cell.execution_count] = nums
        lines = cell.source.split("\n")
        for i in nums:
            text = lines[i - 1].strip()
            if len(text) >= 8 or text.startswith("###"):
                hidden_text.add(text)
    changed = 0
    for cell in nb.cells:
        if BEGIN in cell.source:
            cell.source = strip_hidden_source(cell.source)
            changed += 1
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                new = clean_traceback(list(out.get("traceback", [])), by_count, hidden_text)
                if new != list(out.get("traceback", [])):
                    out["traceback"] = new
                    changed += 1
    return changed


class HideHiddenTests(Preprocessor):
    """nbgrader preprocessor: the feedback shows no hidden test, in cells or tracebacks."""

    enabled = Bool(True, help="strip hidden tests (nbconvert preprocessors are off by default)").tag(config=True)

    def preprocess(self, nb, resources):
        hide_hidden_tests(nb)
        return nb, resources
