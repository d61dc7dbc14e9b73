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

import numpy as np

from ._guard import reference
from ._validation import check_choice, check_positive, check_random_state, check_real, check_shape
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
    """All zeros.

    Fine for biases; for weights every unit computes the same function and
    receives the same gradient, so symmetry is never broken (Part 2).

    Parameters
    ----------
    shape : int or tuple of int
        Any shape with every size ``>= 1`` (1-D allowed: no fan is needed).

    Returns
    -------
    W : ndarray of float64, of shape ``shape``
        A new array.

    Raises
    ------
    TypeError
        If ``shape`` is not an int or a tuple (or list) of ints.
    ValueError
        If a size is ``<= 0``.

    See Also
    --------
    ones, random_small

    Notes
    -----
    As ``torch.nn.init.zeros_`` and Keras' ``Zeros``.

    Examples
    --------
    >>> zeros((2, 3)).sum()
    np.float64(0.0)
    """
    return np.zeros(check_shape(shape, min_dims=1))


@reference("ones")
def ones(shape) -> np.ndarray:
    """All ones: as symmetric as :func:`zeros`, and large. Not for weights.

    Parameters
    ----------
    shape : int or tuple of int
        Any shape with every size ``>= 1`` (1-D allowed: no fan is needed).

    Returns
    -------
    W : ndarray of float64, of shape ``shape``
        A new array.

    Raises
    ------
    TypeError
        If ``shape`` is not an int or a tuple (or list) of ints.
    ValueError
        If a size is ``<= 0``.

    Notes
    -----
    As ``torch.nn.init.ones_`` and Keras' ``Ones``.

    Examples
    --------
    >>> ones((2, 3)).sum()
    np.float64(6.0)
    """
    return np.ones(check_shape(shape, min_dims=1))


@reference("random_small")
def random_small(shape, scale: float = 0.01, *, rng=None) -> np.ndarray:
    r"""Normal with a fixed small std: :math:`W \sim \mathcal{N}(0, \text{scale}^2)`.

    The traditional choice; in a deep net the activations shrink by a factor of
    roughly ``scale * sqrt(n_in)`` per layer and vanish (Part 4).

    Parameters
    ----------
    shape : int or tuple of int
        Any shape with every size ``>= 1`` (1-D allowed: no fan is needed).
    scale : float, default 0.01
        Standard deviation, a finite number ``> 0``.
    rng : None, int or numpy.random.Generator, optional
        Source of randomness: ``None`` draws a fresh OS seed, an ``int >= 0``
        seeds a new ``numpy.random.default_rng``, a ``Generator`` is used as
        is (successive calls continue its stream). numpy's global state is
        never used. Keyword-only.

    Returns
    -------
    W : ndarray of float64, of shape ``shape``
        A new array.

    Raises
    ------
    TypeError
        If ``shape`` is not an int or a tuple (or list) of ints.
    ValueError
        If a size is ``<= 0``.
    TypeError
        If ``scale`` is not a real number.
    ValueError
        If ``scale`` is not finite or ``<= 0``.
    TypeError
        If ``rng`` is not ``None``, an ``int`` or a ``numpy.random.Generator``.
    ValueError
        If ``rng`` is a negative ``int``.

    See Also
    --------
    random_large, he_normal

    Notes
    -----
    ``torch.nn.init.normal_(w, 0, scale)`` and Keras' ``RandomNormal(0, scale)``
    draw from the same distribution.

    Examples
    --------
    >>> W = random_small((64, 128), rng=0)
    >>> W.shape, round(float(W.std()), 3)
    ((64, 128), 0.01)
    """
    scale = check_positive(scale, name="scale")
    return _normal(check_shape(shape, min_dims=1), scale, rng)


