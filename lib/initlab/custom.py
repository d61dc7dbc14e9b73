r"""Custom and data-driven initialization strategies (Part 8).

Introduced in ``source/weight_init/08_custom_initialization.ipynb``.

The first five functions are the lab's ``CustomInitializer`` heuristics, kept
with the lab's names and formulas; :func:`lsuv_init` is the data-driven
method that the lab's closing guide recommends but never implements (Mishkin
& Matas 2016). :class:`CustomInitializer` exposes them all as static methods.

Shape convention (PyTorch's), everywhere: a weight is ``(n_out, n_in)``, a
bias ``(n_out, 1)`` and data ``(features, samples)``. Every random function
takes a keyword-only ``rng`` (``None``, an ``int`` seed or a
``numpy.random.Generator``), never touches numpy's global random state and
returns float64.

Differences from the lab, on purpose:

* ``adaptive_he`` takes the gain from ``activation`` (PyTorch's
  :func:`~initlab.calculate_gain` table, leaky ReLU slope included); in the lab
  the argument changed nothing;
* ``layer_sequential_init`` checks that its shapes chain as ``(n_out, n_in)``;
  the lab's demo passes them as ``(n_in, n_out)``, so every layer reads the
  wrong fan-in and the last layer, ``(40, 1)``, gets std 1.1;
* ``spectral_norm_init`` computes the largest singular value only, not a full SVD.
"""

from __future__ import annotations

import math

import numpy as np

from ._guard import reference
from ._validation import (
    check_choice,
    check_dense_shapes,
    check_features,
    check_int,
    check_layer_dims,
    check_positive,
    check_random_state,
    check_real,
    check_shape,
)
from .activations import ACTIVATIONS, activate
from .fans import calculate_gain, compute_fans
from .initializers import orthogonal

__all__ = [
    "CustomInitializer", "adaptive_he", "layer_sequential_init", "residual_aware_init",
    "width_aware_init", "spectral_norm_init", "lsuv_init",
]


def _normal(shape, std, rng) -> np.ndarray:
    return check_random_state(rng).standard_normal(shape) * std


@reference("adaptive_he")
def adaptive_he(shape, activation: str = "relu", layer_depth: int = 1,
                negative_slope: float = 0.01, *, rng=None) -> np.ndarray:
    r"""He-style normal initialization shrunk with the layer's depth (the lab's heuristic).

    .. math::
        W \sim \mathcal{N}(0, \sigma^2), \qquad
        \sigma = \frac{\text{gain}}{\sqrt{\text{fan\_in}}} \cdot
                 \frac{1}{\sqrt{1 + 0.1\,\text{layer\_depth}}}

    where ``gain`` is :func:`initlab.calculate_gain` of ``activation``
    (PyTorch's table): :math:`\sqrt{2}` for ReLU (so depth 0 would be He et
    al. 2015, Eq. 10), :math:`\sqrt{2/(1+a^2)}` for leaky ReLU with slope
    :math:`a` (He et al. 2015, Eq. 15), :math:`5/3` for tanh, :math:`3/4` for
    SELU and :math:`1` for sigmoid and linear.

    The depth factor is the lab's own heuristic (no paper): layer 1 is scaled by
    :math:`1/\sqrt{1.1} \approx 0.95`, layer 10 by :math:`1/\sqrt{2}`. Since it
    is smaller than 1, the forward signal of a deep ReLU net shrinks a little at
    every layer instead of being preserved.

    Parameters
    ----------
    shape : tuple of int
        ``(n_out, n_in)`` or ``(n_out, n_in, *kernel)``.
    activation : {'relu', 'leaky_relu', 'tanh', 'sigmoid', 'selu', 'linear'}
        Nonlinearity that follows the layer; sets the gain. Case-insensitive,
        surrounding spaces ignored (``' ReLU'`` is ``'relu'``), as every
        activation name in the lab.
    layer_depth : int, default 1
        Position of the layer in the network, 1 for the first layer.
    negative_slope : float, default 0.01
        Slope of leaky ReLU for negative inputs (PyTorch's default); used only
        when ``activation='leaky_relu'``.
    rng : None, int or numpy.random.Generator
        Source of randomness.

    Returns
    -------
    numpy.ndarray of float64, shape ``shape``

    Raises
    ------
    TypeError
        If ``shape`` is not a tuple of ints.
    ValueError
        If a size is ``<= 0`` or ``shape`` has fewer than 2 dimensions.
    TypeError
        If ``activation`` is not a string.
    ValueError
        If ``activation`` is not one of the accepted names.
    TypeError or ValueError
        If ``layer_depth`` is not an int ``>= 1`` or ``negative_slope`` not a finite real.
    TypeError
        If ``rng`` is not ``None``, an int or a ``numpy.random.Generator``.
    ValueError
        If ``rng`` is a negative int.

    Examples
    --------
    >>> W = adaptive_he((256, 512), layer_depth=3, rng=0)
    >>> round(float(W.std()), 3)   # sqrt(2 / 512) / sqrt(1.3) = 0.0548
    0.055
    """
    fan_in, _ = compute_fans(shape)
    if isinstance(activation, str):  # the lab-wide rule: names are case-insensitive, spaces around ignored
        activation = activation.strip().lower()
    check_choice(activation, tuple(ACTIVATIONS), name="activation")
    layer_depth = check_int(layer_depth, name="layer_depth", minimum=1)
    slope = check_real(negative_slope, name="negative_slope")
    gain = calculate_gain(activation, slope if activation == "leaky_relu" else None)
    std = gain / math.sqrt(fan_in) / math.sqrt(1.0 + 0.1 * layer_depth)
    return _normal(tuple(shape), std, rng)


