"""The custom strategies of Part 8 and LSUV against their definitions, and their argument checks."""

import math

import numpy as np
import pytest
from scipy import stats

import initlab
from initlab import CustomInitializer as CI
from initlab.custom import (
    adaptive_he,
    layer_sequential_init,
    lsuv_init,
    residual_aware_init,
    spectral_norm_init,
    width_aware_init,
)

# A correct sampler fails a KS test at this level once in 1e6 draws.
KS_ALPHA = 1e-6
SHAPE = (96, 160)  # fan_in 160, fan_out 96
FAN_IN, FAN_OUT = 160, 96


def _check_normal(W, std):
    assert W.shape == SHAPE and W.dtype == np.float64
    n = W.size
    assert abs(W.mean()) < 6 * std / math.sqrt(n)
    assert abs(W.std() - std) < 6 * std / math.sqrt(2 * n)
    assert stats.kstest(W.ravel(), stats.norm(0, std).cdf).pvalue > KS_ALPHA


# activation -> gain (PyTorch's table); SEED row 10: the lab ignored the activation
GAINS = {
    "relu": math.sqrt(2),
    "leaky_relu": math.sqrt(2 / (1 + 0.01**2)),
    "tanh": 5 / 3,
    "sigmoid": 1.0,
    "linear": 1.0,
    "selu": 3 / 4,
}


@pytest.mark.parametrize("activation", GAINS)
@pytest.mark.parametrize("depth", [1, 5])
def test_adaptive_he_matches_its_distribution(activation, depth):
    std = GAINS[activation] / math.sqrt(FAN_IN) / math.sqrt(1 + 0.1 * depth)
    _check_normal(adaptive_he(SHAPE, activation, layer_depth=depth, rng=2024), std)


def test_adaptive_he_activation_and_slope_change_the_result():
    stds = {a: adaptive_he(SHAPE, a, rng=0).std() for a in GAINS}
    assert stds["relu"] / stds["sigmoid"] == pytest.approx(math.sqrt(2))  # same draws, other gain
    assert stds["tanh"] / stds["sigmoid"] == pytest.approx(5 / 3)
    steep = adaptive_he(SHAPE, "leaky_relu", negative_slope=1.0, rng=0)
    assert steep.std() / stds["sigmoid"] == pytest.approx(1.0)  # slope 1 is linear: gain 1
    assert np.array_equal(adaptive_he(SHAPE, "relu", negative_slope=0.5, rng=0),
                          adaptive_he(SHAPE, "relu", rng=0))  # slope only matters for leaky_relu


def test_adaptive_he_conv_shape_uses_receptive_field():
    W = adaptive_he((64, 16, 3, 3), rng=1)
    assert W.shape == (64, 16, 3, 3)
    assert W.std() == pytest.approx(math.sqrt(2 / 144) / math.sqrt(1.1), rel=0.05)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"activation": "swish"}, ValueError, "activation"),
    ({"activation": None}, TypeError, "activation"),
    ({"layer_depth": 0}, ValueError, "layer_depth"),
    ({"layer_depth": 2.0}, TypeError, "layer_depth"),
    ({"layer_depth": True}, TypeError, "layer_depth"),
    ({"negative_slope": "0.1"}, TypeError, "negative_slope"),
    ({"negative_slope": math.nan}, ValueError, "negative_slope"),
    ({"rng": "seed"}, TypeError, "rng"),
])
def test_adaptive_he_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        adaptive_he(SHAPE, **kwargs)


def test_adaptive_he_rejects_bad_shape():
    with pytest.raises(ValueError, match="shape"):
        adaptive_he((10,))


CHAIN = [(100, 128), (80, 100), (60, 80), (40, 60), (1, 40)]


@pytest.mark.parametrize("activation, c", [("relu", 2.0), ("tanh", 1.0), ("sigmoid", 1.0)])
def test_layer_sequential_stds_and_shapes(activation, c):
    big = [(400, 500), (300, 400), (200, 300)]
    params = layer_sequential_init(big, activation, rng=5)
    assert sorted(params) == ["W1", "W2", "W3", "b1", "b2", "b3"]
    for l, (n_out, n_in) in enumerate(big, 1):
        W = params[f"W{l}"]
        assert W.shape == (n_out, n_in) and W.dtype == np.float64
        assert params[f"b{l}"].shape == (n_out, 1) and not params[f"b{l}"].any()
        std = math.sqrt(c / n_in) * 0.95 ** (l - 1)
        assert abs(W.std() - std) < 6 * std / math.sqrt(2 * W.size)


