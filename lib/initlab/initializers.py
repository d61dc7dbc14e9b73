"""The weight initializers of Part 2 (``02_initialization_strategies.ipynb``).

One small function per initializer, shape first, then scalars with defaults,
then a keyword-only ``rng`` (``None``, an ``int`` seed or a
``numpy.random.Generator``; numpy's global random state is never touched).
Every function returns a new float64 array of the requested shape.

Shape convention (PyTorch's): ``(n_out, n_in)`` or ``(n_out, n_in, *kernel)``;
see :func:`initlab.compute_fans`.

Differences from the frameworks, on purpose:

* ``xavier_normal``, ``he_normal`` and ``lecun_normal`` draw from a plain normal
  distribution, as ``torch.nn.init`` does. Keras' ``GlorotNormal``,
  ``HeNormal`` and ``LecunNormal`` draw from a normal truncated at two standard
  deviations (with the std corrected so the variance is the same); ask for that
  with ``variance_scaling(..., distribution='truncated_normal')``.
* ``he_*`` take ``negative_slope`` and ``mode`` as PyTorch's ``kaiming_*_``
  (``a`` there), but default to ``negative_slope=0`` (plain ReLU).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._guard import reference
from ._validation import check_choice, check_positive, check_random_state, check_shape
from .fans import compute_fans

__all__ = [
    "WeightInitializer", "initialize", "INITIALIZERS", "TRUNCATED_NORMAL_STD_CORRECTION",
    "zeros", "ones", "random_small", "random_large", "xavier_normal", "xavier_uniform",
    "he_normal", "he_uniform", "lecun_normal", "lecun_uniform", "orthogonal", "variance_scaling",
]

#: Std of a standard normal truncated to [-2, 2]; Keras divides by it so that a
#: truncated normal keeps the intended variance.
TRUNCATED_NORMAL_STD_CORRECTION = 0.87962566103423978

_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("normal", "truncated_normal", "uniform")


def _fan(shape, mode: str) -> float:
    fan_in, fan_out = compute_fans(shape)
    check_choice(mode, _MODES, name="mode")
    return {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[mode]


def _normal(shape, std, rng):
    return check_random_state(rng).standard_normal(shape) * std


def _uniform(shape, bound, rng):
    return check_random_state(rng).uniform(-bound, bound, size=shape)


def _truncated_standard_normal(shape, gen: np.random.Generator) -> np.ndarray:
    """Standard normal truncated to [-2, 2], by rejection (about 4.6 % redrawn)."""
    out = gen.standard_normal(shape)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = gen.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2.0
    return out


@reference("zeros")
def zeros(shape) -> np.ndarray:
    """All zeros. Fine for biases; for weights every unit computes the same
    function and receives the same gradient, so symmetry is never broken.

    >>> zeros((2, 3)).sum()
    np.float64(0.0)
    """
    return np.zeros(check_shape(shape, min_dims=1))


@reference("ones")
def ones(shape) -> np.ndarray:
    """All ones: as symmetric as :func:`zeros`, and large. Not for weights.

    >>> ones((2, 3)).sum()
    np.float64(6.0)
    """
    return np.ones(check_shape(shape, min_dims=1))


@reference("random_small")
def random_small(shape, scale: float = 0.01, *, rng=None) -> np.ndarray:
    r"""Normal with a fixed small std: :math:`W \sim \mathcal{N}(0, \text{scale}^2)`.

    The traditional choice; in a deep net the activations shrink by a factor of
    roughly ``scale * sqrt(n_in)`` per layer and vanish (Part 4).

    >>> random_small((64, 128), rng=0).shape
    (64, 128)
    """
    scale = check_positive(scale, name="scale")
    return _normal(check_shape(shape, min_dims=1), scale, rng)


@reference("random_large")
def random_large(shape, scale: float = 1.0, *, rng=None) -> np.ndarray:
    r"""Normal with a fixed large std: :math:`W \sim \mathcal{N}(0, \text{scale}^2)`.

    Activations grow by roughly ``scale * sqrt(n_in)`` per layer and explode or
    saturate.
    """
    scale = check_positive(scale, name="scale")
    return _normal(check_shape(shape, min_dims=1), scale, rng)


@reference("xavier_normal")
def xavier_normal(shape, gain: float = 1.0, *, rng=None) -> np.ndarray:
    r"""Xavier/Glorot normal (Glorot & Bengio 2010, Eq. 12; normal form).

    .. math::
        W \sim \mathcal{N}(0, \sigma^2), \qquad
        \sigma = \text{gain} \cdot \sqrt{\frac{2}{\text{fan\_in} + \text{fan\_out}}}

    Same as ``torch.nn.init.xavier_normal_``. Keras' ``GlorotNormal`` truncates
    at two standard deviations instead.

    Args:
        shape: ``(n_out, n_in, *kernel)``.
        gain: optional scaling factor (see :func:`initlab.calculate_gain`).
        rng: ``None``, an ``int`` seed or a ``numpy.random.Generator``.

    >>> W = xavier_normal((256, 512), rng=0)
    >>> round(float(W.std()), 2)   # sqrt(2 / 768) = 0.051
    0.05
    """
    fan_in, fan_out = compute_fans(shape)
    gain = check_positive(gain, name="gain")
    return _normal(tuple(shape), gain * math.sqrt(2.0 / (fan_in + fan_out)), rng)


@reference("xavier_uniform")
def xavier_uniform(shape, gain: float = 1.0, *, rng=None) -> np.ndarray:
    r"""Xavier/Glorot uniform (Glorot & Bengio 2010, Eq. 16; the variance rule is their Eq. 12).

    .. math::
        W \sim \mathcal{U}(-a, a), \qquad
        a = \text{gain} \cdot \sqrt{\frac{6}{\text{fan\_in} + \text{fan\_out}}}

    so that :math:`\operatorname{Var}(W) = a^2/3 = 2/(\text{fan\_in}+\text{fan\_out})`.
    Same as ``torch.nn.init.xavier_uniform_`` and Keras' ``GlorotUniform``.

    >>> W = xavier_uniform((64, 128), rng=0)
    >>> bool(abs(W).max() <= (6 / 192) ** 0.5)
    True
    """
    fan_in, fan_out = compute_fans(shape)
    gain = check_positive(gain, name="gain")
    return _uniform(tuple(shape), gain * math.sqrt(6.0 / (fan_in + fan_out)), rng)


def _he_std(shape, negative_slope, mode):
    if isinstance(negative_slope, bool) or not isinstance(negative_slope, numbers.Real):
        raise TypeError(
            f"negative_slope must be a real number, got {negative_slope!r} of type "
            f"{type(negative_slope).__name__}."
        )
    slope = float(negative_slope)
    if not math.isfinite(slope):
        raise ValueError(f"negative_slope must be a finite number, got {negative_slope!r}.")
    gain = math.sqrt(2.0 / (1.0 + slope**2))
    return gain / math.sqrt(_fan(shape, mode))


@reference("he_normal")
def he_normal(shape, negative_slope: float = 0.0, mode: str = "fan_in", *, rng=None) -> np.ndarray:
    r"""He/Kaiming normal (He et al. 2015, Eq. 10; leaky ReLU form Eq. 15).

    .. math::
        W \sim \mathcal{N}(0, \sigma^2), \qquad
        \sigma = \sqrt{\frac{2}{(1 + a^2)\,\text{fan}}}

    with ``a = negative_slope`` (0 for ReLU) and ``fan`` chosen by ``mode``
    (``'fan_in'`` preserves the forward variance, ``'fan_out'`` the backward).
    Same as ``torch.nn.init.kaiming_normal_(w, a, mode, 'leaky_relu')``.

    >>> W = he_normal((256, 512), rng=0)
    >>> round(float(W.std()), 3)   # sqrt(2 / 512) = 0.0625
    0.063
    """
    return _normal(tuple(shape), _he_std(shape, negative_slope, mode), rng)


@reference("he_uniform")
def he_uniform(shape, negative_slope: float = 0.0, mode: str = "fan_in", *, rng=None) -> np.ndarray:
    r"""He/Kaiming uniform (He et al. 2015).

    .. math::
        W \sim \mathcal{U}(-a, a), \qquad a = \sqrt{3}\,\sigma
        = \sqrt{\frac{6}{(1 + \text{negative\_slope}^2)\,\text{fan}}}

    Same as ``torch.nn.init.kaiming_uniform_`` and Keras' ``HeUniform``.
    """
    return _uniform(tuple(shape), math.sqrt(3.0) * _he_std(shape, negative_slope, mode), rng)


@reference("lecun_normal")
def lecun_normal(shape, *, rng=None) -> np.ndarray:
    r"""LeCun normal (LeCun et al. 1998; used by SELU, Klambauer et al. 2017).

    .. math:: W \sim \mathcal{N}\!\left(0, \tfrac{1}{\text{fan\_in}}\right)

    Plain normal, as ``torch.nn.init.kaiming_normal_(w, nonlinearity='linear')``;
    Keras' ``LecunNormal`` truncates at two standard deviations.
    """
    fan_in, _ = compute_fans(shape)
    return _normal(tuple(shape), math.sqrt(1.0 / fan_in), rng)


@reference("lecun_uniform")
def lecun_uniform(shape, *, rng=None) -> np.ndarray:
    r"""LeCun uniform: :math:`W \sim \mathcal{U}(-a, a)`, :math:`a = \sqrt{3/\text{fan\_in}}`.

    Same as Keras' ``LecunUniform``.
    """
    fan_in, _ = compute_fans(shape)
    return _uniform(tuple(shape), math.sqrt(3.0 / fan_in), rng)


@reference("orthogonal")
def orthogonal(shape, gain: float = 1.0, *, rng=None) -> np.ndarray:
    r"""(Semi-)orthogonal matrix drawn from the Haar measure (Saxe et al. 2014).

    The weight is viewed as ``(n_out, prod(rest))``. A Gaussian matrix of shape
    ``(max, min)`` is factored as :math:`A = QR`, and the columns of :math:`Q`
    are multiplied by :math:`\operatorname{sign}(\operatorname{diag} R)` so
    that :math:`Q` is Haar-distributed (Mezzadri 2007), as in
    ``torch.nn.init.orthogonal_``. The result has orthonormal rows when
    ``n_out <= prod(rest)`` and orthonormal columns otherwise, times ``gain``:

    .. math:: W W^\top = \text{gain}^2 I \quad\text{or}\quad W^\top W = \text{gain}^2 I

    >>> W = orthogonal((3, 5), rng=0)
    >>> bool(np.allclose(W @ W.T, np.eye(3)))
    True
    """
    dims = check_shape(shape, min_dims=2)
    gain = check_positive(gain, name="gain")
    rows, cols = dims[0], math.prod(dims[1:])
    gen = check_random_state(rng)
    a = gen.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    d = np.sign(np.diag(r))
    d[d == 0] = 1.0
    q = q * d
    if rows < cols:
        q = q.T
    return (gain * q).reshape(dims)


@reference("variance_scaling")
def variance_scaling(shape, scale: float = 1.0, mode: str = "fan_in",
                     distribution: str = "normal", *, rng=None) -> np.ndarray:
    r"""The general family: Xavier, He and LeCun are special cases (Keras' ``VarianceScaling``).

    With ``n`` = fan_in, fan_out or their average (``mode``), the target
    variance is :math:`\text{scale}/n`:

    * ``'normal'``: :math:`\mathcal{N}(0, \text{scale}/n)`;
    * ``'truncated_normal'``: normal truncated at two standard deviations, with
      std :math:`\sqrt{\text{scale}/n}\,/\,0.8796\ldots` so the variance after
      truncation is still :math:`\text{scale}/n` (as Keras);
    * ``'uniform'``: :math:`\mathcal{U}(-a, a)`, :math:`a = \sqrt{3\,\text{scale}/n}`.

    ``scale=2, mode='fan_in'`` is He, ``scale=1, mode='fan_avg'`` is Xavier,
    ``scale=1, mode='fan_in'`` is LeCun.

    Note: Keras' ``distribution='normal'`` is an alias of ``'truncated_normal'``;
    here ``'normal'`` is an untruncated normal, as the lab defines it.
    """
    scale = check_positive(scale, name="scale")
    n = _fan(shape, mode)
    check_choice(distribution, _DISTRIBUTIONS, name="distribution")
    dims = tuple(shape)
    variance = scale / n
    if distribution == "normal":
        return _normal(dims, math.sqrt(variance), rng)
    if distribution == "uniform":
        return _uniform(dims, math.sqrt(3.0 * variance), rng)
    std = math.sqrt(variance) / TRUNCATED_NORMAL_STD_CORRECTION
    return _truncated_standard_normal(dims, check_random_state(rng)) * std


class WeightInitializer:
    """The lab's initializers as static methods (names unchanged from the lab).

    ``WeightInitializer.he_normal((64, 128), rng=0)`` is
    :func:`initlab.initializers.he_normal`.
    """

    zeros = staticmethod(zeros)
    ones = staticmethod(ones)
    random_small = staticmethod(random_small)
    random_large = staticmethod(random_large)
    xavier_normal = staticmethod(xavier_normal)
    xavier_uniform = staticmethod(xavier_uniform)
    he_normal = staticmethod(he_normal)
    he_uniform = staticmethod(he_uniform)
    lecun_normal = staticmethod(lecun_normal)
    lecun_uniform = staticmethod(lecun_uniform)
    orthogonal = staticmethod(orthogonal)
    variance_scaling = staticmethod(variance_scaling)


#: Method names, as the lab spells them, mapped to their functions.
INITIALIZERS = {
    "zeros": zeros,
    "ones": ones,
    "random_small": random_small,
    "random_large": random_large,
    "xavier_normal": xavier_normal,
    "xavier_uniform": xavier_uniform,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "lecun_normal": lecun_normal,
    "lecun_uniform": lecun_uniform,
    "orthogonal": orthogonal,
    "variance_scaling": variance_scaling,
}

_DETERMINISTIC = {"zeros", "ones"}


def initialize(method: str, shape, *, rng=None, **options) -> np.ndarray:
    """Draw a weight of ``shape`` with the initializer registered as ``method``.

    >>> initialize('he_normal', (4, 8), rng=0).shape
    (4, 8)
    >>> initialize('he_normal', (4, 8), rng=0, mode='fan_out').shape
    (4, 8)
    """
    check_choice(method, tuple(INITIALIZERS), name="method")
    func = INITIALIZERS[method]
    if method in _DETERMINISTIC:
        return func(shape, **options)
    return func(shape, rng=rng, **options)
