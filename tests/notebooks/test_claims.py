"""Every number the prose of the rendered lab quotes from an output is that output.

The notebooks print the figures they discuss with :func:`initlab.claims.claim`
(``[name] value``) and quote them in Markdown as
``<span data-claim="name">value</span>``. Here every span of every rendered
notebook in ``notebooks/`` is compared with what its code printed.
"""

from __future__ import annotations

import nbformat
import pytest

from initlab.claims import CLAIM_LINE, CLAIM_SPAN
from labgrade.course.paths import course_root

NOTEBOOKS = sorted((course_root() / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _printed(nb) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            text = out.get("text", "") if out.get("output_type") == "stream" else \
                out.get("data", {}).get("text/plain", "")
            for m in CLAIM_LINE.finditer(text if isinstance(text, str) else "".join(text)):
                found.setdefault(m["name"], set()).add(m["value"])
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_quoted_numbers_are_the_printed_ones(path):
    nb = nbformat.read(path, as_version=4)
    printed = _printed(nb)
    for name, values in printed.items():
        assert len(values) == 1, f"{path.name}: claim {name!r} printed with different values {sorted(values)}"
    problems = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for m in CLAIM_SPAN.finditer(cell.source):
            name, quoted = m["name"], m["value"].strip()
            if name not in printed:
                problems.append(f"{name!r} is quoted ({quoted!r}) but no cell printed it")
            elif quoted not in printed[name]:
                problems.append(f"{name!r} is quoted as {quoted!r} but the code printed {sorted(printed[name])[0]!r}")
    assert not problems, f"{path.name}: " + "; ".join(problems)


def test_claim_line_round_trip(capsys):
    from initlab.claims import claim

    assert claim("x_ratio", 0.98765, ".2f") == "0.99"
    out = capsys.readouterr().out
    m = CLAIM_LINE.search(out)
    assert m and m["name"] == "x_ratio" and m["value"] == "0.99"
    with pytest.raises(ValueError, match="lower-case identifier"):
        claim("Bad Name", 1.0)
