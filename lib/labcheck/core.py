"""Exact-type checks, closeness with hints, and the delegation check."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from initlab import _guard

__all__ = ["check_array", "check_close", "check_std", "check_dict_keys", "no_delegation"]


def _plain(value):
    """A subclass of ``ndarray``, ``float`` or ``int`` as its plain value (what the sandbox passes on),
    read without calling any method the subclass defines; anything else unchanged."""
    if isinstance(value, np.ndarray) and type(value) is not np.ndarray:
        return np.asarray(value).view(np.ndarray)
    if isinstance(value, np.generic) or isinstance(value, bool):
        return value
    if isinstance(value, float) and type(value) is not float:
        return float.__float__(value)
    if isinstance(value, int) and type(value) is not int:
        return int.__int__(value)
    return value


def check_array(value, name: str, shape=None, *, dtype=np.float64) -> np.ndarray:
    """Assert ``value`` is a ``numpy.ndarray`` of ``dtype`` (and ``shape``); return it as a plain array.

    A subclass (``np.matrix``, a masked array, one with its own comparisons) is checked as its
    plain array, exactly as isolated grading passes it on (``labgrade.sandbox.codec.to_plain``): grading
    compares plain data, never objects whose comparisons the answer could redefine, and grades the
    same with and without the sandbox.
    """
    value = _plain(value)
    if type(value) is not np.ndarray:
        raise AssertionError(
            f"{name} should return a numpy.ndarray, but returned {type(value).__name__}. "
            f"Build the result with numpy (for example rng.standard_normal(shape))."
        )
    if dtype is not None and value.dtype != dtype:
        raise AssertionError(
            f"{name} should return an array of dtype {np.dtype(dtype).name}, got {value.dtype}. "
            f"Use .astype(np.{np.dtype(dtype).name}) or float arithmetic."
        )
    if shape is not None and value.shape != tuple(shape):
        raise AssertionError(
            f"{name} returned an array of shape {value.shape}; expected {tuple(shape)}. "
            f"Shapes are (n_out, n_in): check that you pass `shape` through unchanged."
        )
    if dtype is not None and value.dtype.kind == "f" and not np.isfinite(value).all():
        raise AssertionError(f"{name} returned NaN or infinite values.")
    return value


def check_close(actual, expected, name: str, *, rtol=1e-7, atol=1e-10, hints=None):
    """Assert ``actual`` equals ``expected`` (numbers or arrays) within tolerance.

    ``hints`` maps a description of a likely mistake to the value that mistake
    would produce; the message names the one that matches ``actual``, or, when
    several produce the same value on this input, all of them (a hint is a claim:
    it is only made where the test can tell the mistake apart).
    """
    expected_arr = np.asarray(expected, dtype=np.float64)
    actual = _plain(actual)
    if isinstance(actual, np.ndarray):
        actual_arr = actual
    elif isinstance(actual, (int, float, np.floating, np.integer)) and not isinstance(actual, bool):
        actual_arr = np.asarray(float(actual))
    else:
        raise AssertionError(f"{name} should be a number or an array, got {type(actual).__name__}: {actual!r}.")
    if actual_arr.shape != expected_arr.shape:
        raise AssertionError(f"{name} has shape {actual_arr.shape}; expected {expected_arr.shape}.")
    actual_arr = actual_arr.astype(np.float64)
    if np.allclose(actual_arr, expected_arr, rtol=rtol, atol=atol, equal_nan=True):
        return
    matching = []
    for description, wrong in (hints or {}).items():
        wrong = np.asarray(wrong, dtype=np.float64)
        if wrong.shape == actual_arr.shape and np.allclose(actual_arr, wrong, rtol=1e-6, atol=atol):
            matching.append(description)
    if len(matching) == 1:
        raise AssertionError(f"{name} is not right: it looks like {matching[0]}.")
    if matching:  # the test cannot tell these mistakes apart: name them all, claim none
        raise AssertionError(f"{name} is not right: it looks like one of these mistakes: " + "; ".join(matching) + ".")
    if actual_arr.ndim == 0:
        raise AssertionError(f"{name} is {float(actual_arr):.6g}, expected {float(expected_arr):.6g}.")
    bad = ~np.isclose(actual_arr, expected_arr, rtol=rtol, atol=atol, equal_nan=True)
    raise AssertionError(
        f"{name} differs from the expected values in {int(bad.sum())} of {bad.size} entries "
        f"(largest difference {float(np.nanmax(np.abs(actual_arr - expected_arr))):.3g})."
    )


def check_std(values, std, name: str, *, rtol=0.1, hints=None) -> None:
    """Assert the sample std of ``values`` is within a relative ``rtol`` of ``std``.

    A loose check for visible tests on a worked example (the statistical
    grading is in :mod:`labcheck.distributions`). ``hints`` maps a description
    of a likely mistake to the std it would give; the message names the one
    closest to the observed std, if it is within ``rtol`` of it.
    """
    observed = float(np.std(values))
    if abs(observed / std - 1) <= rtol:
        return
    message = f"{name} has std {observed:.4g}; expected about {std:.4g}."
    close = [(abs(observed / wrong - 1), d) for d, wrong in (hints or {}).items()
             if wrong > 0 and abs(observed / wrong - 1) <= rtol]
    if close:
        message += f" It looks like {min(close)[1]}."
    raise AssertionError(message)


def check_dict_keys(value, name: str, keys) -> dict:
    """Assert ``value`` is a dict (any Mapping) holding at least ``keys``; return it as a plain dict.

    A Mapping (``OrderedDict``, ``defaultdict``, ...) is a dict as far as the
    spec goes: it is copied into a plain dict, whose values the caller then
    checks one by one (numbers and plain arrays only, see :func:`check_close`).
    """
    if type(value) is not dict:
        if not isinstance(value, Mapping):
            raise AssertionError(f"{name} should return a dict, got {type(value).__name__}.")
        value = {key: value[key] for key in list(value.keys())}
    missing = [k for k in keys if k not in value]
    if missing:
        raise AssertionError(f"{name} is missing the key(s) {missing}; it has {sorted(map(str, value))}.")
    return value


def no_delegation(reference_names, func, *args, **kwargs):
    """Call ``func`` while the initlab references in ``reference_names`` are forbidden.

    An answer that calls the reference it was asked to write (directly, through
    an alias, or through :func:`initlab.initialize`) fails, even if it catches
    the error.
    """
    if isinstance(reference_names, str):
        reference_names = (reference_names,)
    label = getattr(func, "__name__", "your function")
    with _guard.forbid(*reference_names) as seen:
        try:
            result = func(*args, **kwargs)
        except _guard.ReferenceCalledError:
            result = None
    if seen:
        raise AssertionError(
            f"{label} calls initlab's reference implementation ({', '.join(sorted(set(seen)))}). "
            f"This exercise asks you to write it yourself with numpy; no credit for calling initlab."
        )
    return result
