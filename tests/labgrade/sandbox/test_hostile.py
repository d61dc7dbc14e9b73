"""Issue 6: the hostile catalogue, graded with two honest students in judge isolation.

One grading run (Parts 1 and 2, ``isolation = "judge"``, the default) of every submission
of :mod:`catalogue` plus ``s01_correct`` and ``s03_variance_as_std`` of the sample
class; then, for each hostile submission, the items it cheats on score 0, the
items it does not touch keep their points, and its flags say what was detected;
the honest students score as in tests/helpers/sample_expectations.py; source/,
the other submissions and the report are unchanged by the students' code; no
process a submission started is left; the run stays within its limits.
"""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from helpers import hostile_catalogue as catalogue
from helpers.sample_expectations import ALL, LOST
from labgrade.course.build import generate_release
from labgrade.course.config import load_settings
from labgrade.course.paths import ASSIGNMENT
from labgrade.grading.gradebook import default_db_url
from labgrade.grading.runner import course_workspace
from labgrade.pipeline import run
from labgrade.sandbox.isolation import student_flags
from labgrade.variants.mutations import STUDENTS
from labgrade.variants.sample import build_class, complete_notebook

HONEST = ("s01_correct", "s03_variance_as_std")
LIB = Path(catalogue.__file__).resolve().parents[2] / "lib"
MARKER = Path("/tmp/labgrade-owned-marker")
LIMITS = {"cell_timeout": 30, "student_timeout": 300}

# no skip without bubblewrap: .ci/run installs it, and the catalogue must run in CI, not be skipped
pytestmark = pytest.mark.slow


