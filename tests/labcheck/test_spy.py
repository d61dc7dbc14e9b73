"""labcheck.count_calls: the spy behind notebook 08's "no full SVD" test."""

import numpy as np
import pytest

from labcheck import count_calls
from labcheck import spy as spy_module


def test_counts_the_calls_that_do_not_match_unless():
    a = np.arange(12.0).reshape(3, 4)
    with count_calls("numpy.linalg.svd", unless={"compute_uv": False}) as full:
        np.linalg.svd(a, compute_uv=False)
        np.linalg.svd(a, False, False)            # positional: still bound to compute_uv
        assert len(spy_module.ACTIVE) == 1
        np.linalg.svd(a)
        np.linalg.svd(a, full_matrices=False)
    assert full == ["numpy.linalg.svd"] * 2
    assert not spy_module.ACTIVE


def test_restores_the_function_even_after_an_error():
    real = np.linalg.svd
    with pytest.raises(RuntimeError):
        with count_calls("numpy.linalg.svd"):
            assert np.linalg.svd is not real
            raise RuntimeError("boom")
    assert np.linalg.svd is real and not spy_module.ACTIVE


def test_without_unless_every_call_counts_and_results_are_unchanged():
    a = np.diag([3.0, 2.0])
    with count_calls("numpy.linalg.norm") as calls:
        value = np.linalg.norm(a, 2)
    assert calls == ["numpy.linalg.norm"] and value == pytest.approx(3.0)


@pytest.mark.parametrize("target, unless, match", [
    ("svd", None, "dotted name"),
    ("numpy.linalg.no_such_function", None, "has no function"),
    ("numpy.linalg.svd", {"compute_uv": [False]}, "plain values"),
])
def test_bad_arguments_say_what_was_expected(target, unless, match):
    with pytest.raises(ValueError, match=match):
        with count_calls(target, unless=unless):
            pass
