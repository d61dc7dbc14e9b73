"""Re-grading is idempotent, and keeps the manual grades entered in formgrader."""

from __future__ import annotations

import pytest
from conftest import build_sample, grade

from labgrade import ASSIGNMENT
from labgrade.gradebook import open_gradebook

pytestmark = pytest.mark.slow

STUDENTS = ["s01_correct", "s05_original_lab", "s12_kernel_dies", "s14_no_submission"]
NOTEBOOKS = ["01", "04"]


def snapshot(url):
    """Everything grading writes in nbgrader's gradebook, as plain data."""
    out = {}
    with open_gradebook(url) as gb:
        a = gb.find_assignment(ASSIGNMENT)
        out["assignment"] = (a.name, a.duedate, sorted(nb.name for nb in a.notebooks))
        out["students"] = sorted(s.id for s in gb.students)
        for sub in a.submissions:
            out[("submission", sub.student.id)] = (sub.timestamp, float(sub.score))
            for nb in sub.notebooks:
                for g in nb.grades:
                    out[(sub.student.id, nb.name, g.name)] = (
                        g.auto_score, g.manual_score, g.needs_manual_grade, float(g.score))
                for c in nb.comments:
                    out[(sub.student.id, nb.name, c.name, "comment")] = (c.auto_comment, c.manual_comment)
    return out


def test_regrading_is_idempotent_and_keeps_manual_grades(tmp_path):
    ws, _ = build_sample(tmp_path, STUDENTS, NOTEBOOKS)
    first = grade(ws, STUDENTS, jobs=2, report=False)
    url = first["url"]
    before = snapshot(url)
    csv_before = (ws.reports / "grades.csv").read_text()

    second = grade(ws, STUDENTS, jobs=2, report=False)
    assert snapshot(url) == before, "grading twice changed the gradebook"
    assert (ws.reports / "grades.csv").read_text() == csv_before

    # a grader enters manual scores and comments (what formgrader does, through the Gradebook API)
    nb1 = "01_mathematical_foundations"
    with open_gradebook(url) as gb:
        g = gb.find_grade("answer_zero_init", nb1, ASSIGNMENT, "s01_correct")
        g.manual_score = 1.5
        g.needs_manual_grade = False
        c = gb.find_comment("answer_zero_init", nb1, ASSIGNMENT, "s01_correct")
        c.manual_comment = "Symmetry: yes. Constant case: missing."
        override = gb.find_grade("test_theoretical_std", nb1, ASSIGNMENT, "s05_original_lab")
        override.manual_score = 1.0          # partial credit over the autograder's 0
        gb.db.commit()
    graded_by_hand = snapshot(url)

    third = grade(ws, STUDENTS, jobs=2, report=False)
    after = snapshot(url)
    with open_gradebook(url) as gb:
        g = gb.find_grade("answer_zero_init", nb1, ASSIGNMENT, "s01_correct")
        assert g.manual_score == 1.5 and float(g.score) == 1.5
        c = gb.find_comment("answer_zero_init", nb1, ASSIGNMENT, "s01_correct")
        assert c.manual_comment == "Symmetry: yes. Constant case: missing."
        o = gb.find_grade("test_theoretical_std", nb1, ASSIGNMENT, "s05_original_lab")
        assert o.manual_score == 1.0 and o.auto_score == 0.0 and float(o.score) == 1.0
    # nbgrader flags an autograded cell with a manual score for review again: the only change
    changed = {k for k in after if after[k] != graded_by_hand[k]}
    assert changed <= {("s01_correct", nb1, "answer_zero_init"), ("s05_original_lab", nb1, "test_theoretical_std")}
    for k in changed:
        assert after[k][:2] == graded_by_hand[k][:2] and after[k][3] == graded_by_hand[k][3]

    rows = {(r.student, r.grade_id): r for r in third["rows"]}
    assert rows[("s01_correct", "answer_zero_init")].points == 1.5
    assert rows[("s05_original_lab", "test_theoretical_std")].points == 1.0
    # the broken notebook stays failed and at 0 on every run
    assert rows[("s12_kernel_dies", "test_theoretical_std")].status == "failed"
    assert rows[("s12_kernel_dies", "test_theoretical_std")].points == 0
    assert second["seconds"] > 0