@reference("random_large")
def random_large(shape, scale: float = 1.0, *, rng=None) -> np.ndarray:
    r"""Normal with a fixed large std: :math:`W \sim \mathcal{N}(0, \text{scale}^2)`.

    Activations grow by roughly ``scale * sqrt(n_in)`` per layer and explode or
    saturate (Part 4).

    Parameters
    ----------
    shape : int or tuple of int
        Any shape with every size ``>= 1`` (1-D allowed: no fan is needed).
    scale : float, default 1.0
        Standard deviation, a finite number ``> 0``.
    rng : None, int or numpy.random.Generator, optional
        Source of randomness: ``None`` draws a fresh OS seed, an ``int >= 0``
        seeds a new ``numpy.random.default_rng``, a ``Generator`` is used as
        is (successive calls continue its stream). numpy's global state is
        never used. Keyword-only.

    Returns
    -------
    W : ndarray of float64, of shape ``shape``
        A new array.

    Raises
    ------
    TypeError
        If ``shape`` is not an int or a tuple (or list) of ints.
    ValueError
        If a size is ``<= 0``.
    TypeError
        If ``scale`` is not a real number.
    ValueError
        If ``scale`` is not finite or ``<= 0``.
    TypeError
        If ``rng`` is not ``None``, an ``int`` or a ``numpy.random.Generator``.
    ValueError
        If ``rng`` is a negative ``int``.

    See Also
    --------
    random_small

    Examples
    --------
    >>> W = random_large((64, 128), rng=0)
    >>> round(float(W.std()), 1)
    1.0
    """
    scale = check_positive(scale, name="scale")
    return _normal(check_shape(shape, min_dims=1), scale, rng)


@reference("xavier_normal")
def xavier_normal(shape, gain: float = 1.0, *, rng=None) -> np.ndarray:
    r"""Xavier/Glorot normal initialization (Glorot & Bengio 2010 [1]_, normal form).

    .. math::
        W \sim \mathcal{N}(0, \sigma^2), \qquad
        \sigma = \text{gain} \cdot \sqrt{\frac{2}{\text{fan\_in} + \text{fan\_out}}}

    The variance :math:`2/(\text{fan\_in} + \text{fan\_out})` is the compromise of
    their Eq. 12 between keeping the forward (:math:`1/\text{fan\_in}`) and the
    backward (:math:`1/\text{fan\_out}`) variance, derived for symmetric
    activations that are linear around 0 (tanh).

    Parameters
    ----------
    shape : tuple of int
        ``(n_out, n_in)`` or ``(n_out, n_in, *kernel)`` (PyTorch's layout, see
        :func:`initlab.compute_fans`), every size ``>= 1``, at least 2 dims.
    gain : float, default 1.0
        Scaling factor, a finite number ``> 0`` (see :func:`initlab.calculate_gain`;
        PyTorch also accepts 0 and negative gains).
    rng : None, int or numpy.random.Generator, optional
        Source of randomness: ``None`` draws a fresh OS seed, an ``int >= 0``
        seeds a new ``numpy.random.default_rng``, a ``Generator`` is used as
        is (successive calls continue its stream). numpy's global state is
        never used. Keyword-only.

    Returns
    -------
    W : ndarray of float64, of shape ``shape``
        A new array.

    Raises
    ------
    TypeError
        If ``shape`` is not a tuple (or list) of ints.
    ValueError
        If a size is ``<= 0`` or ``shape`` has fewer than 2 dimensions (fans
        are undefined for a 1-D shape).
    TypeError
        If ``gain`` is not a real number.
    ValueError
        If ``gain`` is not finite or ``<= 0``.
    TypeError
        If ``rng`` is not ``None``, an ``int`` or a ``numpy.random.Generator``.
    ValueError
        If ``rng`` is a negative ``int``.

    See Also
    --------
    xavier_uniform, variance_scaling

    Notes
    -----
    Same as ``torch.nn.init.xavier_normal_(w, gain)``, fans included (PyTorch's
    layout). Keras' ``GlorotNormal`` draws from a normal truncated at two standard
    deviations, with the std divided by 0.8796 so the variance stays the same;
    here the normal is untruncated, as PyTorch's. For Keras' behaviour use
    ``variance_scaling(shape, 1.0, 'fan_avg', 'truncated_normal')``.

    References
    ----------
    .. [1] X. Glorot and Y. Bengio, "Understanding the difficulty of training
       deep feedforward neural networks", AISTATS 2010.

    Examples
    --------
    >>> W = xavier_normal((256, 512), rng=0)
    >>> round(float(W.std()), 3)   # sqrt(2 / 768) = 0.051
    0.051
    """
    fan_in, fan_out = compute_fans(shape)
    gain = check_positive(gain, name="gain")
    return _normal(tuple(shape), gain * math.sqrt(2.0 / (fan_in + fan_out)), rng)


