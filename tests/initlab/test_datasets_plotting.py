"""Data sets of Parts 4 and 6 (initlab.datasets) and the figures of Parts 3, 5 and 7 (initlab.plotting)."""

import subprocess
import sys

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

import initlab
from initlab import InitializationTrainer, analyze_activation_flow
from initlab.datasets import make_activation_data, make_training_data
from initlab.plotting import (
    plot_activation_analysis,
    plot_activation_comparison,
    plot_training_comparison,
    plot_weight_distributions,
)

matplotlib.use("Agg")   # headless; switching is allowed because no figure exists yet


# --------------------------------------------------------------------------- datasets
def test_activation_data_is_standardized():
    X = make_activation_data(rng=0)
    assert X.shape == (50, 1000) and X.dtype == np.float64
    np.testing.assert_allclose(X.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(X.std(axis=1), 1, rtol=1e-12)


def test_activation_data_reproducible_and_seeded_by_rng():
    np.testing.assert_array_equal(make_activation_data(200, 10, rng=3), make_activation_data(200, 10, rng=3))
    assert not np.array_equal(make_activation_data(200, 10, rng=3), make_activation_data(200, 10, rng=4))
    gen = np.random.default_rng(3)
    first, second = make_activation_data(200, 10, rng=gen), make_activation_data(200, 10, rng=gen)
    assert not np.array_equal(first, second)                 # a Generator continues its stream
    assert make_activation_data(30, 100, rng=0).shape == (100, 30)
    assert make_activation_data(30, 2, rng=0).shape == (2, 30)   # fewer features than the lab's 40


def test_training_data_split_and_standardization():
    X_train, X_test, y_train, y_test = make_training_data(rng=0)
    assert X_train.shape == (20, 1600) and X_test.shape == (20, 400)
    assert y_train.shape == (1, 1600) and y_test.shape == (1, 400)
    assert y_train.dtype == np.float64 and set(np.unique(np.c_[y_train, y_test])) == {0.0, 1.0}
    # standardized with the training statistics only
    np.testing.assert_allclose(X_train.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(X_train.std(axis=1), 1, rtol=1e-12)
    assert np.abs(X_test.mean(axis=1)).max() > 1e-6          # the test set is not re-centred
    assert np.abs(X_test.mean(axis=1)).max() < 0.5
    # the split is a partition of the samples: no test column equals a training column
    train_rows = {tuple(np.round(c, 10)) for c in X_train.T}
    assert not any(tuple(np.round(c, 10)) in train_rows for c in X_test.T)
    again = make_training_data(rng=0)
    for a, b in zip((X_train, X_test, y_train, y_test), again, strict=True):
        np.testing.assert_array_equal(a, b)
    X_tr, X_te, _, _ = make_training_data(101, 5, test_size=0.25, rng=1)
    assert X_tr.shape == (5, 75) and X_te.shape == (5, 26)   # ceil(0.25 * 101) = 26, as sklearn


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: make_activation_data(0), ValueError, r"n_samples must be an int >= 2, got 0"),
        (lambda: make_activation_data(100, 1), ValueError, r"n_features must be an int >= 2, got 1"),
        (lambda: make_activation_data(10.5), TypeError, r"n_samples must be an int >= 2, got 10.5"),
        (lambda: make_activation_data(rng="seed"), TypeError, r"rng must be None, an int seed .* 'seed'"),
        (lambda: make_training_data(test_size=1.2), ValueError,
         r"test_size must be a float in \(0, 1\), got 1.2"),
        (lambda: make_training_data(test_size="20%"), TypeError, r"test_size must be a float .* got '20%'"),
        (lambda: make_training_data(10, test_size=0.9), ValueError,
         r"test_size=0.9 leaves 1 training sample\(s\) out of n_samples=10"),
        (lambda: make_training_data(3), ValueError, r"n_samples must be an int >= 4, got 3"),
    ],
)
def test_datasets_reject_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_import_initlab_is_numpy_only():
    code = ("import sys, initlab, initlab.analysis, initlab.training, initlab.performance; "
            "bad = [m for m in ('sklearn', 'matplotlib', 'scipy') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------- plotting
@pytest.fixture(autouse=True)
def _no_show_and_close(monkeypatch):
    def _fail(*args, **kwargs):
        raise AssertionError("plotting functions must not call plt.show()")

    monkeypatch.setattr(plt, "show", _fail)
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def flow_results():
    X = np.random.default_rng(0).standard_normal((30, 200))
    arch = [30, 30, 30, 30, 1]
    by_method = {m: analyze_activation_flow(arch, X, m, "relu", rng=0)
                 for m in ("random_small", "random_large", "xavier_normal", "he_normal")}
    by_activation = {a: analyze_activation_flow(arch, X, "he_normal", a, rng=0)
                     for a in ("relu", "sigmoid", "tanh")}
    return by_method, by_activation


@pytest.fixture(scope="module")
def training_results():
    X_train, X_test, y_train, y_test = make_training_data(400, rng=0)
    return {m: InitializationTrainer([20, 16, 8, 1]).train(X_train, y_train, X_test, y_test, m,
                                                            epochs=30, rng=0)
            for m in ("random_small", "xavier_normal", "he_normal", "lecun_uniform")}


def _titles(fig):
    return [ax.get_title() for ax in fig.axes]


def test_plot_weight_distributions():
    weights = {name: initlab.initialize(name, (64, 128), rng=0)
               for name in ("xavier_normal", "he_normal", "he_uniform", "orthogonal")}
    fig = plot_weight_distributions(weights, theoretical_std={"he_normal": (2 / 128) ** 0.5})
    assert isinstance(fig, Figure) and len(fig.axes) == 4          # 2 x 3 grid, unused axes removed
    he_ax = fig.axes[1]
    assert any(line.get_label().startswith("N(0,") for line in he_ax.get_lines())
    assert not any(line.get_label().startswith("N(0,") for line in fig.axes[0].get_lines())
    plt.close(fig)
    fig = plot_weight_distributions({"w": np.ones((3, 3))}, theoretical_std=0.1, bins=5)
    assert len(fig.axes) == 1
    plt.close(fig)


def test_plot_activation_analysis(flow_results):
    by_method, _ = flow_results
    fig = plot_activation_analysis(by_method, "ReLU")
    assert isinstance(fig, Figure) and len(fig.axes) == 4
    titles = _titles(fig)
    assert "Variance ratio Var(z_l)/Var(z_{l-1})" in titles
    assert not any("Preservation Score" in t for t in titles)
    assert any("Dead Units" in t for t in titles)
    assert fig.axes[3].get_yscale() == "log" and fig.axes[0].get_yscale() == "log"
    # two curves per method in the ReLU panel: zero activations and dead units
    assert len(fig.axes[2].get_lines()) == 2 * len(by_method)
    plt.close(fig)
    fig = plot_activation_analysis({"he_normal": by_method["he_normal"]}, "Tanh")
    assert any("Mean Activations (Tanh)" in t for t in _titles(fig))
    plt.close(fig)


def test_plot_activation_comparison(flow_results):
    _, by_activation = flow_results
    fig = plot_activation_comparison(by_activation, init_name="He")
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    assert _titles(fig)[0] == "Pre-Activation Std (He Initialization)"
    assert [ax.get_yscale() for ax in fig.axes] == ["log", "log", "linear"]
    plt.close(fig)


def test_plot_training_comparison_marks_never(training_results):
    report = initlab.analyze_initialization_performance(training_results)
    assert report["metrics"]["random_small"]["convergence_epoch"] is None
    fig = plot_training_comparison(training_results, report)
    assert isinstance(fig, Figure) and len(fig.axes) == 5           # 4 panels + twin axis
    twin = fig.axes[4]
    texts = [t.get_text() for t in twin.texts]
    assert texts.count("never") == 1
    # a method that never reached the target has no bar (a bar would read as a number of epochs)
    assert len(twin.patches) == len(training_results) - 1
    assert fig.axes[0].get_yscale() == "linear"                      # costs in [0, ~1]: no log scale
    plt.close(fig)
    fig = plot_training_comparison(training_results)                # computes the analysis itself
    assert len(fig.axes) == 5
    plt.close(fig)


def test_plotting_rejects_bad_input(flow_results):
    with pytest.raises(TypeError, match=r"weights must be a non-empty dict, got \[1, 2\]"):
        plot_weight_distributions([1, 2])
    with pytest.raises(ValueError, match=r"theoretical_std must be None, a positive number .* got -1"):
        plot_weight_distributions({"w": np.ones(3)}, theoretical_std=-1)
    with pytest.raises(ValueError, match=r"bins must be a positive int, got 0"):
        plot_weight_distributions({"w": np.ones(3)}, bins=0)
    with pytest.raises(ValueError,
                       match=r"results\['he'\] must hold the keys .* missing \['variance_ratios'\]"):
        bad = {k: v for k, v in flow_results[0]["he_normal"].items() if k != "variance_ratios"}
        plot_activation_analysis({"he": bad})
    with pytest.raises(TypeError, match=r"results_by_activation must be a non-empty dict, got \{\}"):
        plot_activation_comparison({})
    with pytest.raises(TypeError, match=r"performance must be the dict returned by "
                                        r"analyze_initialization_performance, got list"):
        plot_training_comparison({"he": {"train_costs": [1.0], "test_accuracies": [50.0],
                                         "gradient_norms": [1.0]}}, performance=[])


@pytest.mark.parametrize("n_samples, n_features", [(1000, 50), (200, 10), (37, 3), (30, 2)])
@pytest.mark.parametrize("seed", [0, 1, 2**31 - 1])
def test_activation_data_is_scikit_learns_with_a_seed_drawn_from_rng(n_samples, n_features, seed):
    from sklearn.datasets import make_classification

    n_informative = min(30, n_features)
    X_ref, _ = make_classification(
        n_samples=n_samples, n_features=n_features, n_informative=n_informative,
        n_redundant=min(10, n_features - n_informative),
        random_state=int(np.random.default_rng(seed).integers(0, 2**31 - 1)))
    X_ref = X_ref.T
    sd = X_ref.std(axis=1, keepdims=True)
    expected = (X_ref - X_ref.mean(axis=1, keepdims=True)) / np.where(sd > 0, sd, 1.0)
    np.testing.assert_array_equal(make_activation_data(n_samples, n_features, rng=seed), expected)


@pytest.mark.parametrize("n_features", [20, 5, 2])
def test_training_data_is_scikit_learns_split_with_the_same_rng(n_features):
    from sklearn.datasets import make_classification

    gen = np.random.default_rng(7)
    n_informative = min(15, n_features)
    X, y = make_classification(
        n_samples=300, n_features=n_features, n_informative=n_informative,
        n_redundant=min(5, n_features - n_informative), n_clusters_per_class=2,
        random_state=int(gen.integers(0, 2**31 - 1)))
    train = gen.permutation(300)[:240]
    X_train, _, y_train, _ = make_training_data(300, n_features, rng=7)
    sd = X[train].std(axis=0)
    np.testing.assert_array_equal(X_train, ((X[train] - X[train].mean(axis=0)) / np.where(sd > 0, sd, 1.0)).T)
    np.testing.assert_array_equal(y_train, y[train].reshape(1, -1).astype(np.float64))


def test_datasets_import_scikit_learn_only_when_drawing():
    code = ("import sys, initlab.datasets as d; before = 'sklearn' in sys.modules; "
            "d.make_activation_data(rng=0); print(before, 'sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_datasets_without_scikit_learn_say_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)          # what a missing package looks like to import
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r"needs scikit-learn .* pip install scikit-learn"):
        make_activation_data(20, 4, rng=0)