@reference("layer_sequential_init")
def layer_sequential_init(shapes, activation: str = "relu", decay: float = 0.95, *,
                          rng=None) -> dict[str, np.ndarray]:
    r"""Initialize a whole network, shrinking the std geometrically with depth (the lab's heuristic).

    For layer :math:`l = 1, \dots, L` with weight shape ``(n_out, n_in)``:

    .. math::
        W_l \sim \mathcal{N}(0, \sigma_l^2), \qquad
        \sigma_l = \sqrt{\frac{c}{n_{\text{in}}}} \cdot \text{decay}^{\,l-1},
        \qquad b_l = 0,

    with :math:`c = 2` (He) for ``activation='relu'`` and :math:`c = 1`
    (LeCun) for every other activation, as in the lab.

    The shapes must chain: ``shapes[l][1] == shapes[l-1][0]``. The lab's demo
    passes ``[(128, 100), (100, 80), ...]``, i.e. ``(n_in, n_out)``; read as
    ``(n_out, n_in)`` its last layer ``(40, 1)`` has fan-in 1 and gets std
    about 1.1. Here such a list is rejected with a message that shows the
    reversed shapes.

    Parameters
    ----------
    shapes : list of (int, int)
        Weight shape ``(n_out, n_in)`` of each layer, first layer first.
    activation : {'relu', 'leaky_relu', 'tanh', 'sigmoid', 'selu', 'linear'}
        ``'relu'`` selects :math:`c = 2`; the others :math:`c = 1`.
    decay : float, default 0.95
        Factor applied to the std of each layer after the first.
    rng : None, int or numpy.random.Generator
        Source of randomness; one generator draws all layers in order.

    Returns
    -------
    dict
        ``{'W1': (n_out, n_in), 'b1': (n_out, 1), 'W2': ..., ...}``, float64.

    Raises
    ------
    TypeError
        If ``shapes`` is not a list of ``(n_out, n_in)`` tuples.
    ValueError
        If ``shapes`` is empty, a shape is not 2-D or has a size ``<= 0``, or the
        shapes do not chain (``shapes[l][1] != shapes[l-1][0]``; the message
        suggests the transposed list when that chains).
    TypeError
        If ``activation`` is not a string.
    ValueError
        If ``activation`` is not one of the accepted names.
    TypeError or ValueError
        If ``decay`` is not a finite positive number.
    TypeError
        If ``rng`` is not ``None``, an int or a ``numpy.random.Generator``.
    ValueError
        If ``rng`` is a negative int.

    Examples
    --------
    >>> params = layer_sequential_init([(100, 128), (80, 100), (1, 80)], rng=0)
    >>> params['W3'].shape, params['b3'].shape
    ((1, 80), (1, 1))
    """
    dims = check_dense_shapes(shapes)
    check_choice(activation, tuple(ACTIVATIONS), name="activation")
    decay = check_positive(decay, name="decay")
    gen = check_random_state(rng)
    c = 2.0 if activation == "relu" else 1.0
    parameters = {}
    for l, (n_out, n_in) in enumerate(dims, 1):
        std = math.sqrt(c / n_in) * decay ** (l - 1)
        parameters[f"W{l}"] = gen.standard_normal((n_out, n_in)) * std
        parameters[f"b{l}"] = np.zeros((n_out, 1))
    return parameters


