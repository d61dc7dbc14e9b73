"""Issue 6: the hostile catalogue, graded with two honest students in judge isolation.

One grading run (Parts 1 and 2, ``isolation = "judge"``, the default) of every submission
of :mod:`catalogue` plus ``s01_correct`` and ``s03_variance_as_std`` of the sample
class; then, for each hostile submission, the items it cheats on score 0, the
items it does not touch keep their points, and its flags say what was detected;
the honest students score as in tests/grading/sample_expectations.py; source/,
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

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "grading"))

import catalogue  # noqa: E402
from sample_expectations import ALL, LOST  # noqa: E402

from labgrade import ASSIGNMENT  # noqa: E402
from labgrade.build import generate_release  # noqa: E402
from labgrade.cli import run  # noqa: E402
from labgrade.config import load_settings  # noqa: E402
from labgrade.gradebook import default_db_url  # noqa: E402
from labgrade.isolation import student_flags  # noqa: E402
from labgrade.mutations import STUDENTS  # noqa: E402
from labgrade.runner import course_workspace  # noqa: E402
from labgrade.sample import build_class, complete_notebook  # noqa: E402

HONEST = ("s01_correct", "s03_variance_as_std")
LIMITS = {"cell_timeout": 20, "student_timeout": 300}

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
           "submitted": str(ws.submitted), "workdir": str(ws.workdir)}
    for sid, nbs in catalogue.build(complete, ctx).items():
        dest = ws.submission(sid)
        dest.mkdir(parents=True)
        for name, nb in nbs.items():
            nbformat.write(nb, dest / f"{name}.ipynb")
        (dest / "timestamp.txt").write_text("2026-12-01 12:00:00.000000 UTC\n")
    roster = list(HONEST) + [h.id for h in catalogue.CATALOGUE]
    before_source = _digest(Path(os.path.realpath(ws.root / "source" / ASSIGNMENT / f"{catalogue.NB01}.ipynb")).parent)
    before_subs = _digest(ws.submitted)
    settings = load_settings().with_overrides(**LIMITS, isolation="judge")
    t0 = time.monotonic()
    result = run(ws, url, roster, settings, jobs=2, feedback=False, report=True, quiet=True,
                 resettable=set(roster))
    seconds = time.monotonic() - t0
    points = {(r.student, r.notebook, r.grade_id): (r.points, r.max_points) for r in result["rows"]}
    flags = {s: student_flags(ws.autograded_dir(s), ws.flags_dir(s)) for s in roster}
    return {"ws": ws, "points": points, "flags": flags, "result": result, "seconds": seconds,
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
    assert flagged == {h.id for h in catalogue.CATALOGUE}, flagged ^ {h.id for h in catalogue.CATALOGUE}
    html = (reports / "item_analysis.html").read_text()
    assert "Flagged submissions" in html
    for h in catalogue.CATALOGUE:
        assert f"<b>{h.id}</b>" in html
    students = {r["student"]: r["message"] for r in csv.DictReader(open(reports / "students.csv", newline=""))}
    assert all("flagged in" in students[h.id] for h in catalogue.CATALOGUE)
    assert not any("flagged in" in students[s] for s in HONEST)