@reference("xavier_uniform")
def xavier_uniform(shape, gain: float = 1.0, *, rng=None) -> np.ndarray:
    r"""Xavier/Glorot uniform initialization (Glorot & Bengio 2010 [1]_, Eq. 16).

    .. math::
        W \sim \mathcal{U}(-a, a), \qquad
        a = \text{gain} \cdot \sqrt{\frac{6}{\text{fan\_in} + \text{fan\_out}}}

    so that :math:`\operatorname{Var}(W) = a^2/3 = \text{gain}^2 \cdot 2/(\text{fan\_in}+\text{fan\_out})`
    (their Eq. 12).

    Parameters
    ----------
    shape : tuple of int
        ``(n_out, n_in)`` or ``(n_out, n_in, *kernel)`` (PyTorch's layout, see
        :func:`initlab.compute_fans`), every size ``>= 1``, at least 2 dims.
    gain : float, default 1.0
        Scaling factor, a finite number ``> 0`` (see :func:`initlab.calculate_gain`).
    rng : None, int or numpy.random.Generator, optional
        Source of randomness: ``None`` draws a fresh OS seed, an ``int >= 0``
        seeds a new ``numpy.random.default_rng``, a ``Generator`` is used as
        is (successive calls continue its stream). numpy's global state is
        never used. Keyword-only.

    Returns
    -------
    W : ndarray of float64, of shape ``shape``
        A new array.

    Raises
    ------
    TypeError
        If ``shape`` is not a tuple (or list) of ints.
    ValueError
        If a size is ``<= 0`` or ``shape`` has fewer than 2 dimensions (fans
        are undefined for a 1-D shape).
    TypeError
        If ``gain`` is not a real number.
    ValueError
        If ``gain`` is not finite or ``<= 0``.
    TypeError
        If ``rng`` is not ``None``, an ``int`` or a ``numpy.random.Generator``.
    ValueError
        If ``rng`` is a negative ``int``.

    See Also
    --------
    xavier_normal, variance_scaling

    Notes
    -----
    Same as ``torch.nn.init.xavier_uniform_(w, gain)`` and Keras'
    ``GlorotUniform`` (whose dense kernels are laid out ``(n_in, n_out)``, the
    transpose of the shape expected here).

    References
    ----------
    .. [1] X. Glorot and Y. Bengio, "Understanding the difficulty of training
       deep feedforward neural networks", AISTATS 2010.

    Examples
    --------
    >>> W = xavier_uniform((64, 128), rng=0)
    >>> bool(abs(W).max() <= (6 / 192) ** 0.5)
    True
    """
    fan_in, fan_out = compute_fans(shape)
    gain = check_positive(gain, name="gain")
    return _uniform(tuple(shape), gain * math.sqrt(6.0 / (fan_in + fan_out)), rng)


def _he_std(shape, negative_slope, mode):
    slope = check_real(negative_slope, name="negative_slope")
    gain = math.sqrt(2.0 / (1.0 + slope**2))
    return gain / math.sqrt(_fan(shape, mode))


