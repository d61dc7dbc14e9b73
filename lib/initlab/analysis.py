r"""Activation statistics of a deep network at initialization (Parts 4 and 5).

Introduced in ``source/weight_init/04_activation_statistics.ipynb`` and plotted
in ``05_activation_visualization.ipynb`` (see :mod:`initlab.plotting`).

What the theory predicts (Glorot & Bengio 2010, Sec. 4.2; He et al. 2015,
Sec. 2.2): for a layer :math:`z_l = W_l a_{l-1}` with i.i.d. zero-mean weights,

.. math:: \operatorname{Var}(z_l) = n_{l-1}\,\operatorname{Var}(W_l)\,E[a_{l-1}^2].

With ReLU, :math:`E[a^2] = \operatorname{Var}(z)/2`, so He's
:math:`\operatorname{Var}(W) = 2/n_{\text{in}}` keeps
:math:`\operatorname{Var}(z_l)/\operatorname{Var}(z_{l-1}) = 1`, and Xavier's
:math:`2/(n_{\text{in}} + n_{\text{out}})` (equal widths: :math:`1/n`) gives
:math:`1/2` per layer. The first layer is different: its input is the data, not
a rectified pre-activation, so :math:`E[x^2] = \operatorname{Var}(x)` and the
ratio is :math:`n_0 \operatorname{Var}(W_1)`: 2 for He, and
:math:`2 n_0/(n_0 + n_1)` for Xavier (1 only when the first layer is as wide as
the input; 0.667 on the lab's ``[50, 100, ...]`` network).

Differences from the lab, on purpose:

* ``fraction_zero`` (fraction of activations equal to 0, about 50 % for ReLU
  with any symmetric initialization) and ``fraction_dead`` (fraction of
  *units* that are 0 for every sample) are reported separately; the lab calls
  the first "dead neurons";
* the variance ratio :math:`\operatorname{Var}(z_l)/\operatorname{Var}(z_{l-1})`
  uses the real input variance for the first layer, not a ratio of standard
  deviations against an assumed 1.0;
* one rule for the output layer: hidden layers apply ``activation``, the output
  layer always applies the sigmoid, as the binary classifier of Part 6.
"""

from __future__ import annotations

import numpy as np

from ._guard import reference
from ._validation import check_2d, check_choice, check_layer_dims, check_random_state
from .activations import ACTIVATIONS
from .initializers import INITIALIZERS
from .training import forward_propagation, initialize_parameters

__all__ = ["layer_statistics", "variance_ratios", "ActivationAnalyzer", "analyze_activation_flow"]


@reference("layer_statistics")
def layer_statistics(Z, A) -> dict[str, dict[str, float]]:
    """Summary statistics of one layer's pre-activations ``Z`` and activations ``A``.

    Parameters
    ----------
    Z, A : arrays of shape (n_units, n_samples)
        Pre-activations and activations of the same layer.

    Returns
    -------
    dict
        ``{'pre_activation': {'mean', 'std', 'min', 'max'},
        'post_activation': {'mean', 'std', 'min', 'max', 'fraction_zero',
        'fraction_dead'}}``, all Python floats (stds are population stds).
        ``fraction_zero`` is the fraction of entries of ``A`` equal to 0;
        ``fraction_dead`` the fraction of units (rows) whose activation is 0 for
        every sample: a dead ReLU unit, which receives no gradient.

    Raises
    ------
    TypeError
        If an array argument is not numeric.
    ValueError
        If an array argument is not 2-D (features or units, samples).
    ValueError
        If ``A`` does not have the shape of ``Z``.

    Examples
    --------
    >>> Z = np.array([[-1.0, 2.0], [-3.0, -1.0]])
    >>> s = layer_statistics(Z, np.maximum(Z, 0))
    >>> s['post_activation']['fraction_zero'], s['post_activation']['fraction_dead']
    (0.75, 0.5)
    """
    Z = check_2d(Z, name="Z")
    A = check_2d(A, name="A")
    if Z.shape != A.shape:
        raise ValueError(f"A must have the shape of Z {Z.shape}, got A of shape {A.shape}.")
    zero = A == 0
    return {
        "pre_activation": {
            "mean": float(Z.mean()), "std": float(Z.std()), "min": float(Z.min()), "max": float(Z.max()),
        },
        "post_activation": {
            "mean": float(A.mean()), "std": float(A.std()), "min": float(A.min()), "max": float(A.max()),
            "fraction_zero": float(zero.mean()),
            "fraction_dead": float(zero.all(axis=1).mean()),
        },
    }


