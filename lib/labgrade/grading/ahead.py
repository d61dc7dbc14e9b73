"""Each student's next kernel started while the current notebook runs (inside one ``nbgrader autograde``).

nbgrader executes a student's notebooks one after the other, each in a fresh kernel: the kernel's
start (Python, ipykernel, numpy, the judge and its sandboxed worker) is wall time in which no cell
runs. ``AheadExecute`` (:func:`execute_class`: nbgrader's ``Execute``, swapped in by :func:`configure`)
starts the kernel of the *next* notebook as soon as the current one's kernel is up, so it boots while the
current notebook's cells run, and hands it to the next notebook only if it was started exactly
as nbgrader would start that notebook's kernel: the same kernel name, arguments, working folder
and **the whole environment** (the judge's per-notebook files included). Anything else (a
notebook nbgrader skips, an environment that changed) and the kernel started ahead is shut down
and a fresh one started, as without this module: a guess can cost time, never a difference.

What stays as before:

* one student per autograde process: a kernel started ahead belongs to the same student, the same
  process tree, session and limits (the per-student kill and cgroup sweep reach it);
* a fresh kernel per notebook: a kernel started ahead has run no cell of anyone's;
* the judge reads its notebook's plan at its first cell, not at start (``labgrade.sandbox.judge``).

What differs, in ``isolation = "none"`` only: there the student's code runs in the kernel, as the
grading user, and could change what a kernel reads when it starts (IPython's startup files, the
environment's ``.pth`` files) after the next kernel started: a fresh kernel would see the change,
the one started ahead does not. In the judge's mode student code runs in the sandbox, which sees
none of these.

labgrade's runner switches it on with ``LABGRADE_KERNELS_AHEAD``: the notebooks it staged (a JSON
list), in the order nbgrader grades them. Unset or empty: off (plain nbgrader's Execute behaviour).
"""

from __future__ import annotations

import atexit
import functools
import json
import os

from jupyter_core.utils import ensure_async, run_sync

from labgrade.sandbox.isolation import kernel_env_for

AHEAD_ENV = "LABGRADE_KERNELS_AHEAD"


#: logged when a notebook's kernel answered (labgrade's runner reads it: a kernel-start error after the
#: notebook's kernel was up is a kernel started ahead, not the notebook's)
KERNEL_READY = "This notebook's kernel is ready"
USED = "Using the kernel started ahead for this notebook"


def ahead_names(env=os.environ) -> list[str]:
    """The notebooks of :data:`AHEAD_ENV` (a JSON list), in grading order; [] if unset or unreadable."""
    try:
        names = json.loads(env.get(AHEAD_ENV) or "[]")
    except ValueError:
        return []
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def grading_order(notebooks) -> str:
    """:data:`AHEAD_ENV`'s value for the staged ``notebooks``: the order nbgrader grades them in (it sorts
    the notebooks' paths, ``<name>.ipynb``)."""
    return json.dumps(sorted(notebooks, key=lambda n: f"{n}.ipynb"))


def next_notebook(name: str | None, names: list[str]) -> str | None:
    """The notebook nbgrader executes after ``name`` (``names`` in grading order), or None."""
    if name not in names:
        return None
    i = names.index(name)
    return names[i + 1] if i + 1 < len(names) else None


class _Ahead:
    """The one kernel started ahead in this process: its manager and what it was started with."""

    km = None
    key: tuple | None = None

    @classmethod
    def take(cls):
        km, key = cls.km, cls.key
        cls.km = cls.key = None
        return km, key

    @classmethod
    def discard(cls) -> None:
        km, _ = cls.take()
        if km is not None:
            run_sync(_shutdown)(km)


async def _shutdown(km) -> None:
    try:
        if await ensure_async(km.is_alive()):
            await ensure_async(km.shutdown_kernel(now=True))
    finally:
        await ensure_async(km.cleanup_resources())


def discard_ahead() -> None:
    """Shut down a kernel started ahead that no notebook took (at exit; zygote children call it too)."""
    try:
        _Ahead.discard()
    except Exception:       # exiting anyway; the runner's cgroup sweep and ipykernel's parent poller remain
        pass


atexit.register(discard_ahead)


def start_key(kernel_name: str, extra_arguments: list[str], cwd: str | None, env: dict) -> tuple:
    return (kernel_name, tuple(extra_arguments), cwd, tuple(sorted(env.items())))


