"""The initializers of Part 2 against their theory, and their argument checks."""

import math

import numpy as np
import pytest
from scipy import stats

import initlab
from initlab import WeightInitializer as WI
from initlab.initializers import TRUNCATED_NORMAL_STD_CORRECTION

# A correct sampler fails a KS test at this level once in 1e6 draws.
KS_ALPHA = 1e-6
SHAPE = (96, 160)  # fan_in 160, fan_out 96: every formula gives a different std
FAN_IN, FAN_OUT = 160, 96

NORMAL_CASES = {
    "random_small": (lambda rng: WI.random_small(SHAPE, rng=rng), 0.01),
    "random_large": (lambda rng: WI.random_large(SHAPE, rng=rng), 1.0),
    "xavier_normal": (lambda rng: WI.xavier_normal(SHAPE, rng=rng), math.sqrt(2 / (FAN_IN + FAN_OUT))),
    "xavier_normal_gain": (lambda rng: WI.xavier_normal(SHAPE, gain=5 / 3, rng=rng),
                           5 / 3 * math.sqrt(2 / (FAN_IN + FAN_OUT))),
    "he_normal": (lambda rng: WI.he_normal(SHAPE, rng=rng), math.sqrt(2 / FAN_IN)),
    "he_normal_fan_out": (lambda rng: WI.he_normal(SHAPE, mode="fan_out", rng=rng), math.sqrt(2 / FAN_OUT)),
    "he_normal_leaky": (lambda rng: WI.he_normal(SHAPE, negative_slope=0.2, rng=rng),
                        math.sqrt(2 / (1.04 * FAN_IN))),
    "lecun_normal": (lambda rng: WI.lecun_normal(SHAPE, rng=rng), math.sqrt(1 / FAN_IN)),
    "vs_fan_avg": (lambda rng: WI.variance_scaling(SHAPE, 2.0, "fan_avg", rng=rng),
                   math.sqrt(2.0 / ((FAN_IN + FAN_OUT) / 2))),
}

UNIFORM_CASES = {
    "xavier_uniform": (lambda rng: WI.xavier_uniform(SHAPE, rng=rng), math.sqrt(6 / (FAN_IN + FAN_OUT))),
    "he_uniform": (lambda rng: WI.he_uniform(SHAPE, rng=rng), math.sqrt(6 / FAN_IN)),
    "he_uniform_fan_out": (lambda rng: WI.he_uniform(SHAPE, mode="fan_out", rng=rng), math.sqrt(6 / FAN_OUT)),
    "lecun_uniform": (lambda rng: WI.lecun_uniform(SHAPE, rng=rng), math.sqrt(3 / FAN_IN)),
    "vs_uniform_fan_out": (lambda rng: WI.variance_scaling(SHAPE, 3.0, "fan_out", "uniform", rng=rng),
                           math.sqrt(9.0 / FAN_OUT)),
}


@pytest.mark.parametrize("name", NORMAL_CASES)
def test_normal_initializers_match_their_distribution(name):
    draw, std = NORMAL_CASES[name]
    W = draw(np.random.default_rng(2024))
    assert W.shape == SHAPE and W.dtype == np.float64
    n = W.size
    # mean within 6 standard errors; sample std within 6 of its standard errors (std/sqrt(2n))
    assert abs(W.mean()) < 6 * std / math.sqrt(n)
    assert abs(W.std() - std) < 6 * std / math.sqrt(2 * n)
    assert stats.kstest(W.ravel(), stats.norm(0, std).cdf).pvalue > KS_ALPHA


@pytest.mark.parametrize("name", UNIFORM_CASES)
def test_uniform_initializers_match_their_distribution(name):
    draw, bound = UNIFORM_CASES[name]
    W = draw(np.random.default_rng(7))
    assert W.shape == SHAPE and W.dtype == np.float64
    assert np.abs(W).max() <= bound
    assert np.abs(W).max() > 0.99 * bound  # the bound is reached, not a smaller one
    assert stats.kstest(W.ravel(), stats.uniform(-bound, 2 * bound).cdf).pvalue > KS_ALPHA


def test_truncated_normal_matches_keras():
    W = WI.variance_scaling(SHAPE, 2.0, "fan_in", "truncated_normal", rng=3)
    target_var = 2.0 / FAN_IN
    sigma = math.sqrt(target_var) / TRUNCATED_NORMAL_STD_CORRECTION
    assert np.abs(W).max() <= 2 * sigma
    dist = stats.truncnorm(-2, 2, scale=sigma)
    assert dist.var() == pytest.approx(target_var, rel=1e-9)  # the correction constant is right
    assert stats.kstest(W.ravel(), dist.cdf).pvalue > KS_ALPHA


def test_zeros_and_ones():
    assert not WI.zeros((3, 4)).any() and WI.zeros((3, 4)).dtype == np.float64
    assert (WI.ones((2, 5)) == 1).all()
    assert WI.zeros((5,)).shape == (5,)  # biases are 1-D or (n, 1)


