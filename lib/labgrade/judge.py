"""The judge side of isolated grading: an IPython extension loaded in nbgrader's kernel.

In ``isolation = "judge"`` mode (:mod:`labgrade.isolation`) nbgrader's kernel runs
only trusted code (the source version of every cell but the solutions). Each
solution cell becomes::

    %%student theoretical_std
    <the student's code>

and this magic sends the code to a :mod:`labgrade.worker` in a bubblewrap sandbox.
For each name listed (the functions the source solution defines) the judge binds a
:class:`Proxy`: calling it sends the arguments as plain data, runs the student's
function in the worker, and returns the result decoded with exact types
(:mod:`labgrade.codec`). initlab's ``_guard.forbid`` set is forwarded with each
call and the forbidden calls the worker saw are added to the judge's
``_guard._calls``, so ``labcheck.no_delegation`` and the samplers' ``forbidden=``
still work. Numpy Generators passed in continue their stream in the judge.

What the judge noticed (timeouts, a dead worker, a value that is not plain data, a
call of the reference, file or process access reported by the worker) is appended
to the JSON-lines file named by ``LABGRADE_JUDGE_FLAGS``.
"""

from __future__ import annotations

import ast
import builtins
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time

from . import codec

TIMEOUT_ENV = "LABGRADE_JUDGE_TIMEOUT"
FLAGS_ENV = "LABGRADE_JUDGE_FLAGS"


class WorkerDied(RuntimeError):
    pass


class StudentTimeoutError(TimeoutError):
    """The student's code ran past the judge's time limit (a little under nbgrader's cell timeout).
    Reported like nbgrader's own CellTimeoutError (labgrade.results.TIMEOUT_ERRORS)."""


class SandboxError(RuntimeError):
    """The worker could not be started (a grading problem, not the student's)."""


# Set in nbgrader's kernel (load_ipython_extension): when the student's code ends the worker
# (os._exit, a signal to itself, a crash), the judge's kernel ends too, so the notebook fails
# exactly as it does in plain nbgrader when a kernel dies (and in the student's own JupyterLab).
END_KERNEL_ON_DEATH = False


def record_flag(kind: str, text: str) -> None:
    path = os.environ.get(FLAGS_ENV)
    if not path:
        return
    with open(path, "a") as fh:
        fh.write(json.dumps({"kind": kind, "text": text}) + "\n")


class Worker:
    """One sandboxed worker process, restarted (and the student's cells replayed) if it dies."""

    def __init__(self, command: list[str] | None = None, timeout: float | None = None):
        from .worker import sandbox_command

        self.command = command or sandbox_command()
        self.timeout = float(timeout or os.environ.get(TIMEOUT_ENV) or 120)
        self.proc: subprocess.Popen | None = None
        self.history: list[dict] = []    # exec requests that succeeded, replayed after a restart

    # --- process -------------------------------------------------------------------------------------
    def start(self) -> None:
        errlog = tempfile.TemporaryFile()     # the worker's own stderr: shown if it fails to start
        self.proc = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=errlog, start_new_session=True)
        try:
            codec.send(self.proc.stdin, {"op": "ping"}, ())
            codec.recv_bytes(lambda n: self._read(n, time.monotonic() + min(self.timeout, 60.0)))
        except Exception as exc:
            self.kill()
            errlog.seek(0)
            tail = errlog.read()[-600:].decode(errors="replace")
            record_flag("sandbox", "the grading sandbox did not start (a grading problem, not yours)")
            raise SandboxError(f"the grading sandbox (bubblewrap worker) did not start "
                               f"({type(exc).__name__}); its stderr ends with: {tail!r}") from None
        finally:
            errlog.close()
        for req, bufs in self.history:
            try:
                self._roundtrip(req, bufs)
            except Exception:
                pass

    def kill(self) -> None:
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.proc.wait()
            for f in (self.proc.stdin, self.proc.stdout):
                try:
                    f.close()
                except Exception:
                    pass
            self.proc = None

    def _read(self, n: int, deadline: float) -> bytes:
        fd = self.proc.stdout.fileno()
        chunks, left = [], n
        while left:
            wait = deadline - time.monotonic()
            if wait <= 0:
                raise TimeoutError
            ready, _, _ = select.select([fd], [], [], wait)
            if not ready:
                raise TimeoutError
            b = os.read(fd, min(left, 1 << 20))
            if not b:
                raise EOFError
            chunks.append(b)
            left -= len(b)
        return b"".join(chunks)

    def _roundtrip(self, req: dict, bufs=()) -> tuple[dict, list]:
        deadline = time.monotonic() + self.timeout
        try:
            codec.send(self.proc.stdin, req, bufs)
            return codec.recv_bytes(lambda n: self._read(n, deadline))
        except TimeoutError:
            raise
        except (BrokenPipeError, EOFError, ConnectionError, OSError, ValueError) as exc:
            self.kill()
            raise WorkerDied(f"the process running your code ended ({type(exc).__name__})") from None

    def request(self, req: dict, bufs=()) -> tuple[dict, list]:
        if self.proc is None or self.proc.poll() is not None:
            self.kill()
            self.start()
        try:
            resp, out_bufs = self._roundtrip(req, bufs)
        except TimeoutError:
            self.kill()
            record_flag("timeout", f"a call of your code ran longer than {self.timeout:.0f} s and was stopped")
            raise StudentTimeoutError(f"your code ran longer than {self.timeout:.0f} s and was stopped") from None
        except WorkerDied as exc:
            what = f"a call of {req.get('name')}" if req.get("op") == "call" else "a cell"
            record_flag("died", f"{exc} during {what}: the notebook fails, as when a kernel dies")
            if END_KERNEL_ON_DEATH:
                os._exit(70)
            raise
        except BaseException:       # KeyboardInterrupt: nbgrader's cell timeout
            self.kill()
            record_flag("timeout", "a cell ran past nbgrader's cell time limit while your code was running")
            raise
        if type(resp) is not dict:
            raise codec.CodecError("malformed answer")
        for text in resp.get("flags", []) if type(resp.get("flags")) is list else []:
            record_flag("worker", str(text)[:300])
        out, err = resp.get("out"), resp.get("err")
        if type(out) is str and out:
            print(out, end="")
        if type(err) is str and err:
            import sys

            print(err, end="", file=sys.stderr)
        return resp, out_bufs