@reference("residual_aware_init")
def residual_aware_init(shape, has_residual: bool = False, *, rng=None) -> np.ndarray:
    r"""Halve the weight variance of layers inside a residual branch (the lab's heuristic).

    .. math::
        W \sim \mathcal{N}\!\left(0, \frac{c}{\text{fan\_in}}\right), \qquad
        c = \begin{cases} 1 & \text{has\_residual} \\ 2 & \text{otherwise (He)} \end{cases}

    Why smaller: a residual block computes :math:`x + F(x)`, so the variances
    of the skip path and of the branch add up, and with many blocks the signal
    grows unless each branch is scaled down.

    What practice does instead (not implemented in initlab): Fixup (Zhang,
    Dauphin & Ma 2019, "Fixup Initialization: Residual Learning Without
    Normalization") scales the branch weights by :math:`L^{-1/(2m-2)}`
    (:math:`L` blocks, :math:`m` layers per branch) and initializes the last
    layer of each branch to zero; ResNets with batch normalization initialize
    the scale :math:`\gamma` of the last BN of each branch to zero (Goyal et al.
    2017), so every block starts as the identity.

    Parameters
    ----------
    shape : tuple of int
        ``(n_out, n_in)`` or ``(n_out, n_in, *kernel)``.
    has_residual : bool, default False
        Whether the layer sits in a residual branch.
    rng : None, int or numpy.random.Generator
        Source of randomness.

    Returns
    -------
    W : ndarray of float64, of shape ``shape``

    Raises
    ------
    TypeError
        If ``shape`` is not a tuple of ints.
    ValueError
        If a size is ``<= 0`` or ``shape`` has fewer than 2 dimensions.
    TypeError
        If ``has_residual`` is not ``True`` or ``False``.
    TypeError
        If ``rng`` is not ``None``, an int or a ``numpy.random.Generator``.
    ValueError
        If ``rng`` is a negative int.

    Examples
    --------
    >>> W = residual_aware_init((256, 512), has_residual=True, rng=0)
    >>> round(float(W.std()), 3)   # sqrt(1 / 512) = 0.0442
    0.044
    """
    fan_in, _ = compute_fans(shape)
    if not isinstance(has_residual, (bool, np.bool_)):
        raise TypeError(
            f"has_residual must be True or False, got {has_residual!r} of type "
            f"{type(has_residual).__name__}."
        )
    c = 1.0 if has_residual else 2.0
    return _normal(tuple(shape), math.sqrt(c / fan_in), rng)


