"""An interactive explorer of per-layer statistics (Part 10), with a static fallback.

Introduced in ``source/weight_init/10_best_practices.ipynb``. Pick a depth, a
width, an activation and an initializer; :func:`layer_statistics` pushes a batch
of standard normal inputs through a fresh network and returns, per hidden layer,
the std of the pre-activations, the std of the signal part (the spread between
samples, averaged over units; Part 8) and the fraction of zero activations.
:func:`plot_layer_statistics` draws them; :func:`explore` wraps both in
ipywidgets sliders when ipywidgets is installed and a front end can show
widgets, and otherwise (or with ``interactive=False``) draws one static figure,
so that a notebook runs the same everywhere (nbval, the rendered lab, grading).
"""

from __future__ import annotations

import numpy as np

from ._validation import check_choice, check_random_state
from .activations import ACTIVATIONS
from .initializers import INITIALIZERS
from .training import forward_propagation, initialize_parameters

__all__ = ["layer_statistics", "plot_layer_statistics", "explore", "EXPLORER_INITS", "EXPLORER_ACTIVATIONS"]

#: Initializers offered by the explorer.
EXPLORER_INITS = ("he_normal", "xavier_normal", "lecun_normal", "orthogonal", "random_small", "random_large")
#: Activations offered by the explorer.
EXPLORER_ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid", "selu", "linear")


def layer_statistics(depth: int, width: int, activation: str = "relu", init: str = "he_normal", *,
                     n_samples: int = 500, rng=None) -> dict[str, np.ndarray]:
    """Per-layer statistics of a fresh network ``[width] + [width] * depth + [1]`` on N(0, 1) inputs.

    Parameters
    ----------
    depth : int
        Number of hidden layers, at least 1.
    width : int
        Width of the input and of every hidden layer, at least 2.
    activation : str
        Hidden activation, case-insensitive (a name of :data:`initlab.ACTIVATIONS`).
    init : str
        A name of :data:`initlab.INITIALIZERS`.
    n_samples : int
    rng : None, int or numpy.random.Generator

    Returns
    -------
    dict
        ``'z_std'``, ``'signal_std'`` (square root of the mean over units of the
        variance over samples), ``'fraction_zero'`` (of the activations), each an
        array with one value per hidden layer.

    Raises
    ------
    TypeError
        If ``activation`` or ``init`` is not a string.
    ValueError
        If ``activation`` or ``init`` is not one of the accepted names.
    ValueError
        Unless ``depth >= 1``, ``width >= 2`` and ``n_samples >= 2``.
    TypeError
        If ``rng`` is not ``None``, an int or a ``numpy.random.Generator``.
    ValueError
        If ``rng`` is a negative int.

    Examples
    --------
    >>> s = layer_statistics(3, 16, 'relu', 'he_normal', n_samples=50, rng=0)
    >>> s['z_std'].shape
    (3,)
    """
    if isinstance(activation, str):
        activation = activation.strip().lower()
    check_choice(activation, tuple(ACTIVATIONS), name="activation")
    check_choice(init, tuple(INITIALIZERS), name="init")
    depth, width, n_samples = int(depth), int(width), int(n_samples)
    if depth < 1 or width < 2 or n_samples < 2:
        raise ValueError(f"need depth >= 1, width >= 2 and n_samples >= 2, got {depth}, {width}, {n_samples}.")
    gen = check_random_state(rng)
    dims = [width] * (depth + 1) + [1]
    params = initialize_parameters(dims, init, rng=gen)
    X = gen.standard_normal((width, n_samples))
    with np.errstate(over="ignore", invalid="ignore"):
        _, cache = forward_propagation(params, X, activation)
        z_std = np.array([cache[f"Z{l}"].std() for l in range(1, depth + 1)])
        signal = np.array([np.sqrt(cache[f"Z{l}"].var(axis=1).mean()) for l in range(1, depth + 1)])
    zero = np.array([np.mean(cache[f"A{l}"] == 0) for l in range(1, depth + 1)])
    return {"z_std": z_std, "signal_std": signal, "fraction_zero": zero}


def plot_layer_statistics(stats: dict, title: str = ""):
    """Two panels: the stds per layer (log scale) and the fraction of zero activations.

    Parameters
    ----------
    stats : dict
        The result of :func:`layer_statistics` (keys ``'z_std'``,
        ``'signal_std'``, ``'fraction_zero'``).
    title : str, optional
        Figure title.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Not shown; the caller displays or closes it.

    Raises
    ------
    KeyError
        If ``stats`` lacks one of the keys above.
    """
    import matplotlib.pyplot as plt

    layers = np.arange(1, len(stats["z_std"]) + 1)
    fig, (ax_std, ax_zero) = plt.subplots(1, 2, figsize=(12, 4))
    ax_std.plot(layers, stats["z_std"], "o-", label="std of Z_l (pooled over units and samples)")
    ax_std.plot(layers, stats["signal_std"], "s--", label="signal: spread between samples (Part 8)")
    ax_std.axhline(1.0, color="grey", lw=0.8, ls=":")
    finite = np.concatenate([stats["z_std"], stats["signal_std"]])
    finite = finite[np.isfinite(finite) & (finite > 0)]
    if finite.size:
        ax_std.set_yscale("log")
    ax_std.set(xlabel="hidden layer l", ylabel="std", title="Scale of the pre-activations")
    ax_std.legend(fontsize=8)
    ax_zero.plot(layers, stats["fraction_zero"], "o-", color="tab:red")
    ax_zero.set(xlabel="hidden layer l", ylabel="fraction", ylim=(-0.02, 1.02),
                title="Fraction of activations exactly 0")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def explore(depth: int = 20, width: int = 64, activation: str = "relu", init: str = "he_normal", *,
            interactive: bool = True, rng=None):
    """Sliders and menus for :func:`layer_statistics` if possible, else one static figure.

    Returns the ipywidgets object when interactive, else the matplotlib figure.
    Each redraw uses a new draw of the weights from ``rng``.

    Parameters
    ----------
    depth, width : int
        Initial number of hidden layers and their width.
    activation : str, default 'relu'
        One of :data:`EXPLORER_ACTIVATIONS`.
    init : str, default 'he_normal'
        One of :data:`EXPLORER_INITS`.
    interactive : bool, default True
        Use ipywidgets if it is installed; otherwise (or if False) draw one figure.
    rng : None, int or numpy.random.Generator, optional

    Returns
    -------
    widget or matplotlib.figure.Figure

    Raises
    ------
    TypeError
        If ``rng`` is not ``None``, an int or a ``numpy.random.Generator``.
    ValueError
        If ``rng`` is a negative int.
    TypeError or ValueError
        What :func:`layer_statistics` raises for the initial values.
    """
    gen = check_random_state(rng)

    def draw(depth, width, activation, init):
        import matplotlib.pyplot as plt

        stats = layer_statistics(depth, width, activation, init, rng=gen)
        fig = plot_layer_statistics(stats, f"{init} with {activation}: {depth} hidden layers of {width} units")
        plt.show()
        return fig

    if interactive:
        try:
            import ipywidgets as widgets
        except ImportError:
            interactive = False
    if not interactive:
        return draw(depth, width, activation, init)
    return widgets.interact(
        draw,
        depth=widgets.IntSlider(value=depth, min=1, max=50, description="depth"),
        width=widgets.IntSlider(value=width, min=4, max=512, step=4, description="width"),
        activation=widgets.Dropdown(options=list(EXPLORER_ACTIVATIONS), value=activation, description="activation"),
        init=widgets.Dropdown(options=list(EXPLORER_INITS), value=init, description="init"),
    )
