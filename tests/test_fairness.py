"""False-failure and catch rates of the statistical hidden tests (issue 5), over 1,000 draws."""

import pytest

from labgrade.fairness import CHECKS, measure


@pytest.mark.slow
@pytest.mark.parametrize("check", sorted(CHECKS))
def test_statistical_check_rates(check):
    rows = [r for r in measure(1000, only=check)]
    for name, sampler, kind, n, fails in rows:
        assert n >= 1000
        if kind == "correct":
            assert fails == 0, f"{name}: a correct answer failed {fails} of {n} draws"
        else:
            assert fails == n, f"{name}: the mistake '{sampler}' escaped {n - fails} of {n} draws"
