"""labgrade.course.build: the rendered notebooks are the same each time they are regenerated."""

from __future__ import annotations

import nbformat

from labgrade.course.build import execute


def test_printed_text_is_one_output_however_the_kernel_flushed_it(tmp_path):
    """The kernel sends printed text in chunks that depend on timing (a flush, a slow loop); the
    rendered notebook keeps one output per stream (nbclient's coalescing, as JupyterLab shows a cell's
    output), so regenerating notebooks/ is reproducible."""
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(
        "import sys, time\n"
        "for i in range(3):\n"
        "    print(i, flush=True)\n"
        "    time.sleep(0.2)\n"
        "print('err', file=sys.stderr, flush=True)\n"
        "print('end')\n"))
    out = execute(nb, tmp_path).cells[0].outputs
    assert sorted((o.name, o.text) for o in out) == [("stderr", "err\n"), ("stdout", "0\n1\n2\nend\n")]
