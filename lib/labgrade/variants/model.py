"""Answer variants: a source notebook with one solution region replaced.

Used by the answer catalogue (``labgrade.variants.catalogue``) and the hostile catalogue of the
tests (tests/helpers/hostile_catalogue.py). A variant either replaces the whole code between
``### BEGIN SOLUTION`` and ``### END SOLUTION`` of one cell, or applies text substitutions
inside it; a substitution that does not apply raises, so that an edit of a notebook cannot
silently turn a wrong answer into a correct one.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import nbformat

from labgrade.course.regions import BEGIN_SOLUTION, END_SOLUTION, SOLUTION, Region, regions


class VariantError(ValueError):
    """A variant does not apply to the current notebook."""


def find_cell(nb: nbformat.NotebookNode, grade_id: str):
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return cell
    raise VariantError(f"no cell with grade_id {grade_id!r}")


def solution_region(cell) -> Region:
    """The cell's (first) solution region."""
    found = regions(cell.source, SOLUTION)
    if not found:
        raise VariantError(f"cell {cell.metadata['nbgrader']['grade_id']!r} has no solution region")
    return found[0]


def apply_variant(nb: nbformat.NotebookNode, grade_id: str, *, code: str | None = None,
                  subs=(), keep_markers: bool = True) -> nbformat.NotebookNode:
    """Change the solution region of ``grade_id`` in ``nb`` (in place) and return ``nb``.

    ``code`` replaces the region (dedented, then re-indented to the region's
    indentation); ``subs`` is a sequence of ``(old, new)`` substitutions, each
    of which must match at least once (all occurrences replaced).
    """
    cell = find_cell(nb, grade_id)
    r = solution_region(cell)
    indent, body = r.indent, "".join(line + "\n" for line in r.body)
    if code is not None:
        body = textwrap.indent(textwrap.dedent(code).strip("\n") + "\n", indent)
    for old, new in subs:
        if old not in body:
            raise VariantError(f"{grade_id}: substitution {old!r} does not apply to the solution")
        body = body.replace(old, new)
    if keep_markers:
        new_src = f"{indent}### {BEGIN_SOLUTION}\n{body}{indent}### {END_SOLUTION}"
    else:
        new_src = body.rstrip("\n")
    lines = cell.source.split("\n")
    cell.source = "\n".join([*lines[:r.begin], new_src, *lines[r.end + 1:]])
    return nb


@dataclass(frozen=True)
class Variant:
    """The model answer, changed: one solution cell of one notebook, and what grading must make of it.

    The one model of the answer catalogue (:mod:`labgrade.variants.answers`), the sample class
    (:mod:`labgrade.variants.mutations`, which reuses catalogue entries) and the hostile catalogue of
    the tests.
    """

    id: str
    notebook: str                  # two-digit prefix, e.g. "02"
    grade_id: str                  # the solution cell it changes
    correct: bool = False
    lose: tuple[str, ...] = ()     # test cells it must fail (wrong answers)
    hint: str = ""                 # text the failure message of lose[0] must contain
    code: str | None = None        # replacement of the solution region
    subs: tuple = ()               # or substitutions in it: (old, new) pairs
    why: str = ""                  # what the variant is, in words
    helper: str = ""               # a code cell the student added right after the solution cell
    imports: str = ""              # lines the student added to the notebook's first code cell
    count: int | None = None       # times each ``old`` must occur (None: at least once)


Answer = Variant    # the answer catalogue's word for it


def notebook_stem(prefix: str, stems) -> str | None:
    """The notebook of ``stems`` whose name starts with the two-digit ``prefix`` (None if there is none)."""
    return next((s for s in sorted(stems) if s[:2] == prefix[:2]), None)


def apply_answer(nb: nbformat.NotebookNode, answer: Answer) -> nbformat.NotebookNode:
    """``nb`` (a source notebook, markers in place) with ``answer`` applied, in place."""
    apply_variant(nb, answer.grade_id, code=answer.code, subs=answer.subs)
    return nb


def apply_cells(nb: nbformat.NotebookNode, answer: Answer) -> nbformat.NotebookNode:
    """The answer's added helper cell and import-cell lines (any notebook: source or student's)."""
    if answer.helper:
        cell = find_cell(nb, answer.grade_id)
        at = nb.cells.index(cell) + 1
        nb.cells.insert(at, nbformat.v4.new_code_cell(textwrap.dedent(answer.helper).strip("\n")))
    if answer.imports:
        first = next(c for c in nb.cells if c.cell_type == "code")
        first.source = first.source.rstrip("\n") + "\n" + textwrap.dedent(answer.imports).strip("\n") + "\n"
    return nb
