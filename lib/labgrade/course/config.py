"""Grading settings from ``course.toml`` (due date and limits)."""

from __future__ import annotations

import difflib
import math
import os
import tomllib
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from labgrade.course.paths import ASSIGNMENT, course_root


@dataclass(frozen=True)
class Settings:
    assignment: str = ASSIGNMENT
    due: str = "2026-12-18 23:59:00 UTC"
    cell_timeout: int = 120        # s, nbgrader Execute.timeout
    student_timeout: int = 1200    # s, wall clock of one student's autograde
    memory_mb: int = 4096          # RLIMIT_AS of autograde and of each kernel
    blas_threads: int = 1          # OMP/OpenBLAS/MKL threads of each kernel (0: library default)
    max_notebook_mb: float = 20    # a submitted notebook larger than this is refused at staging (grading.staging)
    jobs: int = 0                  # 0: number of cores
    isolation: str = "judge"       # student code in a sandboxed worker (sandbox.isolation); "none": plain nbgrader
    warm: bool = True              # fork nbgrader from a process that imported it once (grading.warm)
    kernels_ahead: bool | str = "auto"   # start each student's next kernel while a notebook runs (grading.ahead):
    #                                      True, False, or "auto" (only while a core is free: jobs < cores)

    @property
    def due_datetime(self) -> datetime:
        from nbgrader.utils import parse_utc  # nbgrader loads ~1300 modules: only when a due date is parsed

        return parse_utc(self.due)

    def __post_init__(self):
        _kernels_ahead(self.kernels_ahead)      # a value set in code is held to course.toml's rule

    def with_overrides(self, **kw) -> Settings:
        return replace(self, **{k: v for k, v in kw.items() if v is not None})

    def kernel_env(self) -> dict:
        """Environment of the autograde subprocess (inherited by its kernels)."""
        # LABGRADE_ISOLATION always set: nothing inherited decides it. PYTHONSAFEPATH: no Python started
        # for grading (nbgrader, its kernels) puts its working directory (the autograded notebook's
        # folder) or a script's folder on sys.path, so nothing there can shadow a module.
        env = {"LABGRADE_ISOLATION": self.isolation, "PYTHONSAFEPATH": "1"}
        if self.blas_threads <= 0:
            return env
        n = str(self.blas_threads)
        return {**env, "OMP_NUM_THREADS": n, "OPENBLAS_NUM_THREADS": n, "MKL_NUM_THREADS": n}

    @property
    def max_notebook_bytes(self) -> int:
        return int(self.max_notebook_mb * 1024 * 1024)

    def job_count(self) -> int:
        n = self.jobs or default_jobs()
        return max(1, int(n))

    def ahead_for(self, jobs: int, cores: int | None = None) -> bool:
        """Whether kernels are started ahead when ``jobs`` students are graded at once on ``cores`` cores.

        ``"auto"``: only if a core is left for the next kernel to boot on (``jobs < cores``); with as many
        jobs as cores it measured no faster and costs one more idle kernel per job (docs/grading.md).
        """
        if self.kernels_ahead == "auto":
            return jobs < (cores or default_jobs())
        return bool(self.kernels_ahead)


ISOLATION_MODES = ("judge", "none")


class ConfigError(ValueError):
    """course.toml (or an environment variable that overrides it) holds a value labgrade cannot use."""


def check_isolation_name(value: str, where: str) -> None:
    if value not in ISOLATION_MODES:
        raise ConfigError(f"{where} must be \"judge\" (student code in a bubblewrap sandbox) or \"none\" "
                         f"(plain nbgrader), got {value!r}")


def default_jobs() -> int:
    """The cores this process may use: its CPU affinity and, in a container, its cgroup's CPU quota
    (``dask.system.cpu_count``: a pod limited to 2 CPUs on a 64-core node gets 2)."""
    try:
        from dask.system import cpu_count  # the course environment has it (Dask); the student bundle may not
    except ImportError:
        try:
            return len(os.sched_getaffinity(0))
        except AttributeError:  # pragma: no cover (not Linux)
            return os.cpu_count() or 1
    return max(1, int(cpu_count()))


