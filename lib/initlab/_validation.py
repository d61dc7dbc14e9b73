"""Argument checks shared by the reference code (private).

Every public function validates its arguments here so that a bad call fails
early with a message that names the argument, shows the value received and
says what was expected, in the style of scikit-learn and Keras.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence

import numpy as np

__all__ = ["check_random_state", "check_shape", "check_choice", "check_positive", "check_layer_dims", "check_2d"]


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
