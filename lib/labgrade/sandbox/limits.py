"""Resource limits of a command, set by util-linux ``prlimit`` (used for each student's autograde).

``prlimit --as=N --core=0 -- nbgrader autograde ...`` sets the limits in its own process and then
execs the command: they hold for nbgrader and are inherited by every kernel it starts. A wrapper
program rather than a ``preexec_fn`` because the grading workers are threads, and ``preexec_fn``
is not safe in a threaded parent.
"""

from __future__ import annotations

import shutil

MIB = 1024 * 1024


def prlimit_path() -> str:
    return shutil.which("prlimit") or "/usr/bin/prlimit"


def limited(cmd: list[str], *, memory_mb: int = 0, memory_bytes: int = 0, extra: tuple[str, ...] = ()) -> list[str]:
    """``cmd`` under an address-space limit (``memory_mb`` MiB or ``memory_bytes``; none if 0), no core files,
    and the ``extra`` prlimit options."""
    limits = ["--core=0"]
    memory = memory_bytes or memory_mb * MIB
    if memory > 0:
        limits.append(f"--as={memory}")
    return [prlimit_path(), *limits, *extra, "--", *cmd]
