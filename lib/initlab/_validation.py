"""Argument checks shared by the reference code (private).

Every public function validates its arguments here so that a bad call fails
early with a message that names the argument, shows the value received and
says what was expected, in the style of scikit-learn and Keras.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

__all__ = [
    "check_random_state", "check_shape", "check_choice", "check_positive", "check_layer_dims", "check_2d",
    "check_int", "check_real", "check_fraction", "check_mapping", "check_accuracies", "check_dense_shapes",
    "check_features", "check_parameters", "check_training_results",
]


def check_random_state(rng, *, name: str = "rng") -> np.random.Generator:
    """Turn ``rng`` into a :class:`numpy.random.Generator`.

    ``None`` gives a fresh generator seeded from the operating system, an
    ``int`` seeds a new generator, and a ``Generator`` is returned as is (so
    successive calls continue its stream). numpy's global state is never used.
    """
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"{name} must be a non-negative int seed, got {rng!r}.")
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"{name} must be None, an int seed or a numpy.random.Generator, got "
        f"{rng!r} of type {type(rng).__name__}. Create one with "
        f"numpy.random.default_rng(seed)."
    )


def check_shape(shape, *, min_dims: int = 2, name: str = "shape") -> tuple[int, ...]:
    """Return ``shape`` as a tuple of positive Python ints, or raise.

    Weight shapes follow PyTorch: ``(n_out, n_in)`` or ``(n_out, n_in, *kernel)``.
    """
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    if isinstance(shape, (str, bytes)) or not isinstance(shape, Iterable):
        raise TypeError(
            f"{name} must be a tuple of ints such as (n_out, n_in), got {shape!r} "
            f"of type {type(shape).__name__}."
        )
    dims = tuple(shape)
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, numbers.Integral):
            raise TypeError(
                f"{name} must contain only ints, got {shape!r} (element {d!r} is "
                f"{type(d).__name__})."
            )
        if d <= 0:
            raise ValueError(f"{name} must contain only positive sizes, got {shape!r}.")
    if len(dims) < min_dims:
        expected = "(n_out, n_in) or (n_out, n_in, *kernel)" if min_dims >= 2 else "at least one size"
        raise ValueError(
            f"{name} must have at least {min_dims} dimension(s), {expected}; got "
            f"{shape!r} with {len(dims)}. Fans cannot be computed for a 1-D shape."
            if min_dims >= 2
            else f"{name} must have {expected}, got {shape!r}."
        )
    return tuple(int(d) for d in dims)


def check_choice(value, choices: Sequence[str], *, name: str) -> str:
    """Return ``value`` if it is one of ``choices`` (strings), or raise."""
    if not isinstance(value, str):
        raise TypeError(
            f"{name} must be a string, one of {sorted(choices)}, got {value!r} of "
            f"type {type(value).__name__}."
        )
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}.")
    return value


def check_positive(value, *, name: str, allow_zero: bool = False) -> float:
    """Return ``value`` as a float if it is a finite positive real number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} of type {type(value).__name__}.")
    value = float(value)
    ok = value >= 0 if allow_zero else value > 0
    if not np.isfinite(value) or not ok:
        bound = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be a finite {bound} number, got {value!r}.")
    return value


def check_layer_dims(layer_dims, *, name: str = "layer_dims") -> list[int]:
    """Return ``layer_dims`` as a list of at least two positive ints, or raise."""
    if isinstance(layer_dims, (str, bytes)) or not isinstance(layer_dims, Iterable):
        raise TypeError(
            f"{name} must be a list of layer widths such as [784, 128, 10], got "
            f"{layer_dims!r} of type {type(layer_dims).__name__}."
        )
    dims = list(layer_dims)
    if len(dims) < 2:
        raise ValueError(
            f"{name} must list at least two widths (input and output), got {layer_dims!r}."
        )
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, numbers.Integral):
            raise TypeError(
                f"{name} must contain only ints, got {layer_dims!r} (element {d!r} is "
                f"{type(d).__name__})."
            )
        if d <= 0:
            raise ValueError(f"{name} must contain only positive widths, got {layer_dims!r}.")
    return [int(d) for d in dims]


