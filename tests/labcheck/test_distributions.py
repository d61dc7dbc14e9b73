"""The tail test of normal samplers and the Haar test of orthogonal ones (wrong samplers with the right std).

Fast checks at a few fixed seeds; the false-failure and catch rates over 1,000
draws are measured by ``labgrade fairness`` (tests/labgrade/fairness/test_fairness.py).
"""

import math

import numpy as np
import pytest

from initlab import WeightInitializer as WI
from labcheck import check_normal_sampler, check_orthogonal_sampler
from labcheck.distributions import _check_normal_tails, haar_statistics
from labgrade.fairness.measure import _orth_qr_of as _qr_of
from labgrade.fairness.measure import _truncated

SHAPE, STD = (40, 360), math.sqrt(2 / 360)


def _svd_original(shape, rng):
    gen = np.random.default_rng(rng)
    u, _, v = np.linalg.svd(gen.standard_normal(shape), full_matrices=False)
    return u if u.shape == tuple(shape) else v


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_normal_sampler_passes_a_plain_normal(seed):
    check_normal_sampler(lambda s, rng: WI.he_normal(s, rng=rng), SHAPE, STD, seed=seed, name="he_normal")


def test_tail_test_catches_a_keras_truncated_normal():
    sampler = _truncated(STD / 0.87962566103423978, 2.0)    # same std as the target, no tails
    for seed in range(5):                # the KS test alone lets about half of the draws through
        with pytest.raises(AssertionError, match="not normally distributed|no tails"):
            check_normal_sampler(sampler, SHAPE, STD, seed=seed, name="he_normal")
        with pytest.raises(AssertionError, match="no tails"):
            _check_normal_tails(sampler(SHAPE, seed), STD, "he_normal")


def test_tail_test_catches_a_normal_truncated_at_three_std():
    with pytest.raises(AssertionError, match="beyond 3 standard deviations"):
        check_normal_sampler(_truncated(STD / 0.9865783925581086, 3.0), SHAPE, STD, seed=0, name="he_normal")


@pytest.mark.parametrize("shape", [(30, 50), (50, 30), (40, 40), (8, 4, 3, 3), (72, 2, 3, 3)])
def test_haar_test_passes_the_reference(shape):
    check_orthogonal_sampler(lambda s, rng: WI.orthogonal(s, rng=rng), shape, seed=7, name="orthogonal")


@pytest.mark.parametrize("shape", [(30, 50), (50, 30), (40, 40)])
def test_haar_test_catches_qr_of_a_uniform_matrix(shape):
    with pytest.raises(AssertionError, match="not uniformly distributed directions"):
        check_orthogonal_sampler(_qr_of(lambda g, s: g.uniform(-1, 1, s)), shape, seed=7, name="orthogonal")


def test_original_svd_initializer_is_haar_only_when_wide():
    check_orthogonal_sampler(_svd_original, (30, 50), seed=7, name="orthogonal")
    for shape in [(40, 40), (50, 30)]:
        with pytest.raises(AssertionError, match="Haar"):
            check_orthogonal_sampler(_svd_original, shape, seed=7, name="orthogonal")


def test_haar_statistics_of_a_wide_matrix():
    W = WI.orthogonal((4, 6), rng=0)
    T = haar_statistics([W, 2 * W], gain=1.0)
    assert T.shape == (2, 4)
    assert T[0, 0] == W[0, 0] and T[0, 1] == W[-1, -1]
    assert T[0, 3] == pytest.approx((W[0] ** 4).sum())
    assert T[1, 3] == pytest.approx(16 * T[0, 3])