class KernelsAhead:
    """Mixed into nbgrader's Execute (:func:`execute_class`): the next notebook's kernel is started while
    this one runs, and taken by the next notebook only if started exactly as it would start its own."""

    def _start_arguments(self, kwargs: dict) -> dict:
        # exactly nbclient's NotebookClient.async_start_new_kernel (0.10, 0.11): cwd from the resources,
        # the IPython history file argument; the environment is the process's (jupyter_client's default)
        resource_path = self.resources.get("metadata", {}).get("path") or None
        if resource_path and "cwd" not in kwargs:
            kwargs["cwd"] = resource_path
        has_history_manager_arg = any(arg.startswith("--HistoryManager.hist_file") for arg in self.extra_arguments)
        if getattr(self.km, "ipykernel", False) and self.ipython_hist_file and not has_history_manager_arg:
            self.extra_arguments += [f"--HistoryManager.hist_file={self.ipython_hist_file}"]
        return kwargs

    async def async_start_new_kernel(self, **kwargs) -> None:
        assert self.km is not None
        kwargs = self._start_arguments(kwargs)
        env = dict(kwargs.pop("env", None) or os.environ)
        key = start_key(self.km.kernel_name, self.extra_arguments, kwargs.get("cwd"), env)
        self._own_start = {"extra_arguments": list(self.extra_arguments), "env": env, **kwargs}
        km, ahead_key = _Ahead.take()
        self._took_ahead = False
        if km is not None:
            if ahead_key != key or kwargs.keys() - {"cwd"}:
                self.log.info("The kernel started ahead does not match this notebook's: starting a fresh one")
            elif not await ensure_async(km.is_alive()):
                self.log.info("The kernel started ahead died: starting this notebook's own")
            else:
                self._took_ahead = True
        if self._took_ahead:
            self.km = km            # the manager nbclient made for this notebook has no kernel: dropped
            self.log.info(USED)
        else:
            if km is not None:
                await _shutdown(km)
            await ensure_async(self.km.start_kernel(**self._own_start))

    start_new_kernel = run_sync(async_start_new_kernel)

    async def async_start_new_kernel_client(self):
        took, self._took_ahead = getattr(self, "_took_ahead", False), False
        try:
            kc = await super().async_start_new_kernel_client()
        except Exception:
            if not took:
                raise
            # nbclient logged the error and cleaned the dead kernel up: this notebook starts its own, as it
            # would have without a kernel started ahead
            self.log.warning("The kernel started ahead died before it was ready: starting this notebook's own")
            self.km = self.create_kernel_manager()
            await ensure_async(self.km.start_kernel(**self._own_start))
            kc = await super().async_start_new_kernel_client()
        # this notebook's kernel is up: the next one boots while its cells run (not beside its start)
        self.log.info(KERNEL_READY)
        await self._start_next(self._own_start.get("cwd"), self._own_start["env"])
        return kc

    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    async def _start_next(self, cwd: str | None, env: dict) -> None:
        name = self.resources.get("nbgrader", {}).get("notebook")
        following = next_notebook(name, ahead_names(env))
        if following is None:
            return
        next_env = kernel_env_for(following, env)
        km = self.kernel_manager_class(kernel_name=self.km.kernel_name, config=self.config)
        try:
            await ensure_async(km.start_kernel(extra_arguments=list(self.extra_arguments), env=next_env,
                                               **({"cwd": cwd} if cwd else {})))
        except Exception as exc:      # the next notebook starts its own kernel, as without this module
            self.log.warning("Could not start the next notebook's kernel ahead: %s", exc)
            try:
                await _shutdown(km)
            except Exception:
                pass
            return
        _Ahead.km, _Ahead.key = km, start_key(km.kernel_name, self.extra_arguments, cwd, next_env)


@functools.cache
def execute_class() -> type:
    """``AheadExecute``: nbgrader's Execute with :class:`KernelsAhead` (made on first use: nbgrader is a
    heavy import, and labgrade's runner only needs :data:`AHEAD_ENV` from this module)."""
    from nbgrader.preprocessors import Execute

    return type("AheadExecute", (KernelsAhead, Execute), {"__doc__": KernelsAhead.__doc__, "__module__": __name__})


def configure(c) -> None:
    """Put ``AheadExecute`` in place of nbgrader's Execute (from nbgrader_config.py, after the judge's)."""
    from nbgrader.converters.autograde import Autograde
    from nbgrader.preprocessors import Execute

    current = c.Autograde.get("autograde_preprocessors") if "autograde_preprocessors" in c.Autograde else None
    procs = list(current or Autograde.class_traits()["autograde_preprocessors"].default())
    c.Autograde.autograde_preprocessors = [execute_class() if p is Execute else p for p in procs]
