"""Per-student time limit and memory limit; nothing is left running."""

from __future__ import annotations

import nbformat
import pytest

from helpers.classes import build_sample, grade
from labgrade.variants.mutations import substitution
from labgrade.variants.sample import apply_mutation

pytestmark = pytest.mark.slow

NB1 = "01_mathematical_foundations"


def test_student_time_limit_kills_autograde_and_kernel(tmp_path, process_marker):
    """A cell timeout longer than the student's limit: the endless loop is stopped by the
    per-student limit; the process group and the kernel (its own session) are killed, the
    student is timed_out, the other student is graded meanwhile.

    The limit leaves the correct student room to finish on a loaded CI machine (its two parts
    took 26 s there, beside the other test workers); the endless loop is killed at the limit."""
    students = ["s01_correct", "s11_endless_loop"]
    ws, _ = build_sample(tmp_path, students, ["01", "02"])
    limit = 60
    res = grade(ws, students, jobs=2, feedback=False, report=False, cell_timeout=600, student_timeout=limit)
    runs = res["runs"]
    assert runs["s11_endless_loop"].killed
    assert limit <= runs["s11_endless_loop"].seconds < limit + 30
    assert not runs["s01_correct"].killed
    summaries = {s.student: s for s in res["summaries"]}
    assert summaries["s11_endless_loop"].status == "timed_out"
    assert summaries["s01_correct"].status == "graded"
    rows = [r for r in res["rows"] if r.student == "s11_endless_loop"]
    assert {r.status for r in rows} == {"timed_out"}   # Part 1 hung; Part 2 never started
    assert all(r.points == 0 for r in rows)
    assert "per-student time limit" in rows[0].message
    assert not (ws.autograded_dir("s11_endless_loop") / f"{NB1}.ipynb").exists()
    assert not process_marker(), "a grading process or kernel survived the kill"


def test_memory_limit(tmp_path, process_marker):
    """A cell that allocates more than the limit gets a MemoryError; grading goes on."""
    students = ["s01_correct"]
    ws, _ = build_sample(tmp_path, students, ["01"])
    path = ws.submission("s01_correct") / f"{NB1}.ipynb"
    nb = nbformat.read(path, as_version=4)
    apply_mutation(nb, substitution("hog", NB1, "uniform_bound", "def uniform_bound(method, fan_in, fan_out):",
                                "_hog = np.ones(3 * 2**30 // 8)  # 3 GiB\n\n\n"
                                "def uniform_bound(method, fan_in, fan_out):"))
    nbformat.write(nb, path)
    res = grade(ws, students, jobs=1, feedback=False, report=False, memory_mb=2048)
    rows = {r.grade_id: r for r in res["rows"]}
    assert rows["test_theoretical_std"].points == 3
    assert rows["test_uniform_bound"].points == 0
    assert "NameError" in rows["test_uniform_bound"].message    # the cell died before the def
    out = nbformat.read(ws.autograded_dir("s01_correct") / f"{NB1}.ipynb", as_version=4)
    errors = [o.ename for c in out.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert "MemoryError" in errors
    assert not process_marker()
