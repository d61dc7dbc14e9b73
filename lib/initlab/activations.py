"""Activation functions and their derivatives (Parts 4 and 6).

Each derivative is taken with respect to the pre-activation ``Z``; at ``Z = 0``
the ReLU family uses the derivative of the left side (0 for ReLU,
``negative_slope`` for leaky ReLU), as PyTorch's autograd does.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_choice

__all__ = ["ACTIVATIONS", "activate", "activation_derivative", "relu", "leaky_relu", "sigmoid",
           "tanh", "selu", "linear", "SELU_ALPHA", "SELU_SCALE", "LEAKY_RELU_SLOPE"]

#: Constants of SELU (Klambauer et al. 2017), as in PyTorch.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
#: Default negative slope of leaky ReLU (PyTorch's default).
LEAKY_RELU_SLOPE = 0.01


def relu(Z):
    r"""Rectified linear unit, elementwise.

    .. math:: \operatorname{relu}(z) = \max(z, 0)

    Parameters
    ----------
    Z : array_like
        Pre-activations, any shape.

    Returns
    -------
    A : ndarray of float64
        Same shape as ``Z``.

    See Also
    --------
    activation_derivative : the derivative is 0 at ``z = 0``, as PyTorch's autograd.

    Examples
    --------
    >>> relu(np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 2.])
    """
    return np.maximum(Z, 0.0)


def relu_derivative(Z):
    return (Z > 0).astype(np.float64)


def leaky_relu(Z, negative_slope: float = LEAKY_RELU_SLOPE):
    r"""Leaky ReLU, elementwise.

    .. math:: f(z) = z \text{ if } z > 0 \text{ else } a z

    Parameters
    ----------
    Z : ndarray
        Pre-activations, any shape (an array: the ReLU family compares ``Z > 0``).
    negative_slope : float, default 0.01
        Slope :math:`a` for ``z <= 0`` (:data:`LEAKY_RELU_SLOPE`).

    Returns
    -------
    A : ndarray of float64
        Same shape as ``Z``.

    Notes
    -----
    As ``torch.nn.functional.leaky_relu`` (default slope 0.01). The slope is
    not validated: a slope of 1 gives the identity.

    Examples
    --------
    >>> leaky_relu(np.array([-1.0, 2.0]), 0.1)
    array([-0.1,  2. ])
    """
    return np.where(Z > 0, Z, negative_slope * Z)


def leaky_relu_derivative(Z, negative_slope: float = LEAKY_RELU_SLOPE):
    return np.where(Z > 0, 1.0, negative_slope)


def sigmoid(Z):
    r"""Logistic function, elementwise, numerically stable (no overflow for large ``|z|``).

    .. math:: \sigma(z) = \frac{1}{1 + e^{-z}}

    Parameters
    ----------
    Z : array_like
        Pre-activations, any shape.

    Returns
    -------
    A : ndarray of float64
        Same shape as ``Z``.

    Notes
    -----
    Computed as :math:`1/(1+e^{-|z|})` or :math:`e^{-|z|}/(1+e^{-|z|})` by sign,
    so ``exp`` never overflows.

    Examples
    --------
    >>> sigmoid(np.array([0.0, 1000.0, -1000.0]))
    array([0.5, 1. , 0. ])
    """
    Z = np.asarray(Z, dtype=np.float64)
    e = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_derivative(Z):
    s = sigmoid(Z)
    return s * (1.0 - s)


def tanh(Z):
    r"""Hyperbolic tangent, elementwise.

    .. math:: \tanh(z)

    Parameters
    ----------
    Z : array_like
        Pre-activations, any shape.

    Returns
    -------
    A : ndarray of float64
        Same shape as ``Z``.

    Examples
    --------
    >>> tanh(np.array([0.0]))
    array([0.])
    """
    return np.tanh(Z)


def tanh_derivative(Z):
    return 1.0 - np.tanh(Z) ** 2


def selu(Z):
    r"""Scaled exponential linear unit (Klambauer et al. 2017), elementwise.

    .. math:: \operatorname{selu}(z) = \lambda \,(z \text{ if } z > 0 \text{ else } \alpha (e^{z} - 1))

    Parameters
    ----------
    Z : array_like
        Pre-activations, any shape.

    Returns
    -------
    A : ndarray of float64
        Same shape as ``Z``.

    Notes
    -----
    :math:`\alpha` = :data:`SELU_ALPHA`, :math:`\lambda` = :data:`SELU_SCALE`, PyTorch's constants.
    Self-normalizing with :func:`initlab.initializers.lecun_normal` weights.

    References
    ----------
    .. [1] G. Klambauer, T. Unterthiner, A. Mayr and S. Hochreiter,
       "Self-Normalizing Neural Networks", NeurIPS 2017.

    Examples
    --------
    >>> selu(np.array([0.0, 1.0])).round(4)
    array([0.    , 1.0507])
    """
    Z = np.asarray(Z, dtype=np.float64)
    return SELU_SCALE * np.where(Z > 0, Z, SELU_ALPHA * np.expm1(np.minimum(Z, 0.0)))


def selu_derivative(Z):
    Z = np.asarray(Z, dtype=np.float64)
    return SELU_SCALE * np.where(Z > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(Z, 0.0)))


def linear(Z):
    """Identity (a new float64 array).

    .. math:: f(z) = z

    Parameters
    ----------
    Z : array_like
        Pre-activations, any shape.

    Returns
    -------
    A : ndarray of float64
        Same shape as ``Z``.

    Examples
    --------
    >>> linear([1, 2])
    array([1., 2.])
    """
    return np.asarray(Z, dtype=np.float64) * 1.0


def linear_derivative(Z):
    return np.ones_like(Z, dtype=np.float64)


#: name -> (function, derivative with respect to Z)
ACTIVATIONS = {
    "relu": (relu, relu_derivative),
    "leaky_relu": (leaky_relu, leaky_relu_derivative),
    "sigmoid": (sigmoid, sigmoid_derivative),
    "tanh": (tanh, tanh_derivative),
    "selu": (selu, selu_derivative),
    "linear": (linear, linear_derivative),
}


def activate(Z, activation: str) -> np.ndarray:
    """Apply the activation named ``activation`` to ``Z``.

    Parameters
    ----------
    Z : ndarray
        Pre-activations, any shape (an array: the ReLU family compares ``Z > 0``).
    activation : {'relu', 'leaky_relu', 'sigmoid', 'tanh', 'selu', 'linear'}
        A key of :data:`ACTIVATIONS` (``leaky_relu`` uses the slope 0.01).

    Returns
    -------
    A : ndarray of float64
        Same shape as ``Z``.

    Raises
    ------
    TypeError
        If ``activation`` is not a string.
    ValueError
        If ``activation`` is not one of the names above.

    Examples
    --------
    >>> activate(np.array([-1.0, 2.0]), 'relu')
    array([0., 2.])
    """
    check_choice(activation, tuple(ACTIVATIONS), name="activation")
    return ACTIVATIONS[activation][0](Z)


def activation_derivative(Z, activation: str) -> np.ndarray:
    """Derivative of the activation named ``activation`` with respect to ``Z``, at ``Z``.

    At ``Z = 0`` the ReLU family takes the derivative of the left side (0 for
    ReLU, 0.01 for leaky ReLU), as PyTorch's autograd does.

    Parameters
    ----------
    Z : ndarray
        Pre-activations, any shape (an array: the ReLU family compares ``Z > 0``).
    activation : {'relu', 'leaky_relu', 'sigmoid', 'tanh', 'selu', 'linear'}
        A key of :data:`ACTIVATIONS`.

    Returns
    -------
    dA_dZ : ndarray of float64
        Same shape as ``Z``.

    Raises
    ------
    TypeError
        If ``activation`` is not a string.
    ValueError
        If ``activation`` is not one of the names above.

    Examples
    --------
    >>> activation_derivative(np.array([-1.0, 0.0, 2.0]), 'relu')
    array([0., 0., 1.])
    >>> activation_derivative(np.array([0.0]), 'sigmoid')
    array([0.25])
    """
    check_choice(activation, tuple(ACTIVATIONS), name="activation")
    return ACTIVATIONS[activation][1](Z)
