"""Re-grading is idempotent, and keeps the manual grades entered in formgrader."""

from __future__ import annotations

import pytest

from helpers.classes import build_sample, grade
from labgrade.course.paths import ASSIGNMENT
from labgrade.grading.gradebook import open_gradebook

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
            out[("submission", sub.student.id)] = sub.timestamp
            for nb in sub.notebooks:
                for g in nb.grades:
                    out[(sub.student.id, nb.name, g.name)] = (
                        g.auto_score, g.manual_score, g.needs_manual_grade, float(g.score))
                for c in nb.comments:
                    out[(sub.student.id, nb.name, c.name, "comment")] = (c.auto_comment, c.manual_comment)
    return out


def test_regrading_is_idempotent_and_keeps_manual_grades(tmp_path):
    """Grade; a grader enters manual scores and comments (what formgrader does, through the
    Gradebook API); grade again: the gradebook is the same, manual grades included."""
    ws, _ = build_sample(tmp_path, STUDENTS, NOTEBOOKS)
    first = grade(ws, STUDENTS, jobs=2, report=False)
    url = first["url"]
    rows_first = {(r.student, r.notebook, r.grade_id): r for r in first["rows"]}

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

    second = grade(ws, STUDENTS, jobs=2, report=False)
    after = snapshot(url)
    with open_gradebook(url) as gb:
        g = gb.find_grade("answer_zero_init", nb1, ASSIGNMENT, "s01_correct")
        assert g.manual_score == 1.5 and float(g.score) == 1.5
        c = gb.find_comment("answer_zero_init", nb1, ASSIGNMENT, "s01_correct")
        assert c.manual_comment == "Symmetry: yes. Constant case: missing."
        o = gb.find_grade("test_theoretical_std", nb1, ASSIGNMENT, "s05_original_lab")
        assert o.manual_score == 1.0 and o.auto_score == 0.0 and float(o.score) == 1.0
    # everything else is identical; nbgrader flags a cell with a manual score for review again
    assert set(after) == set(graded_by_hand)
    changed = {k for k in after if after[k] != graded_by_hand[k]}
    assert changed <= {("s01_correct", nb1, "answer_zero_init"), ("s05_original_lab", nb1, "test_theoretical_std")}
    for k in changed:
        assert after[k][:2] == graded_by_hand[k][:2] and after[k][3] == graded_by_hand[k][3]

    rows = {(r.student, r.notebook, r.grade_id): r for r in second["rows"]}
    assert rows[("s01_correct", nb1, "answer_zero_init")].points == 1.5
    assert rows[("s05_original_lab", nb1, "test_theoretical_std")].points == 1.0
    for key, row in rows.items():     # grades.csv: only the hand-graded rows differ
        if key not in {("s01_correct", nb1, "answer_zero_init"), ("s05_original_lab", nb1, "test_theoretical_std")}:
            assert (row.points, row.status, row.message) == \
                (rows_first[key].points, rows_first[key].status, rows_first[key].message), key
    # the broken notebook stays failed and at 0 on every run
    assert rows[("s12_kernel_dies", nb1, "test_theoretical_std")].status == "failed"
    assert rows[("s12_kernel_dies", nb1, "test_theoretical_std")].points == 0
