"""Activation statistics of Part 4 (initlab.analysis): definitions, physics and argument checks."""

import math

import numpy as np
import pytest

import initlab
from initlab import ActivationAnalyzer, analyze_activation_flow
from initlab._guard import ReferenceCalledError, forbid
from initlab.analysis import layer_statistics, variance_ratios

# The setting of SEED-NOTES row 3: standardized inputs, equal hidden widths, ReLU.
N_FEATURES, N_SAMPLES, HIDDEN = 100, 2000, 7
ARCH = [N_FEATURES] * (HIDDEN + 1) + [1]    # 100 inputs, 7 hidden layers of 100 units, sigmoid output
SEEDS = (0, 1, 2)


def _standard_normal_input(seed):
    return np.random.default_rng(1000 + seed).standard_normal((N_FEATURES, N_SAMPLES))


def _flow(method, seed, activation="relu"):
    return analyze_activation_flow(ARCH, _standard_normal_input(seed), method, activation, rng=seed)


def _hidden_geomean(ratios):
    """Geometric mean of the ratios of hidden layers 2..7 (layer 1 sees the raw input; layer 8 is
    the 1-unit output, whose variance is taken across samples only, see variance_ratios)."""
    return math.exp(np.mean(np.log(ratios[1:HIDDEN])))


# --------------------------------------------------------------------------- layer_statistics
def test_layer_statistics_values_and_types():
    Z = np.array([[-1.0, 2.0, 3.0], [-3.0, -1.0, -2.0]])
    A = np.maximum(Z, 0.0)
    s = layer_statistics(Z, A)
    pre, post = s["pre_activation"], s["post_activation"]
    assert set(pre) == {"mean", "std", "min", "max"}
    assert set(post) == {"mean", "std", "min", "max", "fraction_zero", "fraction_dead"}
    assert all(type(v) is float for d in s.values() for v in d.values())
    assert pre["mean"] == pytest.approx(Z.mean()) and pre["std"] == pytest.approx(Z.std())
    assert (pre["min"], pre["max"]) == (-3.0, 3.0)
    assert post["mean"] == pytest.approx(5 / 6) and post["std"] == pytest.approx(A.std())
    # 4 of 6 activations are zero, but only the second unit (row) is zero on every sample
    assert post["fraction_zero"] == pytest.approx(4 / 6)
    assert post["fraction_dead"] == 0.5


def test_fraction_zero_is_not_dead_units():
    """SEED row 4: about half of ReLU activations are zero, yet almost no unit is dead."""
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((200, 1000))
    s = layer_statistics(Z, np.maximum(Z, 0))["post_activation"]
    assert abs(s["fraction_zero"] - 0.5) < 0.01          # 6 standard errors of 1/sqrt(4 * 200000)
    assert s["fraction_dead"] == 0.0


@pytest.mark.parametrize(
    "Z, A, match",
    [
        (np.zeros(3), np.zeros(3), r"Z must be a 2-D array .* got an array of shape \(3,\)"),
        (np.zeros((2, 3)), np.zeros((3, 2)), r"A must have the shape of Z \(2, 3\), got A of shape \(3, 2\)"),
        (np.zeros((2, 3)), np.zeros((2, 3, 1)), r"A must be a 2-D array .* shape \(2, 3, 1\)"),
    ],
)
def test_layer_statistics_rejects_bad_shapes(Z, A, match):
    with pytest.raises(ValueError, match=match):
        layer_statistics(Z, A)


def test_layer_statistics_rejects_non_numeric():
    with pytest.raises(TypeError, match=r"Z must be a 2-D array of numbers, got \{'a': 1\}"):
        layer_statistics({"a": 1}, np.zeros((1, 1)))


# --------------------------------------------------------------------------- variance_ratios
def test_variance_ratios_uses_the_real_input_variance():
    X = np.array([[3.0, -3.0], [1.0, -1.0]])            # variance 5, not the lab's assumed 1
    Z1, Z2 = 2 * X, np.array([[1.0, -1.0]])             # variances 20 and 1
    assert variance_ratios([Z1, Z2], X) == pytest.approx([4.0, 1 / 20])
    assert all(type(r) is float for r in variance_ratios([Z1, Z2], X))


def test_variance_ratios_collapsed_signal():
    X = np.array([[1.0, -1.0]])
    ratios = variance_ratios([np.zeros((1, 2)), np.ones((1, 2)) * [[1, 2]], np.zeros((1, 2))], X)
    assert ratios[0] == 0.0
    assert ratios[1] == math.inf                          # previous variance 0, current not
    assert ratios[2] == 0.0
    assert math.isnan(variance_ratios([np.zeros((1, 2)), np.zeros((1, 2))], X)[1])  # 0 / 0