@reference("he_normal")
def he_normal(shape, negative_slope: float = 0.0, mode: str = "fan_in", *, rng=None) -> np.ndarray:
    r"""He/Kaiming normal initialization (He et al. 2015 [1]_, Eq. 10; leaky ReLU form Eq. 15).

    .. math::
        W \sim \mathcal{N}(0, \sigma^2), \qquad
        \sigma = \sqrt{\frac{2}{(1 + a^2)\,\text{fan}}}

    with :math:`a` = ``negative_slope`` (0 for ReLU) and :math:`\text{fan}`
    chosen by ``mode``. A ReLU zeroes half of its input's second moment; the
    factor 2 restores it, so the variance of the activations is preserved
    through depth.

    Parameters
    ----------
    shape : tuple of int
        ``(n_out, n_in)`` or ``(n_out, n_in, *kernel)`` (PyTorch's layout, see
        :func:`initlab.compute_fans`), every size ``>= 1``, at least 2 dims.
    negative_slope : float, default 0.0
        Slope ``a`` of the negative part of a leaky ReLU (any finite real; 0
        for ReLU). PyTorch calls it ``a``.
    mode : {'fan_in', 'fan_out', 'fan_avg'}, default 'fan_in'
        ``'fan_in'`` preserves the variance of the activations in the forward
        pass, ``'fan_out'`` that of the gradients in the backward pass.
        ``'fan_avg'`` (the mean of the two) is an extension: PyTorch's
        ``kaiming_*_`` accept only ``'fan_in'`` and ``'fan_out'``.
    rng : None, int or numpy.random.Generator, optional
        Source of randomness: ``None`` draws a fresh OS seed, an ``int >= 0``
        seeds a new ``numpy.random.default_rng``, a ``Generator`` is used as
        is (successive calls continue its stream). numpy's global state is
        never used. Keyword-only.

    Returns
    -------
    W : ndarray of float64, of shape ``shape``
        A new array.

    Raises
    ------
    TypeError
        If ``shape`` is not a tuple (or list) of ints.
    ValueError
        If a size is ``<= 0`` or ``shape`` has fewer than 2 dimensions (fans
        are undefined for a 1-D shape).
    TypeError
        If ``negative_slope`` is not a real number, or ``mode`` not a string.
    ValueError
        If ``negative_slope`` is not finite, or ``mode`` is not one of the three.
    TypeError
        If ``rng`` is not ``None``, an ``int`` or a ``numpy.random.Generator``.
    ValueError
        If ``rng`` is a negative ``int``.

    See Also
    --------
    he_uniform, variance_scaling, initlab.calculate_gain

    Notes
    -----
    Framework differences: identical to ``torch.nn.init.kaiming_*_(w, a,
    mode, nonlinearity='leaky_relu')`` (PyTorch's default nonlinearity; there
    is no ``nonlinearity`` argument here: the gain is always
    :math:`\sqrt{2/(1+a^2)}`). Keras' ``HeNormal`` draws from a normal
    truncated at two standard deviations (std divided by 0.8796 to keep the
    variance); here the normal is untruncated, as PyTorch's (for Keras'
    behaviour use ``variance_scaling(shape, 2.0, 'fan_in', 'truncated_normal')``).
    Keras lays out a dense kernel as ``(n_in, n_out)``, the transpose of the
    shape expected here; the fans are the same once the layout is converted.

    References
    ----------
    .. [1] K. He, X. Zhang, S. Ren and J. Sun, "Delving Deep into Rectifiers:
       Surpassing Human-Level Performance on ImageNet Classification", ICCV 2015.

    Examples
    --------
    >>> W = he_normal((256, 512), rng=0)
    >>> round(float(W.std()), 3)   # sqrt(2 / 512) = 0.0625
    0.063
    >>> he_normal((16, 3, 5, 5), mode='fan_out', rng=0).shape   # a conv kernel: fan_out = 16 * 25
    (16, 3, 5, 5)
    """
    return _normal(tuple(shape), _he_std(shape, negative_slope, mode), rng)