def test_layer_sequential_decay():
    params = layer_sequential_init([(300, 300)] * 3, decay=0.5, rng=0)
    stds = [params[f"W{l}"].std() for l in (1, 2, 3)]
    assert stds[1] / stds[0] == pytest.approx(0.5, rel=0.03)
    assert stds[2] / stds[1] == pytest.approx(0.5, rel=0.03)


def test_layer_sequential_accepts_the_corrected_lab_demo():
    params = layer_sequential_init(CHAIN, rng=0)
    assert params["W5"].shape == (1, 40)
    assert params["W5"].std() < 0.5  # the lab's backwards shapes gave std 1.1 here


def test_layer_sequential_reversed_shapes_error():
    lab_demo = [(128, 100), (100, 80), (80, 60), (60, 40), (40, 1)]  # the lab's (n_in, n_out)
    with pytest.raises(ValueError, match=r"look like \(n_in, n_out\)") as info:
        layer_sequential_init(lab_demo)
    assert str(CHAIN) in str(info.value)  # shows the fix
    with pytest.raises(ValueError, match="do not chain") as info:
        layer_sequential_init([(10, 5), (3, 7)])
    assert "n_in, n_out" not in str(info.value)  # not reversed either: no misleading hint


@pytest.mark.parametrize("shapes, error, match", [
    ([], ValueError, "at least one"),
    ((10, 5), TypeError, r"single shape \(10, 5\); for one layer pass \[\(10, 5\)\]"),
    ("10,5", TypeError, "shapes"),
    ([(10, 5, 3)], ValueError, r"shapes\[0\]"),
    ([(10, 0)], ValueError, r"shapes\[0\]"),
])
def test_layer_sequential_rejects_bad_shapes(shapes, error, match):
    with pytest.raises(error, match=match):
        layer_sequential_init(shapes)


def test_layer_sequential_rejects_bad_options():
    with pytest.raises(ValueError, match="decay"):
        layer_sequential_init(CHAIN, decay=0)
    with pytest.raises(ValueError, match="activation"):
        layer_sequential_init(CHAIN, activation="Relu")


@pytest.mark.parametrize("has_residual, c", [(False, 2.0), (True, 1.0)])
def test_residual_aware_init(has_residual, c):
    _check_normal(residual_aware_init(SHAPE, has_residual, rng=11), math.sqrt(c / FAN_IN))


def test_residual_aware_rejects_non_bool():
    with pytest.raises(TypeError, match="has_residual"):
        residual_aware_init(SHAPE, "yes")


@pytest.mark.parametrize("target_std", [1.0, 2.5])
def test_width_aware_init(target_std):
    std = target_std * math.sqrt(FAN_OUT / (FAN_IN + FAN_OUT)) / math.sqrt(FAN_IN)
    _check_normal(width_aware_init(SHAPE, target_std, rng=13), std)
    with pytest.raises(ValueError, match="target_std"):
        width_aware_init(SHAPE, -1.0)


@pytest.mark.parametrize("shape", [(64, 128), (128, 64), (100, 100), (1, 50), (50, 1), (3, 7)])
@pytest.mark.parametrize("radius", [0.5, 0.9, 1.0, 1.2])
def test_spectral_norm_is_exact(shape, radius):
    W = spectral_norm_init(shape, spectral_radius=radius, rng=17)
    assert W.shape == shape and W.dtype == np.float64
    assert np.linalg.norm(W, 2) == pytest.approx(radius, rel=1e-10)


def test_spectral_norm_keeps_the_gaussian_direction():
    G = np.random.default_rng(3).standard_normal((20, 30))
    W = spectral_norm_init((20, 30), 0.9, rng=3)
    ratio = W / G
    assert np.allclose(ratio, ratio.flat[0])  # a rescaled Gaussian matrix


def test_spectral_norm_rejects_bad_arguments():
    with pytest.raises(ValueError, match="2-D"):
        spectral_norm_init((8, 4, 3, 3))
    with pytest.raises(ValueError, match="spectral_radius"):
        spectral_norm_init((8, 4), spectral_radius=0)


def _standardized(n_features, m, seed=0):
    X = np.random.default_rng(seed).normal(3.0, 5.0, size=(n_features, m))
    return (X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True)