def load_settings(path: Path | None = None) -> Settings:
    path = path or course_root() / "course.toml"
    if not path.exists():
        return Settings()
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    for section, keys in KNOWN.items():
        if not isinstance(data.get(section, {}), dict):
            raise ConfigError(f"course.toml [{section}] must be a table ([{section}] followed by key = value "
                              f"lines), got {data[section]!r}")
        for key in data.get(section, {}):
            if key not in keys:
                close = difflib.get_close_matches(key, keys, n=1)
                raise ConfigError(f"course.toml [{section}] has no setting {key!r}"
                                  + (f" (did you mean {close[0]!r}?)" if close else "")
                                  + f"; it has {', '.join(keys)}")
    for section in data:
        if section not in KNOWN:
            raise ConfigError(f"course.toml has no section [{section}]; it has "
                              + ", ".join(f"[{k}]" for k in KNOWN))
    a, lim, g = data.get("assignment", {}), data.get("limits", {}), data.get("grading", {})
    due = a.get("due", Settings.due)
    if not isinstance(due, (str, datetime)):
        raise ConfigError(f"course.toml [assignment] due must be a date and time, e.g. "
                          f"\"2026-12-18 23:59:00 UTC\" or 2026-12-18T23:59:00Z, got {due!r}")
    isolation = _get(g, "grading", "isolation", str, Settings.isolation)
    s = Settings(
        assignment=_get(a, "assignment", "id", str, ASSIGNMENT),
        due=str(due),      # a TOML date-time or a string nbgrader parses
        cell_timeout=_get(lim, "limits", "cell_timeout", int, Settings.cell_timeout, least=1),
        student_timeout=_get(lim, "limits", "student_timeout", int, Settings.student_timeout, least=1),
        memory_mb=_get(lim, "limits", "memory_mb", int, Settings.memory_mb, least=64),
        blas_threads=_get(lim, "limits", "blas_threads", int, Settings.blas_threads, least=0),
        max_notebook_mb=_get(lim, "limits", "max_notebook_mb", float, Settings.max_notebook_mb),
        jobs=_get(g, "grading", "jobs", int, Settings.jobs, least=0),
        isolation=str(os.environ.get("LABGRADE_ISOLATION") or isolation),
        warm=_get(g, "grading", "warm", bool, Settings.warm),
        kernels_ahead=_kernels_ahead(g.get("kernels_ahead", Settings.kernels_ahead)),
    )
    check_isolation_name(s.isolation, "course.toml [grading] isolation (or $LABGRADE_ISOLATION)")
    if not 0 < s.max_notebook_mb < math.inf:
        raise ConfigError(f"course.toml [limits] max_notebook_mb must be a positive size in MiB, "
                          f"got {s.max_notebook_mb!r}")
    if s.assignment != ASSIGNMENT:
        raise ConfigError(f"course.toml names assignment {s.assignment!r}; this course has {ASSIGNMENT!r}")
    return s


# every setting course.toml may hold, by section
KNOWN = {
    "assignment": ("id", "due"),
    "limits": ("cell_timeout", "student_timeout", "memory_mb", "blas_threads", "max_notebook_mb"),
    "grading": ("jobs", "isolation", "warm", "kernels_ahead"),
}
_TYPE_NAMES = {int: "a whole number", float: "a number", bool: "true or false", str: "a string"}


def _get(table: dict, section: str, key: str, kind: type, default, *, least: int | None = None):
    """``table[key]`` if it is of TOML type ``kind`` (an int is a float too), else a ConfigError naming it."""
    value = table.get(key, default)
    ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        ok, value = True, float(value)
    if not ok:
        raise ConfigError(f"course.toml [{section}] {key} must be {_TYPE_NAMES[kind]}, got {value!r}"
                          + (" (write it without quotes)" if _parses_as(value, kind) else ""))
    if least is not None and value < least:
        raise ConfigError(f"course.toml [{section}] {key} must be at least {least}, got {value!r}")
    return value


def _parses_as(value, kind: type) -> bool:
    """A quoted value that would be right unquoted: "120" for a number, "false" for a switch."""
    if not isinstance(value, str) or kind is str:
        return False
    try:
        return isinstance(tomllib.loads(f"v = {value}")["v"], kind)
    except tomllib.TOMLDecodeError:
        return False


def _kernels_ahead(value) -> bool | str:
    if isinstance(value, bool) or value == "auto":
        return value
    raise ConfigError(f'course.toml [grading] kernels_ahead must be true, false or "auto" (only while a core is '
                      f"free: jobs < cores), got {value!r}")
