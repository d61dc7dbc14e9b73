"""Fans and gains: the two numbers every variance-scaling initializer needs.

Introduced in Part 1 (``01_mathematical_foundations.ipynb``).

Shape convention (as PyTorch's ``torch.nn.init``): a dense weight has shape
``(n_out, n_in)`` and a convolution kernel ``(n_out, n_in, *kernel)``, so
``fan_in = n_in * prod(kernel)`` and ``fan_out = n_out * prod(kernel)``.
"""

from __future__ import annotations

import math

from ._validation import check_choice, check_real, check_shape

__all__ = ["compute_fans", "calculate_gain", "GAIN_NONLINEARITIES"]

GAIN_NONLINEARITIES = (
    "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
    "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu",
)


def compute_fans(shape) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` of a weight of the given shape.

    Parameters
    ----------
    shape : tuple of int
        ``(n_out, n_in)`` or ``(n_out, n_in, *kernel)``.

    Returns
    -------
    fan_in, fan_out : int
        ``n_in * prod(kernel)`` and ``n_out * prod(kernel)``.

    Raises
    ------
    TypeError
        If ``shape`` is not a tuple (or list) of ints.
    ValueError
        If a size is ``<= 0`` or ``shape`` has fewer than 2 dimensions.

    Notes
    -----
    Same numbers as PyTorch's ``_calculate_fan_in_and_fan_out`` (which also
    rejects 1-D shapes). Keras computes the same fans from its own layout
    (``(n_in, n_out)`` for a dense kernel, ``(*kernel, n_in, n_out)`` for a
    convolution, i.e. input and output channels last), so a Keras-shaped array
    passed here gets its fans swapped or wrong: transpose it to PyTorch's
    layout first. For a 1-D shape Keras uses ``fan_in = fan_out = n``; here it
    is an error.

    Examples
    --------
    >>> compute_fans((64, 128))
    (128, 64)
    >>> compute_fans((16, 3, 5, 5))
    (75, 400)
    """
    dims = check_shape(shape, min_dims=2)
    receptive = math.prod(dims[2:])
    return dims[1] * receptive, dims[0] * receptive


def calculate_gain(nonlinearity: str, param=None) -> float:
    """Return the recommended gain for a nonlinearity (PyTorch's table).

    ================= ==============================================
    nonlinearity      gain
    ================= ==============================================
    linear, conv*     :math:`1`
    sigmoid           :math:`1`
    tanh              :math:`5/3`
    relu              :math:`\\sqrt{2}`
    leaky_relu        :math:`\\sqrt{2 / (1 + \\text{negative\\_slope}^2)}`
    selu              :math:`3/4`
    ================= ==============================================

    Parameters
    ----------
    nonlinearity : str
        One of :data:`GAIN_NONLINEARITIES`.
    param : float, optional
        The negative slope of ``leaky_relu``, any finite real (default 0.01,
        as PyTorch). Ignored for the other nonlinearities.

    Returns
    -------
    gain : float

    Raises
    ------
    TypeError
        If ``nonlinearity`` is not a string, or ``param`` is not a real number
        (PyTorch raises ``ValueError`` there).
    ValueError
        If ``nonlinearity`` is not one of :data:`GAIN_NONLINEARITIES`, or
        ``param`` is not finite.

    Notes
    -----
    PyTorch's table. Its ``selu`` gain 3/4 is empirical (PyTorch's note), not
    a derived variance factor; for a self-normalizing network use LeCun's
    initialization (:func:`initlab.initializers.lecun_normal`, gain 1), as
    PyTorch recommends with ``nonlinearity='linear'``.

    References
    ----------
    .. [1] ``torch.nn.init.calculate_gain``,
       https://pytorch.org/docs/stable/nn.init.html

    Examples
    --------
    >>> round(calculate_gain('relu'), 6)
    1.414214
    >>> round(calculate_gain('leaky_relu', 0.2), 6)
    1.38675
    """
    check_choice(nonlinearity, GAIN_NONLINEARITIES, name="nonlinearity")
    if nonlinearity in ("linear", "sigmoid") or nonlinearity.startswith("conv"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 3.0 / 4.0
    # leaky_relu
    slope = 0.01 if param is None else check_real(param, name="param (the negative slope of leaky_relu)")
    return math.sqrt(2.0 / (1.0 + slope**2))