_worker: Worker | None = None
_proxies: dict[int, str] = {}


def worker() -> Worker:
    global _worker
    if _worker is None:
        _worker = Worker()
    return _worker


def _raise_from(exc: dict):
    """Raise in the judge the error the student's code raised in the worker (builtin types only)."""
    from initlab import _guard

    name = str(exc.get("type", "Exception")) if type(exc) is dict else "Exception"
    msg = str(exc.get("msg", "")) if type(exc) is dict else ""
    if name == "ReferenceCalledError":
        raise _guard.ReferenceCalledError(msg)
    cls = getattr(builtins, name, None)
    if isinstance(cls, type) and issubclass(cls, Exception):
        raise cls(msg)
    raise RuntimeError(f"{name}: {msg}")


class Proxy:
    """Stands in the judge for a function the student wrote; the call runs in the worker."""

    def __init__(self, name: str):
        self.__name__ = self.__qualname__ = name
        _proxies[id(self)] = name

    def __repr__(self):
        return f"<your function {self.__name__} (runs in the grading sandbox)>"

    def __call__(self, *args, **kwargs):
        from initlab import _guard

        gens: list = []
        bufs: list = []
        req = {"op": "call", "name": self.__name__,
               "args": codec.encode(args, gens=gens, refs=_proxies, bufs=bufs),
               "kwargs": codec.encode(kwargs, gens=gens, refs=_proxies, bufs=bufs),
               "forbid": sorted(_guard._forbidden)}
        spy = sys.modules.get("labcheck.spy")      # labcheck.count_calls blocks open in the test
        spies = list(spy.ACTIVE) if spy is not None else []
        if spies:
            req["spies"] = [{"target": e["target"], "unless": e["unless"]} for e in spies]
        resp, out_bufs = worker().request(req, bufs)
        counts = resp.get("spied") if type(resp.get("spied")) is list else []
        for entry, n in zip(spies, counts, strict=False):
            if type(n) is int and n > 0:
                entry["calls"].extend([entry["target"]] * min(n, 1000))
        seen = resp.get("seen") if type(resp.get("seen")) is list else []
        if seen:
            _guard._calls.extend(str(s) for s in seen)
            record_flag("reference", f"{self.__name__} called initlab's reference "
                                     f"{', '.join(sorted(set(map(str, seen))))}")
        states = resp.get("gens") if type(resp.get("gens")) is list else []
        if len(states) == len(gens):
            for g, st in zip(gens, states, strict=True):
                codec.set_generator_state(g, codec.decode(st))
        if not resp.get("ok"):
            _raise_from(resp.get("exc", {}))
        try:
            return codec.decode(resp.get("value"), bufs=out_bufs)
        except codec.CodecError as exc:
            record_flag("type", f"{self.__name__} returned data the judge refused: {exc}")
            raise TypeError(f"{self.__name__} returned something that is not plain data: {exc}") from None


def _free_names(code: str) -> set[str]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def run_student_cell(code: str, names: list[str], user_ns: dict, filename: str = "<your cell>") -> None:
    """Run a student's cell in the worker, bind proxies for ``names`` in ``user_ns``."""
    env: dict = {}
    bufs: list = []
    for name in sorted(_free_names(code)):
        if name in user_ns and not isinstance(user_ns[name], Proxy):
            mark = len(bufs)
            try:
                env[name] = codec.encode(user_ns[name], gens=[], modules=True, bufs=bufs)
            except codec.CodecError:
                del bufs[mark:]
    req = {"op": "exec", "code": code, "env": env, "filename": filename}
    w = worker()
    resp, _ = w.request(req, bufs)
    for name in names:
        user_ns[name] = Proxy(name)
    if resp.get("ok"):
        w.history.append((req, bufs))
    else:
        _raise_from(resp.get("exc", {}))


def load_ipython_extension(ip) -> None:
    global END_KERNEL_ON_DEATH
    from IPython.core.magic import register_cell_magic

    END_KERNEL_ON_DEATH = True

    @register_cell_magic
    def student(line, cell):
        names = [n for n in line.split() if n.isidentifier()]
        run_student_cell(cell, names, ip.user_ns)

    import atexit

    atexit.register(lambda: _worker.kill() if _worker is not None else None)