def check_2d(value, *, name: str) -> np.ndarray:
    """Return ``value`` as a 2-D float64 array laid out as (features, samples), or raise naming ``name``."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name} must be a 2-D array of numbers, got {value!r:.80} of type {type(value).__name__}."
        ) from exc
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array laid out as (features, samples), got an array of shape "
            f"{arr.shape} ({arr.ndim}-D)."
        )
    return arr


def check_int(value, *, name: str, minimum: int = 1, expected: str | None = None) -> int:
    """Return ``value`` as a Python int ``>= minimum``, or raise naming ``name``.

    ``expected`` words the valid values in the message (default ``"an int >= minimum"``).
    """
    expected = expected or f"an int >= {minimum}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be {expected}, got {value!r} of type {type(value).__name__}.")
    if value < minimum:
        raise ValueError(f"{name} must be {expected}, got {value!r}.")
    return int(value)


def check_real(value, *, name: str) -> float:
    """Return ``value`` as a float if it is a finite real number (of any sign), or raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} of type {type(value).__name__}.")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}.")
    return float(value)


def check_fraction(value, *, name: str, include_one: bool = False, kind: str = "a number") -> float:
    """Return ``value`` as a float in ``(0, 1)`` (or ``(0, 1]`` with ``include_one``), or raise."""
    interval = "(0, 1]" if include_one else "(0, 1)"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be {kind} in {interval}, got {value!r} of type {type(value).__name__}."
        )
    v = float(value)
    if not (0.0 < v <= 1.0 if include_one else 0.0 < v < 1.0):
        raise ValueError(f"{name} must be {kind} in {interval}, got {value!r}.")
    return v


def check_mapping(value, *, name: str, keys=()) -> Mapping:
    """Return ``value`` if it is a non-empty dict whose values hold all ``keys``, or raise."""
    if not isinstance(value, Mapping) or not value:
        raise TypeError(
            f"{name} must be a non-empty dict, got {value!r:.80} of type {type(value).__name__}."
        )
    for key, item in value.items():
        missing = [k for k in keys if not isinstance(item, Mapping) or k not in item]
        if missing:
            raise ValueError(f"{name}[{key!r}] must hold the keys {list(keys)}; missing {missing}.")
    return value