def _pre_activation_variances(params, X, activation):
    L = len(params) // 2
    A, out = X, []
    for l in range(1, L + 1):
        Z = params[f"W{l}"] @ A + params[f"b{l}"]
        out.append(Z.var())
        A = initlab.activate(Z, activation)
    return out


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_lsuv_gives_unit_variance_at_every_layer(activation):
    dims = [30, 128, 128, 64, 64, 1]
    X = _standardized(30, 400)
    params, info = lsuv_init(dims, X, activation, rng=7, return_info=True)
    variances = _pre_activation_variances(params, X, activation)
    assert np.all(np.abs(np.array(variances) - 1.0) < 0.1)
    assert variances == pytest.approx(info["variances"])
    assert all(1 <= it <= 10 for it in info["iterations"])
    for l in range(1, len(dims)):
        assert params[f"W{l}"].shape == (dims[l], dims[l - 1]) and params[f"W{l}"].dtype == np.float64
        assert params[f"b{l}"].shape == (dims[l], 1) and not params[f"b{l}"].any()


def test_lsuv_starts_orthonormal():
    # one rescaling per layer: W / ||row|| is still orthonormal up to a common factor
    params = lsuv_init([20, 10, 5], _standardized(20, 300), rng=1)
    W1 = params["W1"]
    gram = W1 @ W1.T
    assert np.allclose(gram, gram[0, 0] * np.eye(10))


def test_lsuv_rejects_bad_arguments():
    X = _standardized(8, 50)
    with pytest.raises(ValueError, match=r"layer_dims\[0\] = 8.*pass X\.T"):
        lsuv_init([8, 4, 1], X.T)
    with pytest.raises(ValueError, match="X must be a 2-D array"):
        lsuv_init([8, 4, 1], X[0])
    with pytest.raises(ValueError, match="finite"):
        lsuv_init([8, 4, 1], np.full((8, 5), np.nan))
    with pytest.raises(ValueError, match="variance"):
        lsuv_init([8, 4, 1], np.zeros((8, 5)))
    with pytest.raises(ValueError, match="tol"):
        lsuv_init([8, 4, 1], X, tol=0)
    with pytest.raises(ValueError, match="max_iter"):
        lsuv_init([8, 4, 1], X, max_iter=0)
    with pytest.raises(ValueError, match="layer_dims"):
        lsuv_init([8], X)
    with pytest.raises(ValueError, match="activation"):
        lsuv_init([8, 4, 1], X, activation="swish")


RANDOM_CALLS = {
    "adaptive_he": lambda rng: adaptive_he(SHAPE, "tanh", 3, rng=rng),
    "layer_sequential_init": lambda rng: layer_sequential_init(CHAIN, rng=rng),
    "residual_aware_init": lambda rng: residual_aware_init(SHAPE, True, rng=rng),
    "width_aware_init": lambda rng: width_aware_init(SHAPE, rng=rng),
    "spectral_norm_init": lambda rng: spectral_norm_init(SHAPE, rng=rng),
    "lsuv_init": lambda rng: lsuv_init([10, 8, 1], _standardized(10, 40), rng=rng),
}


def _as_list(result):
    return list(result.values()) if isinstance(result, dict) else [result]


@pytest.mark.parametrize("name", RANDOM_CALLS)
def test_reproducible_and_global_state_untouched(name):
    call = RANDOM_CALLS[name]
    before = np.random.get_state()  # noqa: NPY002 (the legacy global state is what is checked)
    a, b, c = _as_list(call(123)), _as_list(call(123)), _as_list(call(124))
    d = _as_list(call(np.random.default_rng(123)))
    _as_list(call(None))
    after = np.random.get_state()  # noqa: NPY002
    assert before[0] == after[0] and np.array_equal(before[1], after[1]) and before[2:] == after[2:]
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert all(np.array_equal(x, y) for x, y in zip(a, d, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))


def test_custom_initializer_exposes_the_lab_names():
    for name in ["adaptive_he", "layer_sequential_init", "residual_aware_init", "width_aware_init",
                 "spectral_norm_init", "lsuv_init"]:
        func = getattr(CI, name)
        assert func.__initlab_reference__ == name
    assert initlab.lsuv_init is lsuv_init


def test_adaptive_he_names_are_case_insensitive_and_stripped():
    """The lab-wide rule for activation names (Parts 8 to 10): case-insensitive, spaces around ignored."""
    from initlab.custom import adaptive_he

    ref = adaptive_he((30, 40), "leaky_relu", 3, 0.2, rng=7)
    assert np.array_equal(adaptive_he((30, 40), " Leaky_ReLU ", 3, 0.2, rng=7), ref)
    with pytest.raises(ValueError):
        adaptive_he((30, 40), "re lu", rng=0)
    with pytest.raises(TypeError):
        adaptive_he((30, 40), None, rng=0)
