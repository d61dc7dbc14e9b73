"""Counting the calls of a library function made by a student's code (hidden tests).

``count_calls("numpy.linalg.svd", unless={"compute_uv": False})`` replaces the
function for the duration of a ``with`` block and records every call whose
arguments (bound to the function's signature, defaults filled in) do not all
equal ``unless``. A test can then say "your answer computed the full SVD".

The open spies are listed in :data:`ACTIVE` as plain data (the target's dotted
name and ``unless``), so that isolated grading (``labgrade.sandbox.judge``) can set the
same spies up in the sandboxed process where the student's code really runs and
add the calls it saw to the list this block yields.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from contextlib import contextmanager

__all__ = ["count_calls"]

ACTIVE: list[dict] = []   # {"target": dotted name, "unless": {...}, "calls": list}: the spies now open


def _resolve(target: str):
    if not isinstance(target, str) or target.count(".") < 1:
        raise ValueError(f"target must be a dotted name such as 'numpy.linalg.svd', got {target!r}")
    module, attr = target.rsplit(".", 1)
    mod = importlib.import_module(module)
    if not callable(getattr(mod, attr, None)):
        raise ValueError(f"target {target!r}: {module} has no function {attr!r}")
    return mod, attr


def _matches(sig, args, kwargs, unless: dict) -> bool:
    """True if the call's bound arguments equal every value of ``unless`` (an allowed call)."""
    if not unless:
        return False
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError:
        return False            # a call the real function will reject anyway
    bound.apply_defaults()
    return all(bound.arguments.get(k) is v or bound.arguments.get(k) == v for k, v in unless.items())


@contextmanager
def count_calls(target: str, *, unless: dict | None = None):
    """Within the block, record every call of ``target`` except those whose arguments match ``unless``.

    Parameters
    ----------
    target : str
        Dotted name of a module-level function, e.g. ``"numpy.linalg.svd"``.
    unless : dict, optional
        Argument values that make a call allowed, e.g. ``{"compute_uv": False}``.
        Values must be plain data (None, bool, int, float, str).

    Yields
    ------
    list of str
        Receives ``target`` once per recorded call.

    Examples
    --------
    >>> import numpy as np
    >>> with count_calls("numpy.linalg.svd", unless={"compute_uv": False}) as full:
    ...     s = np.linalg.svd(np.eye(3), compute_uv=False)
    ...     u, s, vt = np.linalg.svd(np.eye(3))
    >>> full
    ['numpy.linalg.svd']
    """
    unless = dict(unless or {})
    for k, v in unless.items():
        if not (isinstance(k, str) and (v is None or type(v) in (bool, int, float, str))):
            raise ValueError(f"unless must map argument names to plain values, got {k!r}: {v!r}")
    mod, attr = _resolve(target)
    real = getattr(mod, attr)
    sig = inspect.signature(real)
    calls: list[str] = []

    @functools.wraps(real)
    def spy(*args, **kwargs):
        if not _matches(sig, args, kwargs, unless):
            calls.append(target)
        return real(*args, **kwargs)

    entry = {"target": target, "unless": unless, "calls": calls}
    setattr(mod, attr, spy)
    ACTIVE.append(entry)
    try:
        yield calls
    finally:
        setattr(mod, attr, real)
        ACTIVE.remove(entry)
