"""Where the course is: the assignment's name, the repository root, the environment of nbgrader's subprocesses."""

import os
import sys
from pathlib import Path

ASSIGNMENT = "weight_init"


def course_root() -> Path:
    """The course directory: the repository root, where nbgrader_config.py lives."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "nbgrader_config.py").exists() and (parent / "source").is_dir():
            return parent
    return Path.cwd()


def tool_env(**extra) -> dict:
    """The environment for nbgrader subprocesses: the course venv's bin/ first on PATH
    (nbgrader runs ``alembic`` and ``jupyter`` by name)."""
    env = dict(os.environ)
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    env.update(extra)
    return env
