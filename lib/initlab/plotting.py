"""The figures of Parts 3, 5 and 7, with matplotlib only.

Used in the Part 3 notebook on weight distributions
(:func:`plot_weight_distributions`), ``source/weight_init/05_activation_visualization.ipynb``
(:func:`plot_activation_analysis`, :func:`plot_activation_comparison`) and
``07_performance_analysis.ipynb`` (:func:`plot_training_comparison`).

Every function returns its :class:`matplotlib.figure.Figure` and never calls
``plt.show()``: a notebook displays the returned figure, a script saves it
with ``fig.savefig(...)``, a test closes it with ``plt.close(fig)``.

Differences from the lab, on purpose: the last panel of
:func:`plot_activation_analysis` is the variance ratio
:math:`\\operatorname{Var}(z_l)/\\operatorname{Var}(z_{l-1})` computed with the
real input variance (the lab plotted a ratio of standard deviations against an
assumed input std of 1 and called it "Variance Preservation Score"); the ReLU
panel shows both the fraction of zero activations and the fraction of dead
units; the convergence bars use one common target and mark "never".
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np

from ._validation import check_mapping
from .performance import analyze_initialization_performance

__all__ = ["plot_weight_distributions", "plot_activation_analysis", "plot_activation_comparison",
           "plot_training_comparison", "METHOD_COLORS"]

#: Colours of the lab, by method name; other names use matplotlib's cycle.
METHOD_COLORS = {
    "random_small": "red", "random_large": "orange", "xavier_normal": "green", "he_normal": "blue",
    "lecun_normal": "purple", "orthogonal": "brown",
    "relu": "blue", "sigmoid": "red", "tanh": "green",
}


def _colors(names) -> dict:
    cycle = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
    out, i = {}, 0
    for name in names:
        if name in METHOD_COLORS:
            out[name] = METHOD_COLORS[name]
        else:
            out[name] = cycle[i % len(cycle)]
            i += 1
    return out


def _label(name: str) -> str:
    return str(name).replace("_", " ").title()


def plot_weight_distributions(weights, theoretical_std=None, bins: int = 50):
    """Histograms of weight matrices, with mean and +-1 std lines (Part 3).

    Parameters
    ----------
    weights : dict
        ``{name: array}``; each array is flattened.
    theoretical_std : None, float or dict, optional
        If given, the density of :math:`\\mathcal{N}(0, \\sigma^2)` with this
        std is drawn over the histogram (one value for all, or ``{name: std}``
        for some). For a uniform initializer the curve shows the normal with the
        same variance, not the uniform density.
    bins : int

    Returns
    -------
    matplotlib.figure.Figure
        One axes per weight, up to three per row.

    Raises
    ------
    TypeError
        If ``weights`` is not a non-empty dict.
    ValueError
        If ``bins`` is not a positive int, or ``theoretical_std`` is not None, a
        positive number or a dict.

    Examples
    --------
    >>> import initlab
    >>> fig = plot_weight_distributions({'He': initlab.initialize('he_normal', (64, 128), rng=0)},
    ...                                 theoretical_std=(2 / 128) ** 0.5)
    >>> len(fig.axes)
    1
    >>> plt.close(fig)
    """
    check_mapping(weights, name="weights")
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise ValueError(f"bins must be a positive int, got {bins!r}.")
    if theoretical_std is not None and not isinstance(theoretical_std, Mapping):
        if isinstance(theoretical_std, bool) or not isinstance(theoretical_std, (int, float)) \
                or not theoretical_std > 0:
            raise ValueError(
                f"theoretical_std must be None, a positive number or a dict {{name: std}}, got "
                f"{theoretical_std!r}."
            )
    n = len(weights)
    ncols = min(3, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(6 * ncols, 4.5 * nrows), squeeze=False)
    flat = axes.ravel()
    colors = _colors(weights)
    for ax, (name, W) in zip(flat, weights.items(), strict=False):
        w = np.asarray(W, dtype=np.float64).ravel()
        ax.hist(w, bins=bins, density=True, alpha=0.7, color=colors[name], edgecolor="black", linewidth=0.5)
        mean, std = float(w.mean()), float(w.std())
        ax.axvline(mean, color="red", linestyle="--", linewidth=2, label=f"Mean: {mean:.3f}")
        ax.axvline(mean + std, color="orange", linestyle=":", label=f"±1 Std: {std:.3f}")
        ax.axvline(mean - std, color="orange", linestyle=":")
        sigma = theoretical_std.get(name) if isinstance(theoretical_std, Mapping) else theoretical_std
        if sigma is not None:
            x = np.linspace(min(w.min(), -4 * sigma), max(w.max(), 4 * sigma), 400)
            ax.plot(x, np.exp(-0.5 * (x / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi)),
                    color="black", linewidth=2, label=f"N(0, {sigma:.3f}²)")
        ax.set_title(f"{name}\n(Shape: {np.shape(W)})", fontsize=12, fontweight="bold")
        ax.set_xlabel("Weight Value")
        ax.set_ylabel("Density")
        ax.legend(fontsize=9)
        ax.grid(True, alpha=0.3)
    for ax in flat[n:]:
        fig.delaxes(ax)
    fig.suptitle("Weight Distribution Comparison", fontsize=16, fontweight="bold")
    fig.tight_layout()
    return fig


_FLOW_KEYS = ("layers", "pre_stds", "post_stds", "post_means", "zero_fractions", "dead_fractions",
              "variance_ratios")


def plot_activation_analysis(results, activation_type: str = "ReLU"):
    """The 2x2 activation-statistics figure of Part 5.

    Panels: pre-activation std per layer (log scale); post-activation std (log
    scale); for ReLU the percentage of zero activations (solid) and of dead
    units (dashed), otherwise the mean activation; the variance ratio
    :math:`\\operatorname{Var}(z_l)/\\operatorname{Var}(z_{l-1})` (log scale,
    ideal 1 dashed).

    Parameters
    ----------
    results : dict
        ``{method: analyze_activation_flow(...)}``.
    activation_type : str
        Used in the titles; ``'relu'`` (any case) selects the ReLU panel.

    Returns
    -------
    matplotlib.figure.Figure with 4 axes

    Raises
    ------
    TypeError
        If ``results`` is not a non-empty dict.
    ValueError
        If an entry of ``results`` lacks one of the keys of :func:`initlab.analyze_activation_flow`'s result.
    """
    check_mapping(results, name="results", keys=_FLOW_KEYS)
    fig, axes = plt.subplots(2, 2, figsize=(16, 12))
    colors = _colors(results)
    for method, r in results.items():
        kw = dict(label=_label(method), color=colors[method], linewidth=2)
        axes[0, 0].plot(r["layers"], r["pre_stds"], marker="o", **kw)
        axes[0, 1].plot(r["layers"], r["post_stds"], marker="s", **kw)
        if activation_type.lower() == "relu":
            axes[1, 0].plot(r["layers"], [100 * f for f in r["zero_fractions"]], marker="^", **kw)
            axes[1, 0].plot(r["layers"], [100 * f for f in r["dead_fractions"]], marker="v",
                            linestyle="--", color=colors[method], linewidth=1.5)
        else:
            axes[1, 0].plot(r["layers"], r["post_means"], marker="^", **kw)
        axes[1, 1].plot(r["layers"], r["variance_ratios"], marker="d", **kw)

    axes[0, 0].set_title(f"Pre-Activation Standard Deviation ({activation_type})")
    axes[0, 1].set_title(f"Post-Activation Standard Deviation ({activation_type})")
    for ax in (axes[0, 0], axes[0, 1]):
        ax.set_ylabel("Standard Deviation")
        ax.set_yscale("log")
    if activation_type.lower() == "relu":
        axes[1, 0].set_title("Zero Activations (solid) and Dead Units (dashed), ReLU")
        axes[1, 0].set_ylabel("Percentage (%)")
    else:
        axes[1, 0].set_title(f"Mean Activations ({activation_type})")
        axes[1, 0].set_ylabel("Mean Activation")
    axes[1, 1].axhline(1.0, color="black", linestyle="--", alpha=0.7, label="Ideal (1)")
    axes[1, 1].set_title("Variance ratio Var(z_l)/Var(z_{l-1})")
    axes[1, 1].set_ylabel("Var(z_l) / Var(z_{l-1})")
    axes[1, 1].set_yscale("log")
    for ax in axes.ravel():
        ax.set_xlabel("Layer Number")
        ax.legend()
        ax.grid(True, alpha=0.3)
    fig.suptitle(f"Activation Statistics Analysis - {activation_type} Networks", fontsize=16,
                 fontweight="bold")
    fig.tight_layout()
    return fig


def plot_activation_comparison(results_by_activation, init_name: str = "He"):
    """The 1x3 figure of Part 5: one initialization, several activations.

    Panels: pre-activation std (log), post-activation std (log), post-activation
    mean, per layer.

    Parameters
    ----------
    results_by_activation : dict
        ``{activation: analyze_activation_flow(...)}``.
    init_name : str
        Initialization name for the titles.

    Returns
    -------
    matplotlib.figure.Figure with 3 axes

    Raises
    ------
    TypeError
        If ``results_by_activation`` is not a non-empty dict.
    ValueError
        If an entry of ``results_by_activation`` lacks one of the keys of
        :func:`initlab.analyze_activation_flow`'s result.
    """
    check_mapping(results_by_activation, name="results_by_activation",
                   keys=("layers", "pre_stds", "post_stds", "post_means"))
    fig, axes = plt.subplots(1, 3, figsize=(18, 6))
    colors = _colors(results_by_activation)
    panels = [("pre_stds", "Pre-Activation Std", "Std"), ("post_stds", "Post-Activation Std", "Std"),
              ("post_means", "Post-Activation Mean", "Mean")]
    for ax, (key, title, ylabel) in zip(axes, panels, strict=True):
        for activation, r in results_by_activation.items():
            ax.plot(r["layers"], r[key], marker="o", label=activation, color=colors[activation],
                    linewidth=2)
        ax.set_title(f"{title} ({init_name} Initialization)")
        ax.set_xlabel("Layer Number")
        ax.set_ylabel(ylabel)
        ax.legend()
        ax.grid(True, alpha=0.3)
        if ylabel == "Std":
            ax.set_yscale("log")
    fig.suptitle(f"Activation Function Comparison with {init_name} Initialization", fontsize=16,
                 fontweight="bold")
    fig.tight_layout()
    return fig


def plot_training_comparison(training_results, performance=None):
    """The 2x2 training figure of Part 7.

    Panels: training cost (linear: the costs of this task lie between 0 and
    about 1, where a log scale adds nothing), test accuracy, global gradient
    norm (log), and final test accuracy with epochs to the common convergence
    target on a twin axis. A method that never reached the target gets no bar,
    only a red "never" label at the base (a bar would read as a number of
    epochs).

    Parameters
    ----------
    training_results : dict
        ``{method: history}`` from :meth:`initlab.InitializationTrainer.train`.
    performance : dict, optional
        The output of :func:`initlab.analyze_initialization_performance`;
        computed with its defaults if omitted.

    Returns
    -------
    matplotlib.figure.Figure with 5 axes (4 panels and the twin axis)

    Raises
    ------
    TypeError
        If ``training_results`` is not a non-empty dict.
    ValueError
        If an entry of ``training_results`` lacks one of the keys ``'train_costs'``,
        ``'test_accuracies'``, ``'gradient_norms'``.
    TypeError
        If ``performance`` is given and is not the dict returned by
        :func:`initlab.analyze_initialization_performance`.
    """
    check_mapping(training_results, name="training_results",
                   keys=("train_costs", "test_accuracies", "gradient_norms"))
    if performance is None:
        performance = analyze_initialization_performance(training_results)
    elif not isinstance(performance, Mapping) or "metrics" not in performance:
        raise TypeError(
            "performance must be the dict returned by analyze_initialization_performance, got "
            f"{type(performance).__name__}."
        )
    fig, axes = plt.subplots(2, 2, figsize=(16, 12))
    colors = _colors(training_results)
    for method, h in training_results.items():
        kw = dict(label=_label(method), color=colors[method], linewidth=2)
        axes[0, 0].plot(h["train_costs"], **kw)
        axes[0, 1].plot(h["test_accuracies"], **kw)
        axes[1, 0].plot(h["gradient_norms"], alpha=0.7, **kw)
    axes[0, 0].set(title="Training Cost Evolution", xlabel="Epoch", ylabel="Cost", ylim=(0, None))
    lowest = min(min(h["test_accuracies"]) for h in training_results.values())
    axes[0, 1].set(title="Test Accuracy Evolution", xlabel="Epoch", ylabel="Accuracy (%)",
                   ylim=(min(40.0, lowest - 5.0), 100.0))
    axes[1, 0].set(title="Gradient Norm Evolution", xlabel="Epoch", ylabel="Gradient Norm", yscale="log")
    for ax in (axes[0, 0], axes[0, 1], axes[1, 0]):
        ax.legend()
        ax.grid(True, alpha=0.3)

    ax, twin = axes[1, 1], axes[1, 1].twinx()
    methods = list(training_results)
    metrics = performance["metrics"]
    x = np.arange(len(methods))
    finals = [metrics[m]["final_accuracy"] for m in methods]
    bars = ax.bar(x - 0.2, finals, 0.4, label="Final Accuracy", color="skyblue", alpha=0.8)
    for bar, acc in zip(bars, finals, strict=True):
        ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height() + 0.5, f"{acc:.1f}%",
                ha="center", va="bottom", fontsize=10)
    n_epochs = max(len(training_results[m]["test_accuracies"]) for m in methods)
    target = performance.get("target_accuracy")
    conv_label = f"Epochs to {target:.1f}%" if target is not None else "Epochs to target"
    for i, m in enumerate(methods):
        epoch = metrics[m]["convergence_epoch"]
        if epoch is None:  # no bar: a bar of any height would read as a number of epochs
            twin.text(x[i] + 0.2, 0.02 * n_epochs, "never", ha="center", va="bottom", fontsize=11,
                      color="red", fontweight="bold", rotation=90)
            continue
        twin.bar(x[i] + 0.2, epoch, 0.4, color="orange", alpha=0.8, edgecolor="darkorange",
                 label=(conv_label if not twin.get_legend_handles_labels()[0] else None))
        twin.text(x[i] + 0.2, epoch + 0.01 * n_epochs, f"{epoch}", ha="center", va="bottom", fontsize=10)
    ax.set_xlabel("Initialization Method")
    ax.set_ylabel("Final Test Accuracy (%)", color="blue")
    twin.set_ylabel(f"{conv_label} (common target)", color="darkorange")
    twin.set_ylim(0, 1.3 * max(n_epochs, 1))           # headroom for the labels and the legend
    ax.set_ylim(0, 1.3 * max(max(finals), 1.0))
    ax.set_title("Final Accuracy & Epochs to the Common Target")
    ax.set_xticks(x)
    ax.set_xticklabels([_label(m) for m in methods], rotation=45)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = twin.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper center", ncol=2)
    ax.grid(True, alpha=0.3)
    fig.suptitle("Initialization Methods Training Comparison", fontsize=16, fontweight="bold")
    fig.tight_layout()
    return fig