def check_accuracies(values, *, name: str) -> np.ndarray:
    """Return ``values`` as a non-empty 1-D float64 array (one accuracy per epoch), or raise."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a sequence of accuracies (numbers), got {values!r:.80}.") from exc
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D sequence of accuracies, one per epoch, got shape {arr.shape}."
        )
    return arr


def check_dense_shapes(shapes, *, name: str = "shapes") -> list[tuple[int, int]]:
    """Return ``shapes`` as a list of dense weight shapes ``(n_out, n_in)``, one per layer, or raise."""
    if isinstance(shapes, (str, bytes)) or not isinstance(shapes, (list, tuple)):
        raise TypeError(
            f"{name} must be a list of (n_out, n_in) tuples, one per layer, got {shapes!r} "
            f"of type {type(shapes).__name__}."
        )
    if len(shapes) == 0:
        raise ValueError(f"{name} must list at least one (n_out, n_in) tuple, got an empty list.")
    if all(isinstance(d, numbers.Integral) for d in shapes):
        raise TypeError(
            f"{name} must be a list of (n_out, n_in) tuples, one per layer, got the single shape "
            f"{shapes!r}; for one layer pass [{tuple(shapes)!r}]."
        )
    dims = []
    for i, shape in enumerate(shapes):
        s = check_shape(shape, min_dims=2, name=f"{name}[{i}]")
        if len(s) != 2:
            raise ValueError(f"{name}[{i}] must be a dense weight shape (n_out, n_in), got {shape!r}.")
        dims.append(s)
    for l in range(1, len(dims)):
        if dims[l][1] != dims[l - 1][0]:
            message = (
                f"{name} do not chain: shapes[{l}] = {dims[l]} has n_in = {dims[l][1]}, but the "
                f"previous layer shapes[{l - 1}] = {dims[l - 1]} has n_out = {dims[l - 1][0]}. "
                f"Each shape is (n_out, n_in), as PyTorch's, so shapes[l][1] must equal "
                f"shapes[l-1][0]."
            )
            if all(dims[k][0] == dims[k - 1][1] for k in range(1, len(dims))):
                fixed = [(s[1], s[0]) for s in dims]
                message += (
                    f" Your shapes look like (n_in, n_out); pass them the other way round: "
                    f"{fixed}."
                )
            raise ValueError(message)
    return dims


def check_features(X, n_features: int, *, name: str = "X", source: str = "layer_dims[0]") -> np.ndarray:
    """Return ``X`` as a finite 2-D array of shape ``(n_features, samples)``, or raise (hinting at ``X.T``)."""
    arr = check_2d(X, name=name)
    if arr.shape[0] != n_features:
        hint = f" It looks transposed: pass {name}.T." if arr.shape[1] == n_features else ""
        raise ValueError(
            f"{name} must have shape (features, samples) with features = {source} = {n_features}, "
            f"got shape {arr.shape}.{hint}"
        )
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must contain only finite values (no NaN or inf).")
    return arr


def check_parameters(parameters) -> int:
    """Return the number of layers ``L`` of a parameters dict ``{'W1', 'b1', ...}``, checking its keys and shapes."""
    if not isinstance(parameters, dict):
        raise TypeError(
            f"parameters must be a dict {{'W1': ..., 'b1': ..., ...}}, got {type(parameters).__name__}."
        )
    L = 0
    while f"W{L + 1}" in parameters:
        L += 1
    if L == 0:
        raise ValueError(
            f"parameters must contain 'W1', 'b1', ..., got keys {sorted(parameters)}."
        )
    for l in range(1, L + 1):
        W, b = parameters[f"W{l}"], parameters.get(f"b{l}")
        if b is None:
            raise ValueError(f"parameters has 'W{l}' but no 'b{l}'; got keys {sorted(parameters)}.")
        W_shape, b_shape = np.shape(W), np.shape(b)
        if len(W_shape) != 2:
            raise ValueError(f"parameters['W{l}'] must be 2-D (n_out, n_in), got shape {W_shape}.")
        if b_shape != (W_shape[0], 1):
            raise ValueError(
                f"parameters['b{l}'] must have shape ({W_shape[0]}, 1) to match W{l} of shape "
                f"{W_shape}, got shape {b_shape}."
            )
        if l > 1:
            prev = np.shape(parameters[f"W{l - 1}"])[0]
            if W_shape[1] != prev:
                raise ValueError(
                    f"parameters['W{l}'] has shape {W_shape} but W{l - 1} has {prev} output units; "
                    f"expected W{l} of shape ({W_shape[0]}, {prev})."
                )
    return L


def check_training_results(training_results) -> dict[str, np.ndarray]:
    """Return ``{method: test accuracies}`` of a ``{method: history}`` dict, or raise naming the entry."""
    if not isinstance(training_results, Mapping):
        raise TypeError(
            f"training_results must be a dict {{method: history}}, got {type(training_results).__name__}."
        )
    if not training_results:
        raise ValueError("training_results must hold at least one method, got an empty dict.")
    out = {}
    for method, history in training_results.items():
        if not isinstance(history, Mapping) or "test_accuracies" not in history:
            keys = sorted(history) if isinstance(history, Mapping) else type(history).__name__
            raise ValueError(
                f"training_results[{method!r}] must be a history dict with 'test_accuracies', got {keys}."
            )
        out[method] = check_accuracies(history["test_accuracies"],
                                        name=f"training_results[{method!r}]['test_accuracies']")
    return out
