"""Tripwire that lets a hidden test tell whether a student's answer called the
reference implementation of the very function the student was asked to write.

Reference functions are wrapped with :func:`reference`. Inside
``forbid(names)``, calling any of them raises :class:`ReferenceCalledError`.
Because the check lives in the reference function itself, it fires however the
student reached it (an alias, ``initlab.initialize``, a bound copy, ...).
Outside ``forbid`` it costs one set lookup per call.
"""

from __future__ import annotations

import functools
from contextlib import contextmanager

__all__ = ["ReferenceCalledError", "reference", "forbid"]

_forbidden: set[str] = set()
_calls: list[str] = []  # forbidden calls seen, even if the caller swallowed the error


class ReferenceCalledError(RuntimeError):
    """The reference implementation was called where a student's own code was expected."""


def reference(name: str):
    """Mark a function as the reference implementation called ``name``."""

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            if name in _forbidden:
                _calls.append(name)
                raise ReferenceCalledError(
                    f"initlab's reference {name!r} was called while grading your own "
                    f"{name!r}: write it yourself instead of calling initlab."
                )
            return func(*args, **kwargs)

        wrapper.__initlab_reference__ = name
        return wrapper

    return decorate


@contextmanager
def forbid(*names: str):
    """Within this block, calling any reference function in ``names`` raises.

    Yields a list that receives the name of every forbidden call made inside
    the block, so a caller that catches the error is still caught.
    """
    added = set(names) - _forbidden
    _forbidden.update(added)
    seen: list[str] = []
    start = len(_calls)
    try:
        yield seen
    finally:
        seen.extend(_calls[start:])
        del _calls[start:]
        _forbidden.difference_update(added)