@reference("width_aware_init")
def width_aware_init(shape, target_std: float = 1.0, *, rng=None) -> np.ndarray:
    r"""The lab's "width-aware" normal initialization.

    .. math::
        W \sim \mathcal{N}(0, \sigma^2), \qquad
        \sigma = \text{target\_std} \cdot
                 \sqrt{\frac{\text{fan\_out}}{\text{fan\_in} + \text{fan\_out}}}
                 \cdot \frac{1}{\sqrt{\text{fan\_in}}}

    This is the lab's heuristic, with no paper behind it. Despite the name,
    neither the weights nor the layer's outputs get the std ``target_std``:
    for inputs of unit variance, :math:`z = W x` has

    .. math::
        \operatorname{Var}(z_i) = \text{fan\_in}\,\sigma^2
        = \text{target\_std}^2 \cdot \frac{\text{fan\_out}}{\text{fan\_in} + \text{fan\_out}},

    which lies between 0 and ``target_std**2`` (half of it for a square layer):
    wide-output layers keep more of the signal than narrow-output ones.
    Compared to Xavier's :math:`2/(\text{fan\_in}+\text{fan\_out})`, the weight
    variance is multiplied by :math:`\text{target\_std}^2\,\text{fan\_out} /
    (2\,\text{fan\_in})`.

    Parameters
    ----------
    shape : tuple of int
        ``(n_out, n_in)`` or ``(n_out, n_in, *kernel)``.
    target_std : float, default 1.0
        Overall scale.
    rng : None, int or numpy.random.Generator
        Source of randomness.

    Returns
    -------
    W : ndarray of float64, of shape ``shape``

    Raises
    ------
    TypeError
        If ``shape`` is not a tuple of ints.
    ValueError
        If a size is ``<= 0`` or ``shape`` has fewer than 2 dimensions.
    TypeError or ValueError
        If ``target_std`` is not a finite positive number.
    TypeError
        If ``rng`` is not ``None``, an int or a ``numpy.random.Generator``.
    ValueError
        If ``rng`` is a negative int.

    Examples
    --------
    >>> W = width_aware_init((256, 256), rng=0)
    >>> round(float(W.std()), 4)   # sqrt(1/2) / sqrt(256) = 0.0442
    0.0442
    """
    fan_in, fan_out = compute_fans(shape)
    target_std = check_positive(target_std, name="target_std")
    std = target_std * math.sqrt(fan_out / (fan_in + fan_out)) / math.sqrt(fan_in)
    return _normal(tuple(shape), std, rng)


@reference("spectral_norm_init")
def spectral_norm_init(shape, spectral_radius: float = 0.9, *, rng=None) -> np.ndarray:
    r"""Gaussian matrix rescaled so that its spectral norm (largest singular value) is given.

    .. math::
        W = \text{spectral\_radius} \cdot \frac{G}{\sigma_{\max}(G)}, \qquad
        G_{ij} \sim \mathcal{N}(0, 1), \qquad \|W\|_2 = \sigma_{\max}(W) = \text{spectral\_radius}.

    Only :math:`\sigma_{\max}` is computed: it is the square root of the largest
    eigenvalue of the smaller Gram matrix (:math:`G G^\top` or :math:`G^\top G`),
    obtained with :func:`scipy.linalg.eigh` restricted to that one eigenvalue;
    the lab computes a full SVD and throws all but one singular value away.

    The parameter keeps the lab's name, but what is set is the *spectral norm*.
    For a square matrix the spectral radius (largest :math:`|\lambda|`) is at
    most the spectral norm and usually smaller (for a square Gaussian matrix,
    about :math:`\sqrt{n}` against :math:`2\sqrt{n}`), so an RNN initialized
    this way with ``spectral_radius=0.9`` has an actual spectral radius near
    0.45. Bounding the norm is what bounds :math:`\|W x\| \le \text{radius}\,\|x\|`
    for every :math:`x`. Spectral *normalization* (Miyato et al. 2018)
    re-applies this scaling at every training step; here it is applied once.

    Parameters
    ----------
    shape : (int, int)
        ``(n_out, n_in)``; 2-D only.
    spectral_radius : float, default 0.9
        Target largest singular value.
    rng : None, int or numpy.random.Generator
        Source of randomness.

    Returns
    -------
    W : ndarray of float64, of shape ``shape``

    Raises
    ------
    TypeError
        If ``shape`` is not a tuple of ints.
    ValueError
        If a size is ``<= 0`` or ``shape`` has fewer than 2 dimensions.
    ValueError
        If ``shape`` is not 2-D ``(n_out, n_in)`` (reshape a kernel first).
    TypeError or ValueError
        If ``spectral_radius`` is not a finite positive number.
    TypeError
        If ``rng`` is not ``None``, an int or a ``numpy.random.Generator``.
    ValueError
        If ``rng`` is a negative int.
    ImportError
        If SciPy (used for the eigenvalues) is not installed.

    Examples
    --------
    >>> W = spectral_norm_init((64, 128), spectral_radius=0.5, rng=0)
    >>> round(float(np.linalg.norm(W, 2)), 10)
    0.5
    """
    from scipy.linalg import eigh

    dims = check_shape(shape, min_dims=2)
    if len(dims) != 2:
        raise ValueError(
            f"shape must be 2-D (n_out, n_in) for spectral_norm_init, got {shape!r} with "
            f"{len(dims)} dimensions. Reshape a kernel to (n_out, -1) first."
        )
    spectral_radius = check_positive(spectral_radius, name="spectral_radius")
    G = check_random_state(rng).standard_normal(dims)
    gram = G @ G.T if dims[0] <= dims[1] else G.T @ G
    k = gram.shape[0]
    largest = eigh(gram, eigvals_only=True, subset_by_index=[k - 1, k - 1])[0]
    return G * (spectral_radius / math.sqrt(largest))


