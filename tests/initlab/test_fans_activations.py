"""compute_fans, calculate_gain, activations and the delegation tripwire."""

import math

import numpy as np
import pytest

import initlab
from initlab import _guard


@pytest.mark.parametrize(
    ("shape", "fans"),
    [((64, 128), (128, 64)), ((1, 1), (1, 1)), ((16, 3, 5, 5), (75, 400)), ((8, 4, 3), (12, 24))],
)
def test_compute_fans(shape, fans):
    assert initlab.compute_fans(shape) == fans


def test_gain_table_matches_pytorch():
    assert initlab.calculate_gain("linear") == 1
    assert initlab.calculate_gain("conv2d") == 1
    assert initlab.calculate_gain("sigmoid") == 1
    assert initlab.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert initlab.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert initlab.calculate_gain("selu") == pytest.approx(0.75)
    assert initlab.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert initlab.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    with pytest.raises(ValueError, match=r"nonlinearity must be one of .*got 'gelu'"):
        initlab.calculate_gain("gelu")
    with pytest.raises(TypeError, match=r"param .* must be a real number, got 'x'"):
        initlab.calculate_gain("leaky_relu", "x")


Z = np.linspace(-4, 4, 81).reshape(3, 27)


@pytest.mark.parametrize("name", sorted(initlab.ACTIVATIONS))
def test_activation_derivatives_match_finite_differences(name):
    h = 1e-6
    Zs = Z[np.abs(Z) > 1e-3]  # away from the kink of the ReLU family
    numeric = (initlab.activate(Zs + h, name) - initlab.activate(Zs - h, name)) / (2 * h)
    np.testing.assert_allclose(initlab.activation_derivative(Zs, name), numeric, rtol=1e-6, atol=1e-9)


def test_sigmoid_is_stable_for_large_inputs():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = initlab.activate(np.array([-1000.0, 0.0, 1000.0]), "sigmoid")
    np.testing.assert_allclose(s, [0.0, 0.5, 1.0])


def test_unknown_activation():
    with pytest.raises(ValueError, match=r"activation must be one of .*got 'swish'"):
        initlab.activate(Z, "swish")


def test_tripwire_catches_aliases_and_indirect_calls():
    alias = initlab.WeightInitializer.he_normal
    with _guard.forbid("he_normal"):
        with pytest.raises(initlab.ReferenceCalledError, match="he_normal"):
            alias((3, 3), rng=0)
        with pytest.raises(initlab.ReferenceCalledError):
            initlab.initialize("he_normal", (3, 3), rng=0)
        initlab.WeightInitializer.xavier_normal((3, 3), rng=0)  # others still allowed
    alias((3, 3), rng=0)  # and allowed again afterwards


def test_import_initlab_is_numpy_only():
    import subprocess
    import sys

    code = "import sys, initlab; print(sorted(m for m in ('sklearn','matplotlib','scipy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