def test_variance_ratios_rejects_bad_input():
    X = np.ones((2, 5))
    with pytest.raises(TypeError, match="pre_activations must be a list of arrays .* got ndarray"):
        variance_ratios(np.ones((2, 5)), X)
    with pytest.raises(ValueError, match=r"pre_activations\[1\] \(Z2\) must have 5 columns .* \(3, 4\)"):
        variance_ratios([np.ones((3, 5)), np.ones((3, 4))], X)
    with pytest.raises(ValueError, match=r"X must be a 2-D array .* shape \(5,\)"):
        variance_ratios([np.ones((3, 5))], np.ones(5))


# --------------------------------------------------------------------------- physics (SEED row 3)
# Tolerances. Over 200 seeds (weights and inputs redrawn; measured with
# analyze_activation_flow on ARCH, 2000 samples) the per-layer ratio of He had
# mean 1.00 and std 0.05-0.18 (growing with depth; range 0.56-1.61), the
# geometric mean over layers 2..7 had mean 0.99 and std 0.055 (range
# 0.86-1.15), the layer-1 ratio 2.00 +- 0.027, the std of layer 7 over layer 1
# 0.98 +- 0.16 (0.62-1.52). Xavier: geometric mean 0.495 +- 0.027 (0.43-0.58),
# layer 1 1.00 +- 0.013, std of layer 7 over layer 1 0.122 +- 0.020
# (0.078-0.19; theory 2^-3). The bounds below are at least 4.5 of those
# standard deviations from the theoretical value.
@pytest.mark.parametrize("seed", SEEDS)
def test_he_relu_preserves_variance(seed):
    r = _flow("he_normal", seed)
    ratios = r["variance_ratios"]
    assert ratios[0] == pytest.approx(2.0, abs=0.15)      # input not rectified: E[x^2] = Var(x)
    assert _hidden_geomean(ratios) == pytest.approx(1.0, abs=0.25)
    assert all(0.4 < q < 2.2 for q in ratios[1:HIDDEN])   # every hidden layer, single-draw spread
    # the pre-activation std neither grows nor vanishes: layer 7 over layer 1 is about 1
    assert 0.4 < r["pre_stds"][HIDDEN - 1] / r["pre_stds"][0] < 2.5


@pytest.mark.parametrize("seed", SEEDS)
def test_xavier_relu_halves_variance_per_layer(seed):
    r = _flow("xavier_normal", seed)
    ratios = r["variance_ratios"]
    assert ratios[0] == pytest.approx(1.0, abs=0.08)
    assert _hidden_geomean(ratios) == pytest.approx(0.5, abs=0.125)
    # so the std shrinks by 1/sqrt(2) per layer: from layer 1 to layer 7 by 2^-3 = 0.125
    assert 0.05 < r["pre_stds"][HIDDEN - 1] / r["pre_stds"][0] < 0.3


@pytest.mark.parametrize("seed", SEEDS)
def test_random_small_collapses_activations(seed):
    r = _flow("random_small", seed)
    # theory: each layer multiplies the std by 0.01 * sqrt(100 / 2) = 0.071, 0.071^6 = 1.3e-7;
    # over 200 seeds the measured ratio was at most 1.9e-7
    assert r["post_stds"][HIDDEN - 1] < 1e-6 * r["post_stds"][0]
    assert r["pre_stds"][HIDDEN - 1] < 1e-6 * r["pre_stds"][0]


def test_relu_zero_fraction_is_about_half_but_few_units_are_dead():
    """SEED row 4 in a deep net. Over 200 seeds the per-layer zero fraction ranged 0.40-0.59
    (std up to 0.022 in the deepest layers), the dead fraction averaged 0 at layer 1 rising to
    0.04 at layer 7 (max 0.12)."""
    for method in ("he_normal", "xavier_normal"):
        for seed in SEEDS:
            r = _flow(method, seed)
            zero, dead = r["zero_fractions"][:HIDDEN], r["dead_fractions"][:HIDDEN]
            assert all(0.35 < f < 0.65 for f in zero)
            assert abs(np.mean(zero) - 0.5) < 0.06
            assert dead[0] == 0.0 and max(dead) < 0.25
            assert all(d <= f for d, f in zip(dead, zero, strict=True))


def test_output_layer_is_sigmoid_for_every_activation():
    """SEED row 5: one rule, the output layer is a sigmoid whatever the hidden activation."""
    X = _standard_normal_input(0)[:, :200]
    for activation in initlab.ACTIVATIONS:
        an = ActivationAnalyzer([N_FEATURES, 30, 20, 1], activation)
        an.initialize_network("he_normal", rng=0)
        AL = an.forward_pass(X)
        np.testing.assert_allclose(AL, 1 / (1 + np.exp(-an.activations["Z3"])))
        Z1 = an.activations["Z1"]
        np.testing.assert_allclose(an.activations["A1"], initlab.activate(Z1, activation))


