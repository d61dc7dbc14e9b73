"""False-failure and catch rates of the statistical hidden tests, over independent draws.

The published rates are measured over 1,000 draws (``labgrade fairness --draws 1000``,
a few minutes of CPU); `make test` checks the same rows over ``LABGRADE_FAIRNESS_DRAWS`` draws
(200 by default) so that the suite stays within CI's time.
"""

import os

import pytest

from labgrade.fairness.measure import CHECKS, measure


@pytest.mark.slow
@pytest.mark.parametrize("check", sorted(CHECKS))
def test_statistical_check_rates(check):
    draws = int(os.environ.get("LABGRADE_FAIRNESS_DRAWS", "200"))
    rows = [r for r in measure(draws, only=check)]
    for name, sampler, kind, n, fails in rows:
        assert n >= draws
        if kind == "correct":
            assert fails == 0, f"{name}: a correct answer failed {fails} of {n} draws"
        else:
            assert fails == n, f"{name}: the mistake '{sampler}' escaped {n - fails} of {n} draws"