@reference("he_uniform")
def he_uniform(shape, negative_slope: float = 0.0, mode: str = "fan_in", *, rng=None) -> np.ndarray:
    r"""He/Kaiming uniform initialization (He et al. 2015 [1]_).

    .. math::
        W \sim \mathcal{U}(-b, b), \qquad b = \sqrt{3}\,\sigma
        = \sqrt{\frac{6}{(1 + a^2)\,\text{fan}}}

    with :math:`a` = ``negative_slope``: the uniform with the variance of
    :func:`he_normal`.

    Parameters
    ----------
    shape : tuple of int
        ``(n_out, n_in)`` or ``(n_out, n_in, *kernel)`` (PyTorch's layout, see
        :func:`initlab.compute_fans`), every size ``>= 1``, at least 2 dims.
    negative_slope : float, default 0.0
        Slope ``a`` of the negative part of a leaky ReLU (any finite real; 0
        for ReLU). PyTorch calls it ``a``.
    mode : {'fan_in', 'fan_out', 'fan_avg'}, default 'fan_in'
        ``'fan_in'`` preserves the variance of the activations in the forward
        pass, ``'fan_out'`` that of the gradients in the backward pass.
        ``'fan_avg'`` (the mean of the two) is an extension: PyTorch's
        ``kaiming_*_`` accept only ``'fan_in'`` and ``'fan_out'``.
    rng : None, int or numpy.random.Generator, optional
        Source of randomness: ``None`` draws a fresh OS seed, an ``int >= 0``
        seeds a new ``numpy.random.default_rng``, a ``Generator`` is used as
        is (successive calls continue its stream). numpy's global state is
        never used. Keyword-only.

    Returns
    -------
    W : ndarray of float64, of shape ``shape``
        A new array.

    Raises
    ------
    TypeError
        If ``shape`` is not a tuple (or list) of ints.
    ValueError
        If a size is ``<= 0`` or ``shape`` has fewer than 2 dimensions (fans
        are undefined for a 1-D shape).
    TypeError
        If ``negative_slope`` is not a real number, or ``mode`` not a string.
    ValueError
        If ``negative_slope`` is not finite, or ``mode`` is not one of the three.
    TypeError
        If ``rng`` is not ``None``, an ``int`` or a ``numpy.random.Generator``.
    ValueError
        If ``rng`` is a negative ``int``.

    See Also
    --------
    he_normal, variance_scaling

    Notes
    -----
    Same as ``torch.nn.init.kaiming_uniform_(w, a, mode, 'leaky_relu')`` and,
    with ``negative_slope=0`` and ``mode='fan_in'``, Keras' ``HeUniform``. (Note
    that PyTorch's ``nn.Linear`` and ``nn.Conv*`` call ``kaiming_uniform_`` with
    ``a=sqrt(5)``, i.e. a bound of ``1/sqrt(fan_in)``, not He's default.)

    References
    ----------
    .. [1] K. He, X. Zhang, S. Ren and J. Sun, "Delving Deep into Rectifiers:
       Surpassing Human-Level Performance on ImageNet Classification", ICCV 2015.

    Examples
    --------
    >>> W = he_uniform((64, 128), rng=0)
    >>> bool(abs(W).max() <= (6 / 128) ** 0.5)
    True
    """
    return _uniform(tuple(shape), math.sqrt(3.0) * _he_std(shape, negative_slope, mode), rng)


@reference("lecun_normal")
def lecun_normal(shape, *, rng=None) -> np.ndarray:
    r"""LeCun normal initialization (LeCun et al. 1998 [1]_; the one SELU needs [2]_).

    .. math:: W \sim \mathcal{N}\!\left(0, \tfrac{1}{\text{fan\_in}}\right)

    Keeps the variance of a linear (or SELU) layer's output equal to its input's.

    Parameters
    ----------
    shape : tuple of int
        ``(n_out, n_in)`` or ``(n_out, n_in, *kernel)`` (PyTorch's layout, see
        :func:`initlab.compute_fans`), every size ``>= 1``, at least 2 dims.
    rng : None, int or numpy.random.Generator, optional
        Source of randomness: ``None`` draws a fresh OS seed, an ``int >= 0``
        seeds a new ``numpy.random.default_rng``, a ``Generator`` is used as
        is (successive calls continue its stream). numpy's global state is
        never used. Keyword-only.

    Returns
    -------
    W : ndarray of float64, of shape ``shape``
        A new array.

    Raises
    ------
    TypeError
        If ``shape`` is not a tuple (or list) of ints.
    ValueError
        If a size is ``<= 0`` or ``shape`` has fewer than 2 dimensions (fans
        are undefined for a 1-D shape).
    TypeError
        If ``rng`` is not ``None``, an ``int`` or a ``numpy.random.Generator``.
    ValueError
        If ``rng`` is a negative ``int``.

    See Also
    --------
    lecun_uniform, variance_scaling

    Notes
    -----
    PyTorch has no LeCun initializer; this equals
    ``torch.nn.init.kaiming_normal_(w, nonlinearity='linear')``. Keras'
    ``LecunNormal`` draws from a normal truncated at two standard deviations (std
    corrected); here the normal is untruncated. For Keras' behaviour use
    ``variance_scaling(shape, 1.0, 'fan_in', 'truncated_normal')``.

    References
    ----------
    .. [1] Y. LeCun, L. Bottou, G. B. Orr and K.-R. Müller, "Efficient BackProp",
       in Neural Networks: Tricks of the Trade, Springer, 1998 (Sec. 4.6).
    .. [2] G. Klambauer, T. Unterthiner, A. Mayr and S. Hochreiter,
       "Self-Normalizing Neural Networks", NeurIPS 2017.

    Examples
    --------
    >>> W = lecun_normal((256, 400), rng=0)
    >>> round(float(W.std()), 2)   # sqrt(1 / 400) = 0.05
    0.05
    """
    fan_in, _ = compute_fans(shape)
    return _normal(tuple(shape), math.sqrt(1.0 / fan_in), rng)


