"""False-failure and catch rates of the statistical hidden tests, over independent draws.

The published rates are measured over 1,000 draws (``labgrade fairness --draws 1000``,
a few minutes of CPU). `make test` checks the same rows with fewer draws so that the suite stays
within CI's time: 200 draws of each correct sampler (``LABGRADE_FAIRNESS_DRAWS``), none of which
may fail, and 50 of each mistaken one (``LABGRADE_FAIRNESS_WRONG_DRAWS``), all of which must fail.
A correct answer failing is what costs a student points, so it gets the most draws; a catch rate
of 95% would still pass 50 draws only 8% of the time.
"""

import os

import pytest

from labgrade.fairness.measure import CHECKS, measure


@pytest.mark.slow
@pytest.mark.parametrize("check", sorted(CHECKS))
def test_statistical_check_rates(check):
    draws = int(os.environ.get("LABGRADE_FAIRNESS_DRAWS", "200"))
    wrong_draws = int(os.environ.get("LABGRADE_FAIRNESS_WRONG_DRAWS", "50"))
    rows = measure(draws, only=check, wrong_draws=wrong_draws)
    assert any(kind == "wrong" for _, _, kind, _, _ in rows), f"{check}: no mistaken sampler is measured"
    for name, sampler, kind, n, fails in rows:
        if kind == "correct":
            assert n >= draws
            assert fails == 0, f"{name}: a correct answer failed {fails} of {n} draws"
        else:
            assert n >= wrong_draws
            assert fails == n, f"{name}: the mistake '{sampler}' escaped {n - fails} of {n} draws"
