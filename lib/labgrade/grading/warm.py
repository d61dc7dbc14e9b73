"""Warm nbgrader processes: each autograde and feedback run is forked from a process that
has already imported nbgrader.

Starting ``python -m nbgrader`` costs about 2 s of CPU before it does anything (importing
nbgrader, nbconvert, SQLAlchemy, jupyter_client), twice per student (autograde, then
generate_feedback). A *zygote* process (:func:`serve`, started by code, single-threaded)
imports them once; for each run it forks a child that

* starts a session of its own (``setsid``: the runner kills its process group and every
  kernel below it at the per-student time limit, as before),
* dies with the zygote (``PR_SET_PDEATHSIG``), which dies with the process that started it,
* sets its limits (``RLIMIT_AS`` for the memory limit, inherited by its kernels; no core
  files), its working folder, its environment (the run's, not the zygote's), its output
  (the student's log) and its title (``ps`` shows ``python -m nbgrader autograde ...``),
  then runs nbgrader's command line as ``python -m nbgrader`` would.

Students stay apart: a child never returns to the zygote (it ends with ``os._exit``), and
no student code ever runs in the zygote or its children (it runs in kernels and the
sandbox, processes these children start). The zygote answers on its stdout, in JSON lines:
``{"id": n, "pid": p}`` when child ``p`` started, ``{"pid": p, "status": s}`` when it ended
(``s`` as ``subprocess.Popen.returncode``: negative for a signal).

:class:`Zygote` is the runner's side; :func:`serve` the zygote's.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
from pathlib import Path

# imported by the zygote before it forks anyone (what `python -m nbgrader autograde|generate_feedback` imports)
PRELOAD = (
    "nbgrader.apps.nbgraderapp",
    "nbgrader.apps.autogradeapp",
    "nbgrader.apps.generatefeedbackapp",
    "nbgrader.converters",
    "nbgrader.preprocessors",
    "nbgrader.api",
    "nbconvert.exporters.html",
    "nbclient",
    "jupyter_client.manager",
    "labgrade.sandbox.isolation",
    "labgrade.reports.feedback",
)

# started by code, not `python -m`: only the cli runs modules as programs
ZYGOTE_MAIN = "from labgrade.grading.warm import serve; serve()"


class ZygoteError(RuntimeError):
    """The zygote did not start or stopped answering."""


class WarmProcess:
    """A child of the zygote, used like :class:`subprocess.Popen` (pid, wait, poll, returncode)."""

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        self._done = threading.Event()

    def _exited(self, status: int) -> None:
        self.returncode = status
        self._done.set()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._done.wait(timeout):
            raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout)
        return self.returncode

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Zygote:
    """The runner's side of a zygote: ``spawn`` nbgrader command lines, get Popen-like objects.

    Thread-safe (the grading threads share one). ``close()`` ends the zygote once its
    children are done; it also dies with this process (``setpriv --pdeathsig``).
    """

    def __init__(self, env: dict | None = None, cwd: Path | None = None, *, wait: bool = True):
        """Start the zygote; with ``wait``, return once it has imported nbgrader (about 2 s), else at
        once (:meth:`wait_ready`, or the first :meth:`spawn`, waits).

        Start it from a thread that outlives it: it dies with that *thread* (``PR_SET_PDEATHSIG``)."""
        cmd = ["setpriv", "--pdeathsig", "KILL", "--", sys.executable, "-c", ZYGOTE_MAIN]
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      env=env, cwd=cwd, start_new_session=True, text=True, bufsize=1)
        self._lock = threading.Lock()
        self._ready_lock = threading.Lock()
        self._ready = False
        self._next = 0
        self._started: dict[int, tuple[threading.Event, list]] = {}
        self._children: dict[int, WarmProcess] = {}
        self._early: dict[int, int] = {}          # exits read before their spawn was answered
        self.closed = False
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        """Wait until the zygote has imported nbgrader; :class:`ZygoteError` if it did not start."""
        with self._ready_lock:
            if self._ready:
                return
            if self.closed:
                raise ZygoteError("the zygote was closed before it started")
            ready = self._proc.stdout.readline()
            if ready.strip() != '{"ready": true}':
                err = self._proc.stderr.read() if self._proc.poll() is not None else ""
                self._proc.kill()
                self.closed = True
                raise ZygoteError(f"the zygote did not start: {ready.strip() or err.strip()[-500:]}")
            self._reader = threading.Thread(target=self._read, name="zygote-reader", daemon=True)
            self._reader.start()
            self._ready = True

    def _read(self) -> None:
        for line in self._proc.stdout:
            msg = json.loads(line)
            with self._lock:
                if "id" in msg:
                    ev, box = self._started.pop(msg["id"])
                    box.append(msg.get("pid") or msg.get("error"))
                    ev.set()
                elif msg["pid"] in self._children:
                    self._children.pop(msg["pid"])._exited(msg["status"])
                else:
                    self._early[msg["pid"]] = msg["status"]
        with self._lock:      # the zygote is gone: its children died with it
            self.closed = True
            for child in self._children.values():
                child._exited(-signal.SIGKILL)
            self._children.clear()
            for ev, box in self._started.values():
                box.append("the zygote stopped")
                ev.set()

    def spawn(self, args: list[str], *, cwd: Path, env: dict, log: Path, memory_mb: int = 0,
              script: Path | None = None) -> WarmProcess:
        """Run ``python -m nbgrader <args>`` in a fresh child, output appended to ``log``.

        ``script``: run that file instead (``python script args``), e.g. a probe in a test."""
        self.wait_ready()
        ev, box = threading.Event(), []
        with self._lock:
            self._next += 1
            rid = self._next
            self._started[rid] = (ev, box)
            try:
                self._proc.stdin.write(json.dumps({"id": rid, "args": list(args), "cwd": str(cwd), "env": env,
                                                   "log": str(log), "memory_mb": int(memory_mb),
                                                   "script": str(script) if script else None}) + "\n")
                self._proc.stdin.flush()
            except (BrokenPipeError, ValueError) as exc:
                self._started.pop(rid, None)
                raise ZygoteError(f"the zygote stopped: {exc}") from None
        if not ev.wait(60):
            raise ZygoteError("the zygote did not answer in 60 s")
        pid = box[0]
        if not isinstance(pid, int):
            raise ZygoteError(f"the zygote could not start nbgrader: {pid}")
        child = WarmProcess(pid)
        with self._lock:
            if pid in self._early:
                child._exited(self._early.pop(pid))
            else:
                self._children[pid] = child
        return child

    def close(self) -> None:
        self.closed = True
        try:
            self._proc.stdin.close()
        except OSError:
            pass
        try:
            self._proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._proc.stdout.close()
        self._proc.stderr.close()

    def __enter__(self) -> Zygote:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ---- the zygote's side -------------------------------------------------------------------------------

def _die_with_parent() -> None:
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _child(req: dict) -> None:
    """In the forked child: become the run, then exit with nbgrader's status. Never returns."""
    code = 1
    try:
        import resource

        os.setsid()
        _die_with_parent()
        if req["memory_mb"] > 0:
            limit = req["memory_mb"] * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.chdir(req["cwd"])
        os.environ.clear()
        os.environ.update(req["env"])
        log = os.open(req["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.closerange(3, 1 << 16)
        sys.stdin = open(0, closefd=False)
        sys.stdout = open(1, "w", buffering=1, closefd=False)
        sys.stderr = open(2, "w", buffering=1, closefd=False)
        _retitle(req)
        try:
            if req.get("script"):
                import runpy

                sys.argv = [req["script"], *req["args"]]
                runpy.run_path(req["script"], run_name="__main__")
            else:
                from nbgrader.apps.nbgraderapp import NbGraderApp

                sys.argv = [sys.executable, "-m", "nbgrader", *req["args"]]
                NbGraderApp.launch_instance(argv=req["args"])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if isinstance(exc.code, str):
                print(exc.code, file=sys.stderr)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        try:
            ahead = sys.modules.get("labgrade.grading.ahead")
            if ahead is not None:       # what atexit does in a process of its own: no kernel left behind
                ahead.discard_ahead()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _retitle(req: dict) -> None:
    """Show the child as the command it runs (``ps``, ``top``, psutil's cmdline), not as the zygote."""
    from setproctitle import setproctitle

    program = [req["script"]] if req.get("script") else ["python", "-m", "nbgrader"]
    setproctitle(" ".join([*program, *req["args"]]))


def _status(raw: int) -> int:
    return -os.WTERMSIG(raw) if os.WIFSIGNALED(raw) else os.WEXITSTATUS(raw)


def serve() -> None:
    """The zygote: preload, then fork one child per request line on stdin until stdin closes."""
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    from setproctitle import getproctitle

    getproctitle()      # setproctitle takes hold of argv's memory now, before a child changes its environment
    out = sys.stdout
    out.write('{"ready": true}\n')
    out.flush()
    children: set[int] = set()
    stdin = sys.stdin.buffer
    buf = b""
    open_ = True
    while open_ or children:
        ready, _, _ = select.select([stdin] if open_ else [], [], [], 0.05)
        if ready:
            chunk = os.read(stdin.fileno(), 1 << 16)
            if not chunk:
                open_ = False
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                req = json.loads(line)
                out.flush()
                try:
                    pid = os.fork()
                except OSError as exc:
                    out.write(json.dumps({"id": req["id"], "error": str(exc)}) + "\n")
                    out.flush()
                    continue
                if pid == 0:
                    _child(req)
                children.add(pid)
                out.write(json.dumps({"id": req["id"], "pid": pid}) + "\n")
                out.flush()
        while children:
            try:
                pid, raw = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                children.clear()
                break
            if pid == 0:
                break
            children.discard(pid)
            out.write(json.dumps({"pid": pid, "status": _status(raw)}) + "\n")
            out.flush()