@reference("lecun_uniform")
def lecun_uniform(shape, *, rng=None) -> np.ndarray:
    r"""LeCun uniform initialization (LeCun et al. 1998 [1]_).

    .. math:: W \sim \mathcal{U}(-a, a), \qquad a = \sqrt{3/\text{fan\_in}}

    the uniform with the variance :math:`1/\text{fan\_in}` of :func:`lecun_normal`.

    Parameters
    ----------
    shape : tuple of int
        ``(n_out, n_in)`` or ``(n_out, n_in, *kernel)`` (PyTorch's layout, see
        :func:`initlab.compute_fans`), every size ``>= 1``, at least 2 dims.
    rng : None, int or numpy.random.Generator, optional
        Source of randomness: ``None`` draws a fresh OS seed, an ``int >= 0``
        seeds a new ``numpy.random.default_rng``, a ``Generator`` is used as
        is (successive calls continue its stream). numpy's global state is
        never used. Keyword-only.

    Returns
    -------
    W : ndarray of float64, of shape ``shape``
        A new array.

    Raises
    ------
    TypeError
        If ``shape`` is not a tuple (or list) of ints.
    ValueError
        If a size is ``<= 0`` or ``shape`` has fewer than 2 dimensions (fans
        are undefined for a 1-D shape).
    TypeError
        If ``rng`` is not ``None``, an ``int`` or a ``numpy.random.Generator``.
    ValueError
        If ``rng`` is a negative ``int``.

    Notes
    -----
    Same as Keras' ``LecunUniform`` (and ``torch.nn.init.kaiming_uniform_(w,
    nonlinearity='linear')``).

    References
    ----------
    .. [1] Y. LeCun, L. Bottou, G. B. Orr and K.-R. Müller, "Efficient BackProp",
       in Neural Networks: Tricks of the Trade, Springer, 1998 (Sec. 4.6).
    .. [2] G. Klambauer, T. Unterthiner, A. Mayr and S. Hochreiter,
       "Self-Normalizing Neural Networks", NeurIPS 2017.

    Examples
    --------
    >>> W = lecun_uniform((64, 300), rng=0)
    >>> bool(abs(W).max() <= 0.1)   # sqrt(3 / 300) = 0.1
    True
    """
    fan_in, _ = compute_fans(shape)
    return _uniform(tuple(shape), math.sqrt(3.0 / fan_in), rng)


