"""Answer variants: a source notebook with one solution region replaced.

Shared by the sample class (``labgrade.sampleclass``) and the answer
catalogue (``labgrade.catalogue``). A variant either replaces the whole code
between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` of one cell, or applies
text substitutions inside it; a substitution that does not apply raises, so
that an edit of a notebook cannot silently turn a wrong answer into a correct
one.
"""

from __future__ import annotations

import re
import textwrap

import nbformat

REGION = re.compile(r"^([ \t]*)### BEGIN SOLUTION[^\n]*\n(.*?)^[ \t]*### END SOLUTION[^\n]*$", re.S | re.M)


class VariantError(ValueError):
    """A variant does not apply to the current notebook."""


def find_cell(nb: nbformat.NotebookNode, grade_id: str):
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return cell
    raise VariantError(f"no cell with grade_id {grade_id!r}")


def solution_region(cell) -> tuple[str, str]:
    """Return (indent, code) of the cell's solution region."""
    m = REGION.search(cell.source)
    if not m:
        raise VariantError(f"cell {cell.metadata['nbgrader']['grade_id']!r} has no solution region")
    return m.group(1), m.group(2)


def apply_variant(nb: nbformat.NotebookNode, grade_id: str, *, code: str | None = None,
                  subs=(), keep_markers: bool = True) -> nbformat.NotebookNode:
    """Change the solution region of ``grade_id`` in ``nb`` (in place) and return ``nb``.

    ``code`` replaces the region (dedented, then re-indented to the region's
    indentation); ``subs`` is a sequence of ``(old, new)`` substitutions, each
    of which must match exactly once... or at least once (all occurrences replaced).
    """
    cell = find_cell(nb, grade_id)
    indent, region = solution_region(cell)
    if code is not None:
        region = textwrap.indent(textwrap.dedent(code).strip("\n") + "\n", indent)
    for old, new in subs:
        if old not in region:
            raise VariantError(f"{grade_id}: substitution {old!r} does not apply to the solution")
        region = region.replace(old, new)
    if keep_markers:
        new_src = f"{indent}### BEGIN SOLUTION\n{region}{indent}### END SOLUTION"
    else:
        new_src = region.rstrip("\n")
    m = REGION.search(cell.source)
    cell.source = cell.source[: m.start()] + new_src + cell.source[m.end():]
    return nb
