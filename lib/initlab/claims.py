"""Numbers the notebooks' prose quotes, printed by the code that computes them.

Introduced for the whole lab (every notebook). A notebook prints a figure it
will discuss with :func:`claim`::

    >>> claim("he_ratio_mean", 0.9841, ".2f")
    [he_ratio_mean] 0.98
    '0.98'

and its Markdown quotes it in a span that names the claim::

    He keeps the ratio at <span data-claim="he_ratio_mean">0.98</span> on average.

``tests/notebooks/test_claims.py`` reads the executed notebooks in ``notebooks/``
and fails when a quoted span differs from the printed value, names a claim no
cell printed, or when a claim is printed twice with different values. The rendered
lab therefore cannot drift from its code.
"""

from __future__ import annotations

import re

__all__ = ["claim", "CLAIM_LINE", "CLAIM_SPAN"]

#: A printed claim: ``[name] value`` on a line of its own.
CLAIM_LINE = re.compile(r"^\[(?P<name>[a-z][a-z0-9_]*)\] (?P<value>\S.*?)\s*$", re.M)
#: A quoted claim in Markdown: ``<span data-claim="name">value</span>``.
CLAIM_SPAN = re.compile(r'<span data-claim="(?P<name>[a-z][a-z0-9_]*)">(?P<value>[^<]*)</span>')

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def claim(name: str, value, fmt: str = ".3g") -> str:
    """Print ``value`` formatted with ``fmt`` as the claim ``name``; return the text.

    Parameters
    ----------
    name : str
        Lower-case identifier (``[a-z][a-z0-9_]*``) the Markdown refers to.
    value : object
        The figure, anything :func:`format` accepts with ``fmt``.
    fmt : str, default ".3g"
        A format specification, e.g. ``".2f"``, ``".1%"``, ``".2e"``, ``"d"``.

    Returns
    -------
    str
        The formatted value, exactly as printed.

    Raises
    ------
    ValueError
        If ``name`` is not a lower-case identifier such as ``'he_ratio'``.
    TypeError
        If ``fmt`` is not a format-specification string.

    Examples
    --------
    >>> claim("dead_fraction", 0.1875, ".1%")
    [dead_fraction] 18.8%
    '18.8%'
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"claim: name must be a lower-case identifier like 'he_ratio', got {name!r}")
    if not isinstance(fmt, str):
        raise TypeError(f"claim: fmt must be a format specification string like '.2f', got {fmt!r}")
    text = format(value, fmt)
    print(f"[{name}] {text}")
    return text