# --------------------------------------------------------------------------- ActivationAnalyzer
def test_analyzer_stores_activations_and_stats():
    X = _standard_normal_input(0)[:10, :50]
    an = ActivationAnalyzer([10, 8, 6, 1], "tanh")
    an.initialize_network("xavier_normal", rng=3)
    assert an.parameters["W2"].shape == (6, 8) and an.parameters["b2"].shape == (6, 1)
    assert not an.parameters["b1"].any()
    an.forward_pass(X)
    assert sorted(an.activations) == ["A0", "A1", "A2", "A3", "Z1", "Z2", "Z3"]
    assert an.activations["A0"] is not None and np.array_equal(an.activations["A0"], X)
    assert sorted(an.activation_stats) == ["layer_1", "layer_2", "layer_3"]
    assert an.activation_stats["layer_2"] == layer_statistics(an.activations["Z2"], an.activations["A2"])


def test_analyzer_initialization_is_reproducible_and_accepts_options():
    a, b = ActivationAnalyzer([5, 4, 1]), ActivationAnalyzer([5, 4, 1])
    a.initialize_network("random_small", rng=7, scale=0.5)
    b.initialize_network("random_small", rng=np.random.default_rng(7), scale=0.5)
    np.testing.assert_array_equal(a.parameters["W1"], b.parameters["W1"])
    assert 0.2 < a.parameters["W1"].std() < 1.0
    for method in initlab.INITIALIZERS:
        a.initialize_network(method, rng=0)
        assert a.parameters["W1"].shape == (4, 5)


def test_analyzer_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"layer_dims must list at least two widths .* got \[5\]"):
        ActivationAnalyzer([5])
    with pytest.raises(ValueError, match=r"layer_dims must contain only positive widths, got \[5, 0, 1\]"):
        ActivationAnalyzer([5, 0, 1])
    with pytest.raises(ValueError, match=r"activation must be one of .* got 'softplus'"):
        ActivationAnalyzer([5, 4, 1], "softplus")
    an = ActivationAnalyzer([5, 4, 1])
    with pytest.raises(RuntimeError, match="initialize_network"):
        an.forward_pass(np.ones((5, 3)))
    with pytest.raises(ValueError, match=r"method must be one of .* got 'he'"):
        an.initialize_network("he")
    an.initialize_network("he_normal", rng=0)
    with pytest.raises(ValueError, match=r"X must have shape \(5, n_samples\) .* got X of shape \(3, 5\)"):
        an.forward_pass(np.ones((3, 5)))
    with pytest.raises(TypeError, match=r"rng must be None, an int seed .* got 'zero'"):
        an.initialize_network("he_normal", rng="zero")


# --------------------------------------------------------------------------- analyze_activation_flow
def test_analyze_activation_flow_output():
    X = _standard_normal_input(0)[:20, :300]
    r = analyze_activation_flow([20, 16, 12, 1], X, "he_normal", "relu", rng=0)
    assert set(r) == {"layers", "pre_means", "pre_stds", "post_means", "post_stds", "zero_fractions",
                      "dead_fractions", "variance_ratios"}
    assert r["layers"] == [1, 2, 3]
    assert all(len(v) == 3 for v in r.values())
    again = analyze_activation_flow([20, 16, 12, 1], X, "he_normal", "relu", rng=0)
    assert r == again
    with pytest.raises(ValueError, match=r"init_method must be one of .* got 'glorot'"):
        analyze_activation_flow([20, 1], X, "glorot", "relu")
    with pytest.raises(ValueError, match=r"X must have shape \(21, n_samples\) .* \(20, 300\)"):
        analyze_activation_flow([21, 1], X, "he_normal", "relu")


def test_zero_weights_give_nan_not_a_crash():
    X = _standard_normal_input(0)[:4, :10]
    r = analyze_activation_flow([4, 3, 3, 1], X, "zeros", "relu")
    assert r["variance_ratios"][0] == 0.0 and math.isnan(r["variance_ratios"][1])


def test_global_random_state_untouched():
    np.random.seed(123)  # noqa: NPY002 (the legacy global state under test)
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    _ = analyze_activation_flow([5, 4, 1], np.ones((5, 3)), "he_normal", "relu", rng=None)
    assert np.array_equal(np.random.get_state()[1], before)  # noqa: NPY002


def test_reference_guards():
    Z = np.ones((2, 2))
    with forbid("layer_statistics"), pytest.raises(ReferenceCalledError):
        layer_statistics(Z, Z)
    with forbid("variance_ratios"), pytest.raises(ReferenceCalledError):
        variance_ratios([Z], Z)
    assert layer_statistics.__initlab_reference__ == "layer_statistics"
    assert variance_ratios.__initlab_reference__ == "variance_ratios"


def test_same_seed_normal_inits_share_the_zero_pattern():
    """ReLU is positively homogeneous and biases are zero: with one seed, normal initializers that
    differ only by scale zero out exactly the same units (documented in analyze_activation_flow)."""
    X = _standard_normal_input(0)[:, :300]
    arch = [N_FEATURES, 50, 40, 30, 1]
    he = analyze_activation_flow(arch, X, "he_normal", "relu", rng=4)
    small = analyze_activation_flow(arch, X, "random_small", "relu", rng=4)
    assert he["zero_fractions"][:3] == small["zero_fractions"][:3]
    assert he["pre_stds"][2] > 1e3 * small["pre_stds"][2]