@reference("variance_ratios")
def variance_ratios(pre_activations, X) -> list[float]:
    r"""Layer-to-layer variance ratios :math:`\operatorname{Var}(z_l)/\operatorname{Var}(z_{l-1})`.

    With :math:`z_0 = X`, the input itself. Variances are taken over all entries
    of each array (units and samples, population variance). A ratio near 1
    means the layer preserves the signal's variance; He initialization with
    ReLU gives about 1 from layer 2 on and about 2 at layer 1 (its input is not
    rectified), Xavier with ReLU about 1/2 (see the module docstring).

    Caveat for a layer of one unit (the output of a binary classifier): its
    variance is across samples only, without the spread between units that a
    wide layer's pooled variance contains. In a deep ReLU network, where the
    representations of different inputs grow similar with depth, this is well
    below the theory (about 0.2 instead of 1 for He after seven hidden layers
    of 100 units), so compare hidden layers with each other.

    Parameters
    ----------
    pre_activations : list of arrays
        ``[Z1, ..., ZL]``, each of shape ``(n_l, n_samples)``.
    X : array of shape (n_0, n_samples)
        The network's input.

    Returns
    -------
    list of float
        One ratio per layer. If a previous variance is 0 the ratio is ``inf``
        (``nan`` if both variances are 0): the signal had already collapsed.

    Raises
    ------
    TypeError
        If ``pre_activations`` is not a list of arrays.
    TypeError
        If an array argument is not numeric.
    ValueError
        If an array argument is not 2-D (features or units, samples).
    ValueError
        If a layer's pre-activations do not have as many samples as ``X``.

    Examples
    --------
    >>> X = np.array([[1.0, -1.0]])
    >>> variance_ratios([2 * X, 2 * X, 0 * X], X)
    [4.0, 1.0, 0.0]
    """
    if isinstance(pre_activations, np.ndarray) or not isinstance(pre_activations, (list, tuple)):
        raise TypeError(
            f"pre_activations must be a list of arrays [Z1, ..., ZL], got "
            f"{type(pre_activations).__name__}."
        )
    X = check_2d(X, name="X")
    variances = [float(X.var())]
    m = X.shape[1]
    for l, Z in enumerate(pre_activations, start=1):
        Z = check_2d(Z, name=f"pre_activations[{l - 1}]")
        if Z.shape[1] != m:
            raise ValueError(
                f"pre_activations[{l - 1}] (Z{l}) must have {m} columns (samples) like X {X.shape}, "
                f"got shape {Z.shape}."
            )
        variances.append(float(Z.var()))
    ratios = []
    for prev, cur in zip(variances[:-1], variances[1:], strict=True):
        if prev > 0:
            ratios.append(cur / prev)
        else:
            ratios.append(float("nan") if cur == 0 else float("inf"))
    return ratios


class ActivationAnalyzer:
    """Propagate data through a freshly initialized network and record every layer.

    Hidden layers apply ``activation``; the output layer always applies the
    sigmoid (a binary classifier, as in Part 6). The lab instead applied the
    hidden activation at the output of a ReLU network.

    Parameters
    ----------
    layer_dims : list of int
        ``[n_0, n_1, ..., n_L]``, input width first.
    activation : str
        Hidden-layer activation, a name of :data:`initlab.ACTIVATIONS`.

    Attributes
    ----------
    parameters : dict
        ``{'W1', 'b1', ...}`` (biases zero) after :meth:`initialize_network`.
    activations : dict
        ``{'A0': X, 'Z1': ..., 'A1': ..., ...}`` after :meth:`forward_pass`.
    activation_stats : dict
        ``{'layer_1': layer_statistics(Z1, A1), ...}`` after :meth:`forward_pass`.

    Raises
    ------
    TypeError
        If ``layer_dims`` is not a list of ints.
    ValueError
        If ``layer_dims`` has fewer than two widths or a width ``<= 0``.
    TypeError
        If ``activation`` or ``method`` is not a string.
    ValueError
        If ``activation`` or ``method`` is not one of the accepted names.
    RuntimeError
        If :meth:`forward_pass` is called before :meth:`initialize_network`.
    ValueError
        If ``X`` does not have ``layer_dims[0]`` rows.

    Examples
    --------
    >>> an = ActivationAnalyzer([10, 8, 8, 1])
    >>> an.initialize_network('he_normal', rng=0)
    >>> an.forward_pass(np.ones((10, 4))).shape
    (1, 4)
    >>> sorted(an.activation_stats)
    ['layer_1', 'layer_2', 'layer_3']
    """

    def __init__(self, layer_dims, activation: str = "relu"):
        self.layer_dims = check_layer_dims(layer_dims)
        self.num_layers = len(self.layer_dims) - 1
        self.activation = check_choice(activation, tuple(ACTIVATIONS), name="activation")
        self.parameters: dict[str, np.ndarray] = {}
        self.activations: dict[str, np.ndarray] = {}
        self.activation_stats: dict[str, dict] = {}

    def initialize_network(self, method: str, *, rng=None, **options) -> None:
        """Draw every ``W_l`` of shape ``(n_l, n_{l-1})`` with ``method``; biases are zero.

        ``method`` is any name of :data:`initlab.INITIALIZERS`; ``options`` go
        to the initializer (e.g. ``scale=0.01`` for ``random_small``, its
        default).
        """
        self.parameters = initialize_parameters(self.layer_dims, method, rng=rng, **options)

    def forward_pass(self, X) -> np.ndarray:
        """Propagate ``X`` of shape ``(n_0, n_samples)``; return the output ``A_L``."""
        if not self.parameters:
            raise RuntimeError("call initialize_network(method) before forward_pass(X).")
        X = check_2d(X, name="X")
        if X.shape[0] != self.layer_dims[0]:
            raise ValueError(
                f"X must have shape ({self.layer_dims[0]}, n_samples) (features, samples) for "
                f"layer_dims {self.layer_dims}, got X of shape {X.shape}."
            )
        AL, self.activations = forward_propagation(self.parameters, X, self.activation)
        self.activation_stats = {
            f"layer_{l}": layer_statistics(self.activations[f"Z{l}"], self.activations[f"A{l}"])
            for l in range(1, self.num_layers + 1)
        }
        return AL


