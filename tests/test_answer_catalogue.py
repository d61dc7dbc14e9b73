"""The answer catalogue (issue 5) graded through the notebooks' own hidden tests."""

import pytest

from labgrade.answers import ANSWERS, CORRECT, WRONG
from labgrade.catalogue import report, run_catalogue


def test_catalogue_size():
    assert len(CORRECT) >= 12, "at least 12 correct answers written differently"
    assert len(WRONG) >= 30, "at least 30 wrong answers students actually write"
    assert len({a.id for a in ANSWERS}) == len(ANSWERS)
    for a in WRONG:
        assert a.lose and a.hint, f"{a.id} must name the items it loses and the hint"


@pytest.mark.slow
def test_catalogue_grades_as_expected():
    """Correct answers get full credit; each wrong answer loses exactly its items, with its hint."""
    outcomes = run_catalogue(ANSWERS)
    assert all(o.ok for o in outcomes), "\n" + report(outcomes)
