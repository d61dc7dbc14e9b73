"""labcheck: the checks behind the lab's visible and hidden tests.

Course tooling, apart from the reference code (``initlab``). Every check
raises ``AssertionError`` with a message a student can act on: what was
expected, what came, and the likely mistake, without showing the hidden
test's inputs.

Statistical checks are designed so that a correct answer fails with
probability below 1e-5 per graded item (each individual check below 1e-6 or
2e-9, see :mod:`labcheck.distributions`), whatever order or method it uses to
draw its random numbers.
"""

from .core import check_array, check_close, check_dict_keys, check_std, no_delegation
from .distributions import (
    check_normal_sampler,
    check_orthogonal_sampler,
    check_rng_handling,
    check_truncated_normal_sampler,
    check_uniform_sampler,
)
from .spy import count_calls

__all__ = [
    "check_array", "check_close", "check_std", "check_dict_keys", "no_delegation", "check_normal_sampler",
    "check_uniform_sampler", "check_truncated_normal_sampler", "check_orthogonal_sampler",
    "check_rng_handling", "count_calls",
]