def analyze_activation_flow(architecture, X, init_method: str, activation: str, *,
                            rng=None) -> dict[str, list]:
    r"""Initialize a network, propagate ``X`` once and collect per-layer statistics.

    Parameters
    ----------
    architecture : list of int
        ``[n_0, ..., n_L]``; ``n_0`` must equal the number of rows of ``X``.
    X : array of shape (n_0, n_samples)
        Standardized inputs (see :func:`initlab.datasets.make_activation_data`).
    init_method : str
        A name of :data:`initlab.INITIALIZERS`, with its default options.
    activation : str
        Hidden-layer activation; the output layer is a sigmoid.
    rng : None, int or numpy.random.Generator

    Returns
    -------
    dict of lists, one entry per layer ``1..L``
        ``'layers'``, ``'pre_means'``, ``'pre_stds'``, ``'post_means'``,
        ``'post_stds'``, ``'zero_fractions'``, ``'dead_fractions'`` and
        ``'variance_ratios'`` (:func:`variance_ratios` with the real input).

    Raises
    ------
    TypeError
        If ``layer_dims`` is not a list of ints.
    ValueError
        If ``layer_dims`` has fewer than two widths or a width ``<= 0``.
    TypeError
        If ``init_method`` or ``activation`` is not a string.
    ValueError
        If ``init_method`` or ``activation`` is not one of the accepted names.
    TypeError
        If an array argument is not numeric.
    ValueError
        If an array argument is not 2-D (features or units, samples).
    TypeError
        If ``rng`` is not ``None``, an int or a ``numpy.random.Generator``.
    ValueError
        If ``rng`` is a negative int.

    Notes
    -----
    With the same ``rng``, the normal initializers (``random_small``,
    ``random_large``, ``xavier_normal``, ``he_normal``, ``lecun_normal``) draw
    the same standard normal numbers and differ only by a scale factor. ReLU is
    positively homogeneous (:math:`\mathrm{relu}(cz) = c\,\mathrm{relu}(z)`
    for :math:`c > 0`) and the biases are zero, so the same units are zero for
    the same samples: the zero and dead fractions of these methods are then
    identical, layer by layer. Only the scale of the signal differs.

    Examples
    --------
    >>> X = np.random.default_rng(0).standard_normal((100, 500))
    >>> r = analyze_activation_flow([100] * 5 + [1], X, 'he_normal', 'relu', rng=0)
    >>> [round(v, 1) for v in r['variance_ratios'][:4]]   # He + ReLU: 2, then about 1
    [2.0, 1.0, 1.1, 1.1]
    """
    check_choice(init_method, tuple(INITIALIZERS), name="init_method")
    gen = check_random_state(rng)
    analyzer = ActivationAnalyzer(architecture, activation)
    analyzer.initialize_network(init_method, rng=gen)
    analyzer.forward_pass(X)
    L = analyzer.num_layers
    stats = [analyzer.activation_stats[f"layer_{l}"] for l in range(1, L + 1)]
    pre = [s["pre_activation"] for s in stats]
    post = [s["post_activation"] for s in stats]
    return {
        "layers": list(range(1, L + 1)),
        "pre_means": [p["mean"] for p in pre],
        "pre_stds": [p["std"] for p in pre],
        "post_means": [p["mean"] for p in post],
        "post_stds": [p["std"] for p in post],
        "zero_fractions": [p["fraction_zero"] for p in post],
        "dead_fractions": [p["fraction_dead"] for p in post],
        "variance_ratios": variance_ratios(
            [analyzer.activations[f"Z{l}"] for l in range(1, L + 1)], analyzer.activations["A0"]),
    }
