"""End to end: the sample class graded once per session (labgrade demo, 2 parallel workers), many checks.

The expected score of every student and item is in sample_expectations.py.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict

import nbformat
import pytest
from nbgrader.api import MissingEntry

from helpers.sample_expectations import (
    LOST,
    MESSAGES,
    STUDENT_STATUS,
    expected_points,
    expected_status,
    graded_items,
)
from labgrade.cli import main
from labgrade.course.paths import ASSIGNMENT
from labgrade.grading.gradebook import open_gradebook

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded(sample_class_run):
    """`labgrade demo` into a temporary course folder, SQLite gradebook, 2 jobs (graded once per
    session: conftest's ``sample_class_run``, shared with the Dask test)."""
    from labgrade.grading.runner import course_workspace

    ws = course_workspace(sample_class_run["workdir"])
    return {**sample_class_run, "ws": ws, "items": graded_items(ws.root / "source" / ASSIGNMENT)}


def test_every_student_is_reported(graded):
    assert set(graded["students"]) == set(LOST)
    per_student = defaultdict(int)
    for r in graded["rows"]:
        per_student[r["student"]] += 1
    assert set(per_student.values()) == {len(graded["items"])}, "one row per student and item"


def test_expected_scores_in_grades_csv(graded):
    got = {(r["student"], r["notebook"], r["grade_id"]): float(r["points"]) for r in graded["rows"]}
    maxima = {(r["notebook"], r["grade_id"]): float(r["max_points"]) for r in graded["rows"]}
    wrong = []
    for student in LOST:
        for (nb, gid), want in expected_points(student, graded["items"]).items():
            if got[(student, nb, gid)] != want:
                wrong.append(f"{student} {nb}:{gid} got {got[(student, nb, gid)]}, expected {want}")
    assert not wrong, "\n".join(wrong)
    for nb, gid, points, _ in graded["items"]:
        assert maxima[(nb, gid)] == points


def test_expected_scores_in_gradebook(graded):
    """nbgrader's own gradebook holds the same scores (what formgrader and nbgrader export show)."""
    with open_gradebook(graded["url"]) as gb:
        for student in LOST:
            want = expected_points(student, graded["items"])
            if student == "s14_no_submission":
                with pytest.raises(MissingEntry):
                    gb.find_submission(ASSIGNMENT, student)
                continue
            sub = gb.find_submission(ASSIGNMENT, student)
            got = {(nb.name, g.name): float(g.score) for nb in sub.notebooks for g in nb.grades}
            assert got == want, student
            assert float(sub.score) == sum(want.values())


def test_totals(graded):
    s = graded["students"]
    total = sum(p for _, _, p, _ in graded["items"])
    manual = sum(p for _, _, p, k in graded["items"] if k == "manual")
    assert float(s["s01_correct"]["points"]) == total - manual
    assert float(s["s01_correct"]["max_points"]) == total
    assert float(s["s02_untouched"]["points"]) == 0
    assert float(s["s14_no_submission"]["points"]) == 0


def test_student_statuses(graded):
    got = {k: v["status"] for k, v in graded["students"].items()}
    assert got == STUDENT_STATUS
    assert float(graded["students"]["s09_late"]["seconds_late"]) > 0
    assert float(graded["students"]["s01_correct"]["seconds_late"]) == 0


def test_row_statuses(graded):
    wrong = [(r["student"], r["notebook"], r["status"]) for r in graded["rows"]
             if r["status"] != expected_status(r["student"], r["notebook"])]
    assert not wrong, wrong[:10]


def test_messages(graded):
    by_key = {(r["student"], r["notebook"], r["grade_id"]): r["message"] for r in graded["rows"]}
    for key, piece in MESSAGES.items():
        assert piece in by_key[key], (key, by_key[key])
    for r in graded["rows"]:
        kind = "manual" if r["grade_id"].startswith("answer_") else "auto"
        if kind == "auto" and float(r["points"]) < float(r["max_points"]):
            assert r["message"], f"lost item without a message: {r}"
        if kind == "auto" and float(r["points"]) == float(r["max_points"]):
            assert r["message"] == ""
        if kind == "manual" and r["status"] in ("graded", "late"):
            assert "manual grading pending" in r["message"]


def test_broken_submissions_do_not_stop_the_others(graded):
    """The kernel death and the corrupt notebook cost their own notebook only, and every
    other student was graded."""
    rows = graded["rows"]
    for student in ("s12_kernel_dies", "s13_corrupt_notebook"):
        others = [r for r in rows if r["student"] == student and not r["notebook"].startswith("01")]
        assert others and all(r["status"] == "graded" for r in others)
        auto = [r for r in others if not r["grade_id"].startswith("answer_")]
        assert all(float(r["points"]) == float(r["max_points"]) for r in auto)
    ws = graded["ws"]
    for student in STUDENT_STATUS:
        if student != "s14_no_submission":
            assert (ws.autograded / student / ASSIGNMENT).is_dir(), student


def test_autograded_notebooks_keep_hidden_tests_and_outputs(graded):
    """autograded/ is the instructor's copy: nbgrader's, untouched (hidden tests, outputs)."""
    path = graded["ws"].autograded / "s05_original_lab" / ASSIGNMENT / "01_mathematical_foundations.ipynb"
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "### BEGIN HIDDEN TESTS" in text
    assert any(o.get("output_type") == "error" for c in nb.cells if c.cell_type == "code" for o in c.outputs)


HIDDEN_SNIPPETS = [
    # lines that only occur inside hidden test regions of the source notebooks
    "for fan_in, fan_out in [(300, 100), (7, 50), (1, 1), (4096, 1000)]:",
    "def _check_layer(Z, A, label):",
    'theoretical_std("kaiming", 10, 10)',
]


def _feedback_files(graded):
    return sorted((graded["ws"].feedback).glob(f"*/{ASSIGNMENT}/*.html"))


def test_feedback_for_each_graded_student(graded):
    fb = graded["ws"].feedback
    for student in STUDENT_STATUS:
        htmls = list((fb / student / ASSIGNMENT).glob("*.html"))
        if student == "s14_no_submission":
            assert not htmls
        elif student == "s10_missing_notebook":
            assert htmls and "04_activation_statistics.html" not in {p.name for p in htmls}
        else:
            assert htmls, student


def test_feedback_hides_hidden_tests(graded):
    files = _feedback_files(graded)
    assert files
    for path in files:
        text = path.read_text()
        assert "BEGIN HIDDEN TESTS" not in text, path
        assert "END HIDDEN TESTS" not in text, path
        plain = re.sub(r"<[^>]+>", "", text).replace("&quot;", '"').replace("&#x27;", "'").replace("&amp;", "&")
        for snippet in HIDDEN_SNIPPETS:
            assert snippet not in plain, (path, snippet)


def test_feedback_shows_scores_and_failures(graded):
    fb = graded["ws"].feedback / "s05_original_lab" / ASSIGNMENT / "01_mathematical_foundations.html"
    text = fb.read_text()
    plain = re.sub(r"<[^>]+>", "", text).replace("&#x27;", "'")
    assert "test_theoretical_std" in text
    assert "AssertionError" in plain
    assert "theoretical_std('xavier', 128, 64)" in plain       # the failure message
    assert "hidden tests: not shown" in plain
    assert re.search(r"Score:\s*3(\.0)?\s*/\s*8", plain), "the notebook score"
    # the visible part of the test stays
    assert 'check_close(theoretical_std("he", 128, 64), 0.125' in plain.replace("&quot;", '"')


def test_report_sections(graded):
    path = graded["workdir"] / "reports" / "item_analysis.html"
    html = path.read_text()
    for section in ("distribution", "items", "failures", "discrimination"):
        assert f'id="{section}"' in html
    assert html.count("data:image/png;base64,") >= 3
    assert "<script" not in html and 'src="http' not in html     # self-contained
    assert "test_theoretical_std" in html
    # the most frequent failure of Part 1's first test (NotImplementedError of the untouched release)
    assert "NotImplementedError" in html


def test_no_process_left(graded):
    import psutil

    me = psutil.Process()
    assert not [p for p in me.children(recursive=True) if p.status() != psutil.STATUS_ZOMBIE]


def test_report_command_after_manual_grading(graded, capsys):
    """`labgrade report` re-reads the gradebook: a manual grade entered (formgrader) shows up,
    in grades.csv and in the printed grade table."""
    with open_gradebook(graded["url"]) as gb:
        g = gb.find_grade("answer_zero_init", "01_mathematical_foundations", ASSIGNMENT, "s01_correct")
        g.manual_score = 2.0
        gb.db.commit()
    capsys.readouterr()
    assert main(["report", "--course-dir", str(graded["workdir"]), "--db-url", graded["url"]]) == 0
    table = capsys.readouterr().out
    total = sum(p for _, _, p, _ in graded["items"])
    manual = sum(p for _, _, p, k in graded["items"] if k == "manual")
    line = next(ln for ln in table.splitlines() if ln.startswith("s01_correct"))
    assert f"{total - manual + 2:g}/{total:g}" in line and line.rstrip().endswith("graded")
    line = next(ln for ln in table.splitlines() if ln.startswith("s12_kernel_dies"))
    assert line.rstrip().endswith("failed") and " F " in line
    rows = list(csv.DictReader(open(graded["workdir"] / "reports" / "grades.csv", newline="")))
    row = next(r for r in rows if r["student"] == "s01_correct" and r["grade_id"] == "answer_zero_init")
    assert float(row["points"]) == 2.0 and row["message"] == "graded by hand"
    with open_gradebook(graded["url"]) as gb:   # leave the fixture as it was
        g = gb.find_grade("answer_zero_init", "01_mathematical_foundations", ASSIGNMENT, "s01_correct")
        g.manual_score = None
        gb.db.commit()


def test_graded_in_the_sandbox_by_default(graded):
    """course.toml's default isolation (judge) graded the class; s12's dead process and s11's loop are flagged."""
    ws = graded["ws"]
    for path in sorted(ws.autograded_dir("s01_correct").glob("*.ipynb")):
        meta = nbformat.read(path, as_version=4).metadata.get("labgrade", {})
        assert meta.get("isolation") == "judge", f"{path.name} was not graded in the sandbox"
    flags = {(r["student"], r["notebook"]): r["flags"] for r in graded["rows"] if r["flags"]}
    assert not any(student == "s01_correct" for student, _ in flags), flags
    assert flags[("s12_kernel_dies", "01_mathematical_foundations")].startswith("died:"), flags
    assert "timeout" in flags[("s11_endless_loop", "01_mathematical_foundations")], flags