def _digest(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _sleepers() -> list:
    found = []
    for p in psutil.process_iter(["cmdline"]):
        if (p.info["cmdline"] or [])[:2] == ["sleep", "600"]:
            found.append(p)
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    import os

    workdir = tmp_path_factory.mktemp("hostile")
    ws = course_workspace(workdir, ["01", "02"])
    release = workdir / ".grading" / "release"
    generate_release(ws.root, release)
    build_class(release, ws.submitted, students=[s for s in STUDENTS if s.id in HONEST], root=ws.root)
    src = ws.root / "source" / ASSIGNMENT
    complete = {}
    for nb in catalogue.NOTEBOOKS:
        complete[nb] = complete_notebook(nbformat.read(release / ASSIGNMENT / f"{nb}.ipynb", as_version=4),
                                         nbformat.read(src / f"{nb}.ipynb", as_version=4), nb)
    url = default_db_url(ws.workdir)
    ctx = {"source": str(ws.root.resolve() / "source"), "gradebook": str(ws.workdir / "gradebook.db"),
           "submitted": str(ws.submitted), "workdir": str(ws.workdir), "lib": str(LIB), "venv": sys.prefix}
    for sid, nbs in catalogue.build(complete, ctx).items():
        dest = ws.submission(sid)
        dest.mkdir(parents=True)
        for name, nb in nbs.items():
            if isinstance(nb, str):
                (dest / name).write_text(nb)
            else:
                nbformat.write(nb, dest / f"{name}.ipynb")
        (dest / "timestamp.txt").write_text("2026-12-01 12:00:00.000000 UTC\n")
    roster = list(HONEST) + [h.id for h in catalogue.CATALOGUE]
    before_source = _digest(Path(os.path.realpath(ws.root / "source" / ASSIGNMENT / f"{catalogue.NB01}.ipynb")).parent)
    before_subs = _digest(ws.submitted)
    settings = load_settings().with_overrides(**LIMITS, isolation="judge")
    before_lib = _digest(LIB)
    MARKER.unlink(missing_ok=True)
    old = os.environ.get("LABGRADE_WORKER_MEMORY_MB")
    os.environ["LABGRADE_WORKER_MEMORY_MB"] = "768"      # x25 fills its /tmp: the worker's limit, kept small
    t0 = time.monotonic()
    try:
        result = run(ws, url, roster, settings, jobs=2, feedback=True, report=True, quiet=True,
                     resettable=set(roster))
    finally:
        if old is None:
            os.environ.pop("LABGRADE_WORKER_MEMORY_MB", None)
        else:
            os.environ["LABGRADE_WORKER_MEMORY_MB"] = old
    seconds = time.monotonic() - t0
    points = {(r.student, r.notebook, r.grade_id): (r.points, r.max_points) for r in result["rows"]}
    flags = {s: student_flags(ws.autograded_dir(s), ws.flags_dir(s)) for s in roster}
    return {"ws": ws, "points": points, "flags": flags, "result": result, "seconds": seconds, "before_lib": before_lib,
            "settings": settings, "before_source": before_source, "before_subs": before_subs,
            "source_dir": Path(os.path.realpath(ws.root / "source" / ASSIGNMENT / f"{catalogue.NB01}.ipynb")).parent}


@pytest.mark.parametrize("h", catalogue.CATALOGUE, ids=lambda h: h.id)
def test_hostile_submission(graded, h):
    points, flags = graded["points"], graded["flags"]
    for nb, gid in h.zero:
        got, _ = points[(h.id, nb, gid)]
        assert got == 0, f"{h.id} ({h.what}) scored {got} on {gid}"
    for nb, gid in h.full:
        got, full = points[(h.id, nb, gid)]
        assert got == full, f"{h.id} ({h.what}): the untouched item {gid} scored {got} of {full}"
    states = graded["result"]["runs"][h.id].notebooks
    for nb in catalogue.NOTEBOOKS:
        if states.get(nb) == "missing" and nb not in h.failed and all(nb != n for n, _ in (*h.zero, *h.full)):
            continue            # not part of this case's submission
        want = "failed" if nb in h.failed else "ok"
        assert states[nb] == want, f"{h.id} ({h.what}): {nb} is {states[nb]!r}, expected {want!r}"
    text = "\n".join(f for fl in flags[h.id].values() for f in fl)
    for want in h.flags:
        assert want in text, f"{h.id} ({h.what}) was not flagged with {want!r}; flags: {text!r}"


def test_catalogue_is_large_enough():
    assert len(catalogue.CATALOGUE) >= 15
    assert len({h.id for h in catalogue.CATALOGUE}) == len(catalogue.CATALOGUE)


def test_honest_students_grade_as_without_isolation(graded):
    points = graded["points"]
    for sid in HONEST:
        lost = LOST[sid]
        for (student, nb, gid), (got, full) in points.items():
            if student != sid or gid.startswith("answer_"):
                continue
            want_zero = lost.get(nb) == ALL or gid in lost.get(nb, [])
            assert got == (0 if want_zero else full), f"{sid} {nb}:{gid} scored {got} of {full}"
        assert not any(graded["flags"][sid].values()), graded["flags"][sid]


def test_nothing_outside_the_sandbox_changed(graded):
    assert _digest(LIB) == graded["before_lib"], "a submission changed lib/ (the judge's own code)"
    assert not MARKER.exists(), "a file sent with a submission was imported outside the sandbox"
    assert _digest(graded["source_dir"]) == graded["before_source"]
    assert _digest(graded["ws"].submitted) == graded["before_subs"]
    grades_csv = (graded["ws"].reports / "grades.csv").read_text()
    assert "owned" not in grades_csv
    import sqlite3

    db = sqlite3.connect(graded["ws"].workdir / "gradebook.db")
    try:
        assert db.execute("select count(*) from grade where manual_score = 99").fetchone()[0] == 0
    finally:
        db.close()


def test_no_process_left_and_time_bounded(graded):
    assert not _sleepers(), "processes started by a submission outlived grading"
    runs = graded["result"]["runs"]
    s = graded["settings"]
    for sid, r in runs.items():
        assert r.seconds <= s.student_timeout + 30, (sid, r.seconds)


def test_flags_in_grades_csv_and_report(graded):
    import csv

    reports = graded["ws"].reports
    rows = list(csv.DictReader(open(reports / "grades.csv", newline="")))
    flagged = {r["student"] for r in rows if r["flags"]}
    want = {h.id for h in catalogue.CATALOGUE if h.flags}
    assert want <= flagged and not flagged & set(HONEST), (want - flagged, flagged & set(HONEST))
    html = (reports / "item_analysis.html").read_text()
    assert "Flagged submissions" in html
    for h in catalogue.CATALOGUE:
        if h.flags:
            assert h.id in html
    students = {r["student"]: r["message"] for r in csv.DictReader(open(reports / "students.csv", newline=""))}
    assert all("flagged in" in students[h.id] for h in catalogue.CATALOGUE if h.flags)
    assert not any("flagged in" in students[s] for s in HONEST)


def _outputs_text(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "\n".join(_cell_text(cell) for cell in nb.cells)


def _cell_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        parts.append(str(out.get("text", "")) + str(out.get("evalue", "")) + "\n".join(out.get("traceback", [])))
        parts.append(str(out.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


def _hidden_lines() -> set[str]:
    from labgrade.sandbox.judge import hidden_line_numbers

    found = set()
    for path in sorted((LIB.parent / "source" / ASSIGNMENT).glob("0[12]_*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            lines = cell.source.splitlines()
            for i in hidden_line_numbers(cell.source):
                text = lines[i - 1].strip()
                if len(text) > 30 and "HIDDEN TESTS" not in text:
                    found.add(text)
    return found


def test_no_hidden_test_text_reaches_a_student(graded):
    """Neither the autograded notebooks nor the feedback of any student show a line of the hidden tests."""
    hidden = _hidden_lines()
    assert hidden, "the hidden tests of Parts 1 and 2 have lines to look for"
    ws = graded["ws"]
    for sid in graded["flags"]:
        for path in sorted(ws.autograded_dir(sid).glob("*.ipynb")):
            leaked = [h for h in hidden if h in _outputs_text(path)]
            assert not leaked, f"{sid} {path.name} shows hidden-test lines: {leaked[:3]}"
        for path in sorted((ws.workdir / "feedback" / sid).rglob("*.html")):
            html = path.read_text(errors="replace")
            leaked = [h for h in hidden if h in html]
            assert not leaked, f"{sid} feedback {path.name} shows hidden-test lines: {leaked[:3]}"


def test_the_probe_sees_only_the_visible_calls(graded):
    """x32 prints its arguments at every call: only the calls of the visible tests are shown."""
    import math

    from labgrade.sandbox.judge import visible_part
    from labgrade.variants.model import find_cell

    src = nbformat.read(LIB.parent / "source" / ASSIGNMENT / f"{catalogue.NB01}.ipynb", as_version=4)
    calls = []

    def counting(method, fan_in, fan_out):
        calls.append((method, fan_in, fan_out))
        table = {"xavier": 2.0 / (fan_in + fan_out), "he": 2.0 / fan_in, "lecun": 1.0 / fan_in}
        if method not in table:
            raise ValueError(method)
        return math.sqrt(table[method])

    ns = {"theoretical_std": counting}
    exec("import numpy as np\nimport initlab\n", ns)
    try:
        exec(visible_part(find_cell(src, "test_theoretical_std").source), ns)
    except Exception:
        pass
    got = nbformat.read(graded["ws"].autograded_dir("x32_probe_hidden_arguments") / f"{catalogue.NB01}.ipynb",
                        as_version=4)
    shown = [line for line in _cell_text(find_cell(got, "test_theoretical_std")).splitlines()
             if line.startswith("PROBE")]
    assert len(shown) == len(calls), (shown, calls)
    assert all(line.endswith("[]") for line in shown), shown       # no In, _ih, Out in the worker
