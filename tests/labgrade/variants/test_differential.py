"""Faithful grading: every answer of the catalogue gets the same points per item with and without
the sandbox, and is graded where the catalogue says (correct answers in full, wrong answers
losing exactly their items, with a message naming the mistake).

The catalogue (:mod:`labgrade.variants.answers`: correct answers written another way, wrong answers
students write, and answers that lean on the notebook around them: names from visible test
cells, an edited import cell, a helper cell, their own exception class, containers that are
not exactly dict/list/float, output, warnings) is packed into a few submissions and graded by
the real pipeline twice (:mod:`labgrade.variants.differential`).
"""

from __future__ import annotations

import pytest

from labgrade.variants.answers import ANSWERS
from labgrade.variants.differential import MODES, grade_both

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def diff(tmp_path_factory):
    return grade_both(ANSWERS, tmp_path_factory.mktemp("differential"), jobs=2)


def test_every_answer_applies_to_the_notebooks(diff):
    assert not diff.broken, diff.broken


def test_the_sandbox_grades_every_item_as_plain_nbgrader(diff):
    assert diff.points["none"], "nothing was graded"
    assert set(diff.points["none"]) == set(diff.points["judge"])
    differences = diff.differences()
    assert not differences, "\n".join(differences)


@pytest.mark.parametrize("mode", MODES)
def test_every_answer_is_graded_where_the_catalogue_says(diff, mode):
    failures = diff.expectation_failures(mode)
    assert not failures, "\n".join(failures)


def test_the_catalogue_covers_every_class_of_difference():
    """Correct answers that use the notebook around them, one per class the sandbox once got wrong."""
    why = " ".join(a.why for a in ANSWERS if a.correct)
    for phrase in ("test cell", "import cell", "helper cell", "ValueError subclass", "OrderedDict",
                   "list subclass", "float subclass", "prints"):
        assert phrase in why, f"no correct answer of the kind {phrase!r} in the catalogue"
    assert any(a.helper for a in ANSWERS) and any(a.imports for a in ANSWERS)