@reference("orthogonal")
def orthogonal(shape, gain: float = 1.0, *, rng=None) -> np.ndarray:
    r"""(Semi-)orthogonal matrix drawn from the Haar measure (Saxe et al. 2014 [1]_).

    The weight is viewed as a matrix of shape ``(n_out, prod(rest))``. A Gaussian
    matrix of shape ``(max, min)`` is factored as :math:`A = QR`, and the columns
    of :math:`Q` are multiplied by :math:`\operatorname{sign}(\operatorname{diag} R)`
    so that :math:`Q` is Haar-distributed [2]_. The result has orthonormal rows
    when ``n_out <= prod(rest)`` and orthonormal columns otherwise, times ``gain``:

    .. math:: W W^\top = \text{gain}^2 I \quad\text{or}\quad W^\top W = \text{gain}^2 I

    All singular values equal ``gain``, so a deep linear network neither shrinks
    nor amplifies any direction (dynamical isometry).

    Parameters
    ----------
    shape : tuple of int
        ``(n_out, n_in)`` or ``(n_out, n_in, *kernel)`` (PyTorch's layout, see
        :func:`initlab.compute_fans`), every size ``>= 1``, at least 2 dims.
    gain : float, default 1.0
        Scaling factor, a finite number ``> 0``.
    rng : None, int or numpy.random.Generator, optional
        Source of randomness: ``None`` draws a fresh OS seed, an ``int >= 0``
        seeds a new ``numpy.random.default_rng``, a ``Generator`` is used as
        is (successive calls continue its stream). numpy's global state is
        never used. Keyword-only.

    Returns
    -------
    W : ndarray of float64, of shape ``shape``
        A new array.

    Raises
    ------
    TypeError
        If ``shape`` is not a tuple (or list) of ints.
    ValueError
        If a size is ``<= 0`` or ``shape`` has fewer than 2 dimensions (fans
        are undefined for a 1-D shape).
    TypeError
        If ``gain`` is not a real number.
    ValueError
        If ``gain`` is not finite or ``<= 0``.
    TypeError
        If ``rng`` is not ``None``, an ``int`` or a ``numpy.random.Generator``.
    ValueError
        If ``rng`` is a negative ``int``.

    Notes
    -----
    Same algorithm and flattening as ``torch.nn.init.orthogonal_(w, gain)``
    (rows = ``n_out``). Keras' ``Orthogonal`` flattens its own layout, all
    dimensions but the last against the last (``(prod(kernel) * n_in, n_out)``);
    the distributions agree after converting the layout. Where ``diag R`` has a
    zero (probability 0) the sign is taken as +1; PyTorch's ``sign`` would zero
    that column.

    References
    ----------
    .. [1] A. M. Saxe, J. L. McClelland and S. Ganguli, "Exact solutions to the
       nonlinear dynamics of learning in deep linear neural networks", ICLR 2014.
    .. [2] F. Mezzadri, "How to generate random matrices from the classical
       compact groups", Notices of the AMS 54(5), 2007.

    Examples
    --------
    >>> W = orthogonal((3, 5), rng=0)
    >>> bool(np.allclose(W @ W.T, np.eye(3)))
    True
    >>> W = orthogonal((8, 4, 3, 3), gain=2.0, rng=0)   # viewed as (8, 36)
    >>> bool(np.allclose(W.reshape(8, -1) @ W.reshape(8, -1).T, 4 * np.eye(8)))
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
    r"""The general family (Keras' ``VarianceScaling``): Xavier, He and LeCun are special cases.

    With :math:`n` = fan_in, fan_out or their average (``mode``), the target
    variance is :math:`\text{scale}/n`:

    * ``'normal'``: :math:`\mathcal{N}(0, \text{scale}/n)`, untruncated;
    * ``'truncated_normal'``: a normal truncated at two standard deviations,
      with std :math:`\sqrt{\text{scale}/n}\,/\,0.8796\ldots`
      (:data:`TRUNCATED_NORMAL_STD_CORRECTION`, the std of a standard normal
      truncated to :math:`[-2, 2]`) so the variance after truncation is still
      :math:`\text{scale}/n`, as Keras;
    * ``'uniform'``: :math:`\mathcal{U}(-a, a)`, :math:`a = \sqrt{3\,\text{scale}/n}`.

    ``scale=2, mode='fan_in'`` is He, ``scale=1, mode='fan_avg'`` is Xavier,
    ``scale=1, mode='fan_in'`` is LeCun.

    Parameters
    ----------
    shape : tuple of int
        ``(n_out, n_in)`` or ``(n_out, n_in, *kernel)`` (PyTorch's layout, see
        :func:`initlab.compute_fans`), every size ``>= 1``, at least 2 dims.
    scale : float, default 1.0
        Multiplier of the variance, a finite number ``> 0``.
    mode : {'fan_in', 'fan_out', 'fan_avg'}, default 'fan_in'
        Which fan divides ``scale``.
    distribution : {'normal', 'truncated_normal', 'uniform'}, default 'normal'
        Shape of the distribution, see above.
    rng : None, int or numpy.random.Generator, optional
        Source of randomness: ``None`` draws a fresh OS seed, an ``int >= 0``
        seeds a new ``numpy.random.default_rng``, a ``Generator`` is used as
        is (successive calls continue its stream). numpy's global state is
        never used. Keyword-only.

    Returns
    -------
    W : ndarray of float64, of shape ``shape``
        A new array.

    Raises
    ------
    TypeError
        If ``shape`` is not a tuple (or list) of ints.
    ValueError
        If a size is ``<= 0`` or ``shape`` has fewer than 2 dimensions (fans
        are undefined for a 1-D shape).
    TypeError
        If ``scale`` is not a real number, or ``mode`` / ``distribution`` not a string.
    ValueError
        If ``scale`` is not finite or ``<= 0``, or ``mode`` / ``distribution`` is
        not one of the listed values.
    TypeError
        If ``rng`` is not ``None``, an ``int`` or a ``numpy.random.Generator``.
    ValueError
        If ``rng`` is a negative ``int``.

    Notes
    -----
    Differences from Keras' ``VarianceScaling(scale, mode, distribution)``:

    * Keras' default ``distribution`` is ``'truncated_normal'``; its documented
      values are ``'truncated_normal'``, ``'untruncated_normal'`` and
      ``'uniform'``, and tf.keras (like Keras 1 and 2) reads ``'normal'`` as
      ``'truncated_normal'``. Here the default is ``'normal'``, the
      *untruncated* normal (Keras' ``'untruncated_normal'``), as the lab and
      PyTorch define it; ask for ``'truncated_normal'`` to get Keras' default.
    * Keras lays out a dense kernel as ``(n_in, n_out)``; here a weight is
      ``(n_out, n_in, *kernel)``. The fans are the same once the layout is
      converted.

    PyTorch has no ``variance_scaling``; ``torch.nn.init.trunc_normal_(w, 0,
    std)`` truncates at the *absolute* values ``a=-2, b=2`` (not at two standard
    deviations) and does not correct the std, so its variance is below
    ``std**2``, unlike ``'truncated_normal'`` here.

    The truncated normal is drawn by rejection (about 4.6 % of the draws are
    redrawn), so it consumes a variable number of values from ``rng``.

    Examples
    --------
    >>> W = variance_scaling((256, 512), scale=2.0, rng=0)   # He normal
    >>> round(float(W.std()), 3)
    0.063
    >>> W = variance_scaling((256, 512), 1.0, 'fan_avg', 'truncated_normal', rng=0)
    >>> bool(abs(W).max() <= 2 * (2 / 768) ** 0.5 / TRUNCATED_NORMAL_STD_CORRECTION)
    True
    >>> round(float(W.std()), 3)   # sqrt(2 / 768) = 0.051, kept by the correction
    0.051
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
    :func:`initlab.initializers.he_normal`; see each function for its
    parameters.

    Examples
    --------
    >>> WeightInitializer.xavier_uniform((2, 3), rng=0).shape
    (2, 3)
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

    Parameters
    ----------
    method : str
        A key of :data:`INITIALIZERS`: ``'zeros'``, ``'ones'``,
        ``'random_small'``, ``'random_large'``, ``'xavier_normal'``,
        ``'xavier_uniform'``, ``'he_normal'``, ``'he_uniform'``,
        ``'lecun_normal'``, ``'lecun_uniform'``, ``'orthogonal'`` or
        ``'variance_scaling'``.
    shape : tuple of int
        The weight's shape, ``(n_out, n_in, *kernel)``.
    rng : None, int or numpy.random.Generator, optional
        Passed to the initializer (ignored by ``'zeros'`` and ``'ones'``).
    **options
        Further keyword arguments of the initializer (``gain``, ``mode``,
        ``scale``, ``negative_slope``, ``distribution``).

    Returns
    -------
    W : ndarray of float64, of shape ``shape``
        A new array.

    Raises
    ------
    TypeError
        If ``method`` is not a string, or an option is not accepted by the
        initializer; also what the initializer raises.
    ValueError
        If ``method`` is not a registered name; also what the initializer raises.

    Examples
    --------
    >>> initialize('he_normal', (4, 8), rng=0).shape
    (4, 8)
    >>> initialize('he_normal', (4, 8), rng=0, mode='fan_out').shape
    (4, 8)
    >>> bool((initialize('he_normal', (4, 8), rng=0) == he_normal((4, 8), rng=0)).all())
    True
    """
    check_choice(method, tuple(INITIALIZERS), name="method")
    func = INITIALIZERS[method]
    if method in _DETERMINISTIC:
        return func(shape, **options)
    return func(shape, rng=rng, **options)
