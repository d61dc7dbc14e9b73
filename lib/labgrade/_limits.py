"""Exec a command under resource limits (used for each student's autograde).

    python -m labgrade._limits --memory-mb 4096 -- nbgrader autograde ...

``resource.setrlimit`` in this (child) process, then ``os.execvp``: the limit
holds for the command and is inherited by every kernel it starts. Done in a
separate program rather than a ``preexec_fn`` because the grading workers are
threads, and ``preexec_fn`` is not safe in a threaded parent.
"""

from __future__ import annotations

import os
import resource
import sys


def main(argv=None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    memory_mb = 0
    while argv and argv[0] != "--":
        opt = argv.pop(0)
        if opt == "--memory-mb":
            memory_mb = int(argv.pop(0))
        else:
            raise SystemExit(f"labgrade._limits: unknown option {opt}")
    if not argv or argv[0] != "--" or len(argv) < 2:
        raise SystemExit("usage: python -m labgrade._limits [--memory-mb N] -- command ...")
    cmd = argv[1:]
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.execvp(cmd[0], cmd)


if __name__ == "__main__":
    main()