@reference("lsuv_init")
def lsuv_init(layer_dims, X, activation: str = "relu", tol: float = 0.1, max_iter: int = 10, *,
              rng=None, return_info: bool = False):
    r"""Layer-sequential unit-variance (LSUV) initialization (Mishkin & Matas 2016).

    Algorithm 1 of "All you need is a good init" (ICLR 2016), for a dense net:

    1. draw every weight as an orthonormal matrix
       (:func:`initlab.initializers.orthogonal`, Saxe et al. 2014), biases zero;
    2. for each layer :math:`l = 1, \dots, L` in order: forward the batch ``X``
       through the layers already initialized, compute the variance of the
       layer's output :math:`Z_l = W_l A_{l-1} + b_l` (over all units and
       samples), and rescale

       .. math:: W_l \leftarrow \frac{W_l}{\sqrt{\operatorname{Var}(Z_l)}}

       until :math:`|\operatorname{Var}(Z_l) - 1| < \text{tol}` or ``max_iter``
       rescalings were made (the paper's :math:`\text{Tol}_{var}=0.1`,
       :math:`T_{max}=10`).

    Hidden layers apply ``activation`` to :math:`Z_l`; the output layer's
    :math:`Z_L` is normalized as well (its activation is left to the caller).
    With zero biases :math:`Z_l` is linear in :math:`W_l`, so one rescaling
    makes the variance 1 up to rounding and the loop stops after one
    iteration; the loop matters when each iteration sees a new mini-batch, as
    in the paper, or when biases are not zero.

    Parameters
    ----------
    layer_dims : list of int
        Widths ``[n_0, n_1, ..., n_L]``, input first.
    X : array_like, shape (n_0, m)
        A batch of (preferably standardized) inputs, features by samples.
    activation : {'relu', 'leaky_relu', 'tanh', 'sigmoid', 'selu', 'linear'}
        Activation of the hidden layers.
    tol : float, default 0.1
        Tolerance on :math:`|\operatorname{Var}(Z_l) - 1|`.
    max_iter : int, default 10
        Maximum number of rescalings per layer.
    rng : None, int or numpy.random.Generator
        Source of randomness for the orthonormal start.
    return_info : bool, default False
        Also return a dict with, per layer, ``'initial_variances'`` (after the
        orthonormal start), ``'variances'`` (final) and ``'iterations'``
        (rescalings made).

    Returns
    -------
    parameters : dict
        ``{'W1': (n_1, n_0), 'b1': (n_1, 1), ...}``, float64.
    info : dict
        Only if ``return_info``.

    Raises
    ------
    TypeError
        If ``layer_dims`` is not a list of ints.
    ValueError
        If ``layer_dims`` has fewer than two widths or a width ``<= 0``.
    TypeError or ValueError
        If ``X`` is not a finite 2-D array with ``layer_dims[0]`` rows (the
        message suggests ``X.T`` when that fits).
    TypeError
        If ``activation`` is not a string.
    ValueError
        If ``activation`` is not one of the accepted names.
    TypeError or ValueError
        If ``tol`` is not a finite positive number or ``max_iter`` not an int ``>= 1``.
    TypeError
        If ``return_info`` is not ``True`` or ``False``.
    ValueError
        If a layer's output has zero or non-finite variance on ``X`` (it cannot be
        scaled to 1).
    TypeError
        If ``rng`` is not ``None``, an int or a ``numpy.random.Generator``.
    ValueError
        If ``rng`` is a negative int.

    Examples
    --------
    >>> X = np.random.default_rng(0).standard_normal((20, 500))
    >>> params, info = lsuv_init([20, 64, 64, 1], X, rng=0, return_info=True)
    >>> [round(v, 6) for v in info['variances']]
    [1.0, 1.0, 1.0]
    """
    dims = check_layer_dims(layer_dims)
    A = check_features(X, dims[0])
    check_choice(activation, tuple(ACTIVATIONS), name="activation")
    tol = check_positive(tol, name="tol")
    max_iter = check_int(max_iter, name="max_iter", minimum=1)
    if not isinstance(return_info, (bool, np.bool_)):
        raise TypeError(f"return_info must be True or False, got {return_info!r}.")
    gen = check_random_state(rng)

    L = len(dims) - 1
    parameters = {}
    for l in range(1, L + 1):
        parameters[f"W{l}"] = orthogonal((dims[l], dims[l - 1]), rng=gen)
        parameters[f"b{l}"] = np.zeros((dims[l], 1))

    info = {"initial_variances": [], "variances": [], "iterations": []}
    for l in range(1, L + 1):
        W, b = parameters[f"W{l}"], parameters[f"b{l}"]
        iterations = 0
        while True:
            Z = W @ A + b
            variance = float(Z.var())
            if iterations == 0:
                info["initial_variances"].append(variance)
            if abs(variance - 1.0) < tol or iterations == max_iter:
                break
            if not (variance > 0.0 and math.isfinite(variance)):
                raise ValueError(
                    f"lsuv_init: the output of layer {l} has variance {variance!r} on this batch, "
                    f"so it cannot be scaled to 1. Use a batch X with varying, standardized features."
                )
            W /= math.sqrt(variance)
            iterations += 1
        info["variances"].append(variance)
        info["iterations"].append(iterations)
        A = activate(Z, activation) if l < L else Z
    if return_info:
        return parameters, info
    return parameters


class CustomInitializer:
    """The lab's custom strategies as static methods (names unchanged from the lab).

    ``CustomInitializer.adaptive_he((64, 128), layer_depth=2, rng=0)`` is
    :func:`initlab.custom.adaptive_he`; :func:`lsuv_init` is added.

    See each function for its parameters, return value and errors.

    Examples
    --------
    >>> CustomInitializer.adaptive_he((64, 128), layer_depth=2, rng=0).shape
    (64, 128)
    """

    adaptive_he = staticmethod(adaptive_he)
    layer_sequential_init = staticmethod(layer_sequential_init)
    residual_aware_init = staticmethod(residual_aware_init)
    width_aware_init = staticmethod(width_aware_init)
    spectral_norm_init = staticmethod(spectral_norm_init)
    lsuv_init = staticmethod(lsuv_init)
