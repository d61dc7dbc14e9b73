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
    return np.maximum(Z, 0.0)


def relu_derivative(Z):
    return (Z > 0).astype(np.float64)


def leaky_relu(Z, negative_slope: float = LEAKY_RELU_SLOPE):
    return np.where(Z > 0, Z, negative_slope * Z)


def leaky_relu_derivative(Z, negative_slope: float = LEAKY_RELU_SLOPE):
    return np.where(Z > 0, 1.0, negative_slope)


def sigmoid(Z):
    """Numerically stable logistic function (no overflow for large ``|Z|``)."""
    Z = np.asarray(Z, dtype=np.float64)
    e = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_derivative(Z):
    s = sigmoid(Z)
    return s * (1.0 - s)


def tanh(Z):
    return np.tanh(Z)


def tanh_derivative(Z):
    return 1.0 - np.tanh(Z) ** 2


def selu(Z):
    Z = np.asarray(Z, dtype=np.float64)
    return SELU_SCALE * np.where(Z > 0, Z, SELU_ALPHA * np.expm1(np.minimum(Z, 0.0)))


def selu_derivative(Z):
    Z = np.asarray(Z, dtype=np.float64)
    return SELU_SCALE * np.where(Z > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(Z, 0.0)))


def linear(Z):
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

    >>> activate(np.array([-1.0, 2.0]), 'relu')
    array([0., 2.])
    """
    check_choice(activation, tuple(ACTIVATIONS), name="activation")
    return ACTIVATIONS[activation][0](Z)


def activation_derivative(Z, activation: str) -> np.ndarray:
    """Derivative of the activation named ``activation``, evaluated at ``Z``.

    >>> activation_derivative(np.array([-1.0, 0.0, 2.0]), 'relu')
    array([0., 0., 1.])
    """
    check_choice(activation, tuple(ACTIVATIONS), name="activation")
    return ACTIVATIONS[activation][1](Z)
