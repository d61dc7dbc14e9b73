"""The answer catalogue: its shape. How each answer is graded (in full, or losing exactly its items
with its hint, in both grading modes) is tests/labgrade/variants/test_differential.py, which grades the whole
catalogue through the real pipeline with and without the sandbox."""

import nbformat

from labgrade.variants.answers import ANSWERS, CORRECT, WRONG
from labgrade.variants.catalogue import apply_answer, apply_cells, pack, source_path


def test_catalogue_size():
    assert len(CORRECT) >= 12, "at least 12 correct answers written differently"
    assert len(WRONG) >= 30, "at least 30 wrong answers students actually write"
    assert len({a.id for a in ANSWERS}) == len(ANSWERS)
    for a in WRONG:
        assert a.lose and a.hint, f"{a.id} must name the items it loses and the hint"


def test_every_answer_applies_to_its_notebook():
    for a in ANSWERS:
        nb = nbformat.read(source_path(a.notebook), as_version=4)
        apply_cells(apply_answer(nb, a), a)
        nbformat.validate(nb)


def test_packing_keeps_answers_apart():
    groups = pack(ANSWERS)
    assert sorted(a.id for g in groups for a in g) == sorted(a.id for a in ANSWERS)
    for g in groups:
        slots = [(a.notebook, a.grade_id) for a in g]
        assert len(slots) == len(set(slots))
        wrong = [a for a in g if not a.correct]
        for i, a in enumerate(wrong):
            for b in wrong[i + 1:]:
                if a.notebook == b.notebook:
                    assert not {a.grade_id, *a.lose} & {b.grade_id, *b.lose}, (a.id, b.id)


def test_no_correct_answer_is_flagged_by_the_judges_reading_of_the_source(tmp_path):
    """The judge's source check (calls of the reference, dynamic code) flags none of the honest answers."""
    from pathlib import Path

    from labgrade.course.paths import ASSIGNMENT, course_root
    from labgrade.sandbox.isolation import submission_source_flags
    from labgrade.variants.catalogue import build_submissions

    root = course_root()
    made = build_submissions([a for a in ANSWERS if a.correct], root / "release" / ASSIGNMENT,
                             root / "source" / ASSIGNMENT, tmp_path)
    assert made.pop(None, []) == []
    for sid in made:
        for path in sorted((tmp_path / sid / ASSIGNMENT).glob("*.ipynb")):
            source = nbformat.read(root / "source" / ASSIGNMENT / path.name, as_version=4)
            flags = submission_source_flags(nbformat.read(path, as_version=4), source)
            assert flags == [], (sid, Path(path).name, flags)
