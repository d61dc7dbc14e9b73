"""The per-layer statistics explorer of Part 10: numbers, the static fallback, the widget."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from initlab.explorer import explore, layer_statistics, plot_layer_statistics


def test_layer_statistics_shapes_and_physics():
    he = layer_statistics(20, 64, "relu", "he_normal", rng=0)
    assert {k: v.shape for k, v in he.items()} == {"z_std": (20,), "signal_std": (20,), "fraction_zero": (20,)}
    assert 0.3 < he["fraction_zero"].mean() < 0.7                       # ReLU zeroes about half
    xavier = layer_statistics(20, 64, "RELU ", "xavier_normal", rng=0)  # names: case-insensitive, stripped
    assert xavier["z_std"][-1] < 0.05 * he["z_std"][-1]                 # halved variance per layer, 20 times
    assert np.all(he["signal_std"] <= he["z_std"] + 1e-12)              # the signal is a part of the variance
    tanh = layer_statistics(5, 32, "tanh", "he_normal", rng=1)
    assert np.all(tanh["fraction_zero"] == 0)
    with pytest.raises(ValueError):
        layer_statistics(0, 64)
    with pytest.raises(ValueError):
        layer_statistics(3, 64, "swish")


def test_explore_static_fallback_and_widget():
    fig = explore(depth=4, width=16, interactive=False, rng=0)
    assert len(fig.axes) == 2
    fig = plot_layer_statistics(layer_statistics(3, 8, rng=0), "title")
    assert fig._suptitle.get_text() == "title"
    pytest.importorskip("ipywidgets")
    widget = explore(depth=4, width=16, interactive=True, rng=0)
    assert widget is not None