@pytest.mark.parametrize("shape", [(4, 9), (9, 4), (6, 6), (8, 3, 2, 2), (2, 3, 5)])
@pytest.mark.parametrize("gain", [1.0, math.sqrt(2)])
def test_orthogonal_is_orthonormal_times_gain(shape, gain):
    W = WI.orthogonal(shape, gain=gain, rng=11)
    assert W.shape == shape
    M = W.reshape(shape[0], -1)
    if M.shape[0] <= M.shape[1]:
        np.testing.assert_allclose(M @ M.T, gain**2 * np.eye(M.shape[0]), atol=1e-12)
    else:
        np.testing.assert_allclose(M.T @ M, gain**2 * np.eye(M.shape[1]), atol=1e-12)


def test_orthogonal_is_haar_distributed():
    """Each entry q of a Haar n x n orthogonal matrix has (q+1)/2 ~ Beta((n-1)/2, (n-1)/2).

    Without the sign correction of QR (SEED-NOTES row 2) Q[0, 0] is always
    negative with numpy's Householder QR, and this test fails.
    """
    n, draws = 5, 2000
    rng = np.random.default_rng(5)
    first = np.array([WI.orthogonal((n, n), rng=rng)[0, 0] for _ in range(draws)])
    beta = stats.beta((n - 1) / 2, (n - 1) / 2)
    assert stats.kstest((first + 1) / 2, beta.cdf).pvalue > KS_ALPHA


def test_uncorrected_qr_would_fail_the_haar_test():
    rng = np.random.default_rng(5)
    first = np.array([np.linalg.qr(rng.standard_normal((5, 5)))[0][0, 0] for _ in range(2000)])
    assert stats.kstest((first + 1) / 2, stats.beta(2, 2).cdf).pvalue < KS_ALPHA


@pytest.mark.parametrize("method", sorted(set(initlab.INITIALIZERS) - {"zeros", "ones"}))
def test_reproducible_and_independent_of_global_state(method):
    a = initlab.initialize(method, (8, 12), rng=123)
    np.random.seed(0)
    state = np.random.get_state()[1].copy()
    b = initlab.initialize(method, (8, 12), rng=np.random.default_rng(123))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # global state untouched
    c = initlab.initialize(method, (8, 12), rng=124)
    assert not np.array_equal(a, c)


def test_generator_stream_continues():
    rng = np.random.default_rng(0)
    assert not np.array_equal(WI.he_normal((3, 3), rng=rng), WI.he_normal((3, 3), rng=rng))


def test_initialize_passes_options():
    np.testing.assert_array_equal(
        initlab.initialize("he_normal", (4, 6), rng=1, mode="fan_out"),
        WI.he_normal((4, 6), mode="fan_out", rng=1),
    )
    assert (initlab.initialize("zeros", (2, 2)) == 0).all()


def test_conv_shapes_use_receptive_field():
    W = WI.he_normal((32, 16, 3, 3), rng=0)
    assert W.std() == pytest.approx(math.sqrt(2 / (16 * 9)), rel=0.02)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("shape", "error", "match"),
    [
        ((64,), ValueError, r"shape must have at least 2 dimension.*\(64,\)"),
        ((64, -3), ValueError, r"shape must contain only positive sizes, got \(64, -3\)"),
        ((64, 0), ValueError, r"positive sizes, got \(64, 0\)"),
        ((64, 2.5), TypeError, r"shape must contain only ints.*2\.5"),
        ("64x128", TypeError, r"shape must be a tuple of ints.*'64x128'"),
        ((True, 3), TypeError, r"element True"),
    ],
)
def test_bad_shapes(shape, error, match):
    with pytest.raises(error, match=match):
        WI.xavier_normal(shape)


def test_bad_names_and_values():
    with pytest.raises(ValueError, match=r"method must be one of .*got 'he_norm'"):
        initlab.initialize("he_norm", (3, 3))
    with pytest.raises(ValueError, match=r"mode must be one of .*got 'fan_sum'"):
        WI.variance_scaling((3, 3), mode="fan_sum")
    with pytest.raises(ValueError, match=r"distribution must be one of .*got 'gaussian'"):
        WI.variance_scaling((3, 3), distribution="gaussian")
    with pytest.raises(ValueError, match=r"scale must be a finite positive number, got -1\.0"):
        WI.random_small((3, 3), scale=-1)
    with pytest.raises(TypeError, match=r"rng must be None, an int seed or a numpy.random.Generator, got 'x'"):
        WI.he_normal((3, 3), rng="x")
    with pytest.raises(TypeError, match=r"rng must be .*RandomState"):
        WI.he_normal((3, 3), rng=np.random.RandomState(0))
    with pytest.raises(TypeError, match=r"negative_slope must be a real number, got 'a'"):
        WI.he_normal((3, 3), negative_slope="a")
    with pytest.raises(ValueError, match=r"gain must be a finite positive number, got nan"):
        WI.orthogonal((3, 3), gain=float("nan"))
