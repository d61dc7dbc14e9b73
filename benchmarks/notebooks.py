"""Benchmark: how long each lab notebook takes to run, against an empty notebook.

Kernel start-up is the floor of every run. Each notebook of ``notebooks/`` is
executed with nbclient (new kernel each time), as reading students run it and
as nbgrader grades it (``NBGRADER_EXECUTION=autograde``, figures skipped), and so
is an empty notebook; the script prints each time, the floor and the ratios.
Not a test: timings are printed, never asserted.

    python -m benchmarks.notebooks [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from labgrade.course.paths import course_root


def run_once(nb: nbformat.NotebookNode, cwd: Path, grading: bool) -> float:
    nb = nbformat.from_dict(nb)  # fresh copy
    old = os.environ.pop("NBGRADER_EXECUTION", None)
    if grading:
        os.environ["NBGRADER_EXECUTION"] = "autograde"
    try:
        start = time.perf_counter()
        NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(cwd)}}).execute()
        return time.perf_counter() - start
    finally:
        os.environ.pop("NBGRADER_EXECUTION", None)
        if old is not None:
            os.environ["NBGRADER_EXECUTION"] = old


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.notebooks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="runs per notebook (median is printed)")
    args = parser.parse_args(argv)
    root = course_root()
    paths = sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    empty = nbformat.v4.new_notebook()
    empty.cells.append(nbformat.v4.new_code_cell("pass"))
    empty.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}

    def median(nb, grading):
        return statistics.median(run_once(nb, root / "notebooks", grading) for _ in range(args.repeat))

    run_once(empty, root / "notebooks", False)  # warm-up: first kernel start pays for cold caches
    floor = median(empty, False)
    print(f"empty notebook (kernel start-up floor): {floor:.2f} s  (median of {args.repeat})")
    print(f"{'notebook':<38} {'reading s':>9} {'x floor':>8} {'grading s':>9} {'x floor':>8}")
    tot_read = tot_grade = 0.0
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        read, grade = median(nb, False), median(nb, True)
        tot_read += read
        tot_grade += grade
        print(f"{path.stem:<38} {read:9.2f} {read / floor:8.2f} {grade:9.2f} {grade / floor:8.2f}")
    n = len(paths)
    print(f"{'all ' + str(n) + ' notebooks':<38} {tot_read:9.2f} {tot_read / (n * floor):8.2f} "
          f"{tot_grade:9.2f} {tot_grade / (n * floor):8.2f}   (ratio to {n} empty notebooks; target <= 2)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
