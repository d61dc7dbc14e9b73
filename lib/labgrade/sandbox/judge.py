"""The judge side of isolated grading: an IPython extension loaded in nbgrader's kernel.

In ``isolation = "judge"`` mode (:mod:`labgrade.sandbox.isolation`) nbgrader's kernel runs only
trusted code: the source version of the test cells and of the instructor's plain cells.
The student's code runs in a :mod:`labgrade.sandbox.worker` in a bubblewrap sandbox
(:mod:`labgrade.sandbox.bwrap`). The notebook the judge runs marks each cell with a cell magic:

``%%lg student <grade_id|added> <names>``
    the student's cell (the magic's body) runs in the worker; for each name (the
    functions the source solution defines) the judge binds a :class:`Proxy`.
``%%lg mirror <key>``
    a cell of the instructor's that the student could edit (the import cell, a demo):
    the student's version (from the plan file ``LABGRADE_JUDGE_PLAN``) runs in the worker,
    the source version (the body) in the judge.
``%%lg test <grade_id>``
    a test cell: its visible part runs in the worker first (as it ran in the student's
    notebook, so the worker's state is the notebook's), then the whole cell in the judge;
    what the hidden parts print is not shown (stderr written there is replaced by one
    line, so the item fails exactly as it would in plain nbgrader).

The worker's namespace is therefore the student's notebook's: the release's visible cells
and the student's own cells, in the student's order. Calling a proxy sends the arguments
as plain data (:mod:`labgrade.sandbox.codec`), runs the student's function, and brings back its
value, what it did to its mutable arguments, numpy's and Python's global random state,
the Generators' states, and its exception as the nearest builtin class with its message
and the student's own frames (:func:`render_traceback`).

What the judge noticed (timeouts, a dead worker, a value that is not plain data) is
appended to the JSON-lines file named by ``LABGRADE_JUDGE_FLAGS``; what the worker reports
is stored apart (kind ``worker``), so it can never crowd out a judge-side flag.
"""

from __future__ import annotations

import ast
import atexit
import builtins
import json
import linecache
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

from labgrade.course.regions import HIDDEN, hidden_line_numbers, marker, without_hidden_tests
from labgrade.sandbox import codec
from labgrade.sandbox.bwrap import Cgroup, memory_limit_bytes, process_limit, sandbox_command
from labgrade.sandbox.worker import _rng_state, _same_rng, _set_rng, _short

TIMEOUT_ENV = "LABGRADE_JUDGE_TIMEOUT"
FLAGS_ENV = "LABGRADE_JUDGE_FLAGS"
PLAN_ENV = "LABGRADE_JUDGE_PLAN"
HIDDEN_MSG_LIMIT = 300      # characters of a student's exception message shown from the hidden tests
_PKG = str(Path(__file__).resolve().parents[1])    # lib/labgrade/


class WorkerDied(RuntimeError):
    pass


class StudentTimeoutError(TimeoutError):
    """The student's code ran past the judge's time limit (a little under nbgrader's cell timeout).
    Reported like nbgrader's own CellTimeoutError (labgrade.grading.errors.TIMEOUT_ERRORS)."""


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
        self.command = command
        self.timeout = float(timeout or os.environ.get(TIMEOUT_ENV) or 120)
        self.proc: subprocess.Popen | None = None
        self.cgroup = None
        self.history: list[tuple[dict, list]] = []    # exec requests that ran, replayed after a restart
        self.deadline: float | None = None              # the current cell's (set by the magics)
        self._starting = False                          # launched, its start-up answer not read yet
        self._errlog = None

    # --- process -------------------------------------------------------------------------------------
    def launch(self) -> None:
        """Start the worker and send it the start-up check without waiting for the answer: it starts
        (bubblewrap, Python, numpy) while the kernel goes on; the first :meth:`request` waits for it."""
        command = self.command
        if command is None:
            self.cgroup = Cgroup.create(f"w{os.getpid()}-{int(time.monotonic() * 1e6)}", memory_limit_bytes(),
                                        process_limit())
            command = sandbox_command(cgroup=self.cgroup)
        self._errlog = tempfile.TemporaryFile()     # the worker's own stderr: shown if it fails to start
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._errlog, start_new_session=True)
        self._starting = True
        try:
            codec.send(self.proc.stdin, {"op": "ping"}, ())
        except Exception as exc:
            self._start_failed(exc)

    def _start_failed(self, exc: BaseException):
        self._errlog.seek(0)
        tail = self._errlog.read()[-600:].decode(errors="replace")
        self.kill()
        raise SandboxError(f"the grading sandbox (bubblewrap worker) did not start "
                           f"({type(exc).__name__}); its stderr ends with: {tail!r}") from None

    def start(self) -> None:
        """Start the worker (:meth:`launch`), wait until it answers, replay the cells it ran before.

        A worker that does not start is flagged here, when a cell needs it (not by a launch ahead
        that failed: the cell starts it again)."""
        try:
            if not self._starting:
                self.launch()
            try:
                codec.recv_bytes(lambda n: self._read(n, time.monotonic() + min(self.timeout, 60.0)))
            except Exception as exc:
                self._start_failed(exc)
        except SandboxError:
            record_flag("sandbox", "the grading sandbox did not start (a grading problem, not yours)")
            raise
        self._starting = False
        self._errlog.close()
        replay_until = time.monotonic() + self.timeout      # the whole replay, not each cell
        for req, bufs in self.history:
            try:
                self._roundtrip(req, bufs, replay_until)
            except Exception:
                break

    def kill(self) -> None:
        self._starting = False
        if self._errlog is not None and not self._errlog.closed:
            self._errlog.close()
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
        if self.cgroup is not None:
            self.cgroup.kill()
            self.cgroup.remove()
            self.cgroup = None

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

    def _roundtrip(self, req: dict, bufs, deadline: float) -> tuple[dict, list]:
        try:
            codec.send(self.proc.stdin, req, bufs)
            return codec.recv_bytes(lambda n: self._read(n, deadline))
        except TimeoutError:
            raise
        except (BrokenPipeError, EOFError, ConnectionError, OSError, ValueError) as exc:
            self.kill()
            raise WorkerDied(f"the process running your code ended ({type(exc).__name__})") from None

    def request(self, req: dict, bufs=(), *, quiet: bool = False) -> tuple[dict, list]:
        """Send ``req``; print what the student's code printed (unless ``quiet``); record its flags."""
        if self._starting and self.proc is not None and self.proc.poll() is None:
            self.start()            # launched ahead (load_ipython_extension): read its answer
        elif self.proc is None or self.proc.poll() is not None:
            self.kill()
            self.start()
        deadline = time.monotonic() + self.timeout
        if self.deadline is not None:
            deadline = min(deadline, self.deadline)
        try:
            resp, out_bufs = self._roundtrip(req, bufs, deadline)
        except TimeoutError:
            self.kill()
            record_flag("timeout", f"your code ran longer than the {self.timeout:.0f} s a cell may take "
                                   f"and was stopped")
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
        if not quiet:
            out, err = resp.get("out"), resp.get("err")
            if type(out) is str and out:
                print(out, end="")
            if type(err) is str and err:
                print(err, end="", file=sys.stderr)
        return resp, out_bufs


_worker: Worker | None = None
_proxies: dict[int, str] = {}
_synced_rng = None          # the global random state the worker last had (None: unknown)
_sent_rng = None            # the judge's state when the current request was sent


def worker() -> Worker:
    global _worker
    if _worker is None:
        _worker = Worker()
    return _worker


# --- global random state, both ways ----------------------------------------------------------------------

def _send_rng(req: dict) -> None:
    global _sent_rng
    now = _rng_state()
    if not _same_rng(now, _synced_rng):
        req["rng"] = codec.encode(now)
    _sent_rng = now


def _take_rng(resp: dict, adopt: bool) -> None:
    """After a request: adopt the worker's global random state (the student's code drew from it).

    The worker answers with its state only if the request changed it; otherwise both processes
    hold the state :func:`_send_rng` read just before (nothing in the judge draws in between), and
    it is not read again (50 us a call: the hidden tests call a student's function thousands of times).
    """
    global _synced_rng, _sent_rng
    sent, _sent_rng = _sent_rng, None
    if not adopt:
        _synced_rng = None
        return
    if "rng" in resp:
        try:
            state = codec.decode(resp["rng"])
            _set_rng(state)
        except Exception:
            record_flag("type", "the global random state your code left could not be read")
        _synced_rng = _rng_state()
    else:
        _synced_rng = sent if sent is not None else _rng_state()


# --- exceptions --------------------------------------------------------------------------------------------

def _raise_from(exc: dict):
    """Raise in the judge the error the student's code raised in the worker: the nearest builtin
    class of its MRO (``ReferenceCalledError`` kept), its arguments (or message), and the student's
    frames for :func:`render_traceback`."""
    from initlab import _guard  # the course package

    exc = exc if type(exc) is dict else {}
    name = str(exc.get("type", "Exception"))
    msg = str(exc.get("msg", ""))
    if name == "ReferenceCalledError":
        cls = _guard.ReferenceCalledError
    else:
        cls = getattr(builtins, name, None)
        if not (isinstance(cls, type) and issubclass(cls, BaseException)) or cls in (BaseExceptionGroup,):
            cls = RuntimeError
    err = None
    if "args" in exc:
        try:
            args = codec.decode(exc["args"])
            if type(args) is tuple:
                err = cls(*args)
        except Exception:
            err = None
    if err is None or str(err) != msg and not isinstance(err, KeyError):
        try:
            err = cls(msg)
        except Exception:
            err = RuntimeError(msg)
    err._labgrade_student = {"cls": str(exc.get("cls") or cls.__name__)[:200], "msg": msg,
                             "tb": str(exc.get("tb", ""))}
    raise err


_hidden_lines: dict[str, set[int]] = {}     # filename -> line numbers inside hidden regions


_IPYTHON_CELL = re.compile(r"(^|/)ipykernel_\d+/\d+\.py$|^<ipython-input-")


def _internal(filename: str, line: str | None = None) -> bool:
    """A frame of the judge's machinery: labgrade, IPython, ipykernel, or the kernel's own cell frame
    (``get_ipython().run_cell_magic(...)``, whose text is the whole cell, hidden tests included)."""
    return filename.startswith(_PKG + "/") or "/IPython/" in filename or "/ipykernel/" in filename \
        or filename.startswith("<frozen") or filename == "<string>" or bool(_IPYTHON_CELL.search(filename)) \
        or "run_cell_magic(" in (line or "")


def render_traceback(etype, value, tb) -> list[str]:
    """A traceback as the student's notebook shows it: the cell's frames, the course library's,
    the student's own (from the worker), never the judge's or a path of the grading machine."""
    lines = ["Traceback (most recent call last):"]
    for fs in traceback.extract_tb(tb):
        if _internal(fs.filename, fs.line):
            continue
        lines.append(f'  File "{_short(fs.filename)}", line {fs.lineno}, in {fs.name}')
        if fs.lineno in _hidden_lines.get(fs.filename, ()):
            lines.append("    (a line of the hidden tests)")
        else:
            text = fs.line or linecache.getline(fs.filename, fs.lineno or 0)
            if text and text.strip():
                lines.append(f"    {text.strip()}")
    student = getattr(value, "_labgrade_student", None)
    if isinstance(student, dict):
        lines.extend(line for line in str(student.get("tb", "")).rstrip("\n").split("\n") if line)
        msg = str(student.get("msg", ""))
        last = f"{student.get('cls')}: {msg}" if msg else str(student.get("cls"))
    else:
        last = "".join(traceback.format_exception_only(etype, value)).rstrip()
    if len(lines) == 1:
        lines = []
    return ["\n".join(lines), last] if lines else [last]


def _custom_exc(shell, etype, value, tb, tb_offset=None):
    try:
        stb = render_traceback(etype, value, tb)
    except Exception:           # never IPython's own traceback: its cell frame holds the hidden tests
        stb = [f"{getattr(etype, '__name__', 'Exception')}: {str(value)[:2000]}"]
    shell._showtraceback(etype, value, stb)
    return stb


# --- proxies -----------------------------------------------------------------------------------------------

def _keep(x) -> bool:
    return type(x) is np.random.Generator or isinstance(x, Proxy)


def _same_value(a, b) -> bool:
    if type(a) is not type(b):
        return False
    try:
        return bool(a == b)
    except Exception:
        return False


def _mutable(x) -> bool:
    return isinstance(x, (np.ndarray, list, dict, set, tuple))


def write_back(orig, new, _depth: int = 0) -> None:
    """Make ``orig`` (an argument the test passed) what the student's call made of its copy."""
    if _depth > codec.MAX_DEPTH or new is codec.GENERATOR_PLACEHOLDER:
        return
    kw = {"_depth": _depth + 1}
    if isinstance(orig, np.ndarray):
        if type(new) is np.ndarray and new.shape == orig.shape and orig.flags.writeable:
            try:
                if not np.array_equal(orig, new, equal_nan=orig.dtype.kind in "fc"):
                    np.copyto(orig, new, casting="unsafe")
            except (TypeError, ValueError):
                pass
    elif isinstance(orig, list) and type(new) is list:
        if len(orig) != len(new):
            orig[:] = new
            return
        for i, (o, n) in enumerate(zip(orig, new, strict=True)):
            if _mutable(o):
                write_back(o, n, **kw)
            elif not _same_value(o, n):
                orig[i] = n
    elif isinstance(orig, dict) and type(new) is dict:
        for k in [k for k in orig if k not in new]:
            del orig[k]
        for k, n in new.items():
            if k in orig and _mutable(orig[k]):
                write_back(orig[k], n, **kw)
            elif k not in orig or not _same_value(orig[k], n):
                orig[k] = n
    elif isinstance(orig, tuple) and type(new) is tuple and len(orig) == len(new):
        for o, n in zip(orig, new, strict=True):
            if _mutable(o):
                write_back(o, n, **kw)
    elif isinstance(orig, set) and type(new) is set and orig != new:
        orig.clear()
        orig.update(new)


class Proxy:
    """Stands in the judge for a function the student wrote; the call runs in the worker."""

    def __init__(self, name: str):
        self.__name__ = self.__qualname__ = name
        _proxies[id(self)] = name

    def __repr__(self):
        return f"<function {self.__name__}>"

    def __call__(self, *args, **kwargs):
        from initlab import _guard  # the course package

        gens: list = []
        bufs: list = []
        try:
            pargs = codec.to_plain(args, keep=_keep)
            pkwargs = codec.to_plain(kwargs, keep=_keep)
            req = {"op": "call", "name": self.__name__,
                   "args": codec.encode(pargs, gens=gens, refs=_proxies, bufs=bufs),
                   "kwargs": codec.encode(pkwargs, gens=gens, refs=_proxies, bufs=bufs),
                   "forbid": sorted(_guard._forbidden)}
        except codec.CodecError as exc:
            raise TypeError(f"the grader cannot pass this argument to {self.__name__}: {exc}") from None
        spy = sys.modules.get("labcheck.spy")      # labcheck.count_calls blocks open in the test
        spies = list(spy.ACTIVE) if spy is not None else []
        if spies:
            req["spies"] = [{"target": e["target"], "unless": e["unless"]} for e in spies]
        _send_rng(req)
        resp, out_bufs = worker().request(req, bufs)
        counts = resp.get("spied") if type(resp.get("spied")) is list else []
        for entry, n in zip(spies, counts, strict=False):
            if type(n) is int and n > 0:
                entry["calls"].extend([entry["target"]] * min(n, 1000))
        seen = resp.get("seen") if type(resp.get("seen")) is list else []
        if seen:
            _guard._calls.extend(str(s) for s in seen)
        states = resp.get("gens") if type(resp.get("gens")) is list else []
        if len(states) == len(gens):
            for g, st in zip(gens, states, strict=True):
                codec.set_generator_state(g, codec.decode(st))
        if "mutated" in resp:
            try:
                new_args, new_kwargs = codec.decode(resp["mutated"], bufs=out_bufs)
                write_back(args, new_args)
                write_back(kwargs, new_kwargs)
            except Exception:
                record_flag("type", f"what {self.__name__} did to its arguments could not be read back")
        _take_rng(resp, adopt=True)
        if not resp.get("ok"):
            _raise_from(resp.get("exc", {}))
        try:
            return codec.decode(resp.get("value"), bufs=out_bufs)
        except codec.CodecError as exc:
            record_flag("type", f"{self.__name__} returned data the judge refused: {exc}")
            raise TypeError(f"{self.__name__} returned something that is not plain data: {exc}") from None


# --- cells ----------------------------------------------------------------------------------------------

def _cell_filename(key: str) -> str:
    return f"Cell [{key}]"


def run_student_cell(code: str, names: list[str], user_ns: dict, filename: str = "Cell [yours]") -> None:
    """Run a student's cell in the worker, bind proxies for ``names`` in ``user_ns``."""
    req = {"op": "exec", "mode": "student", "code": code, "filename": filename}
    _send_rng(req)
    w = worker()
    resp, _ = w.request(req)
    w.history.append((req, []))
    _take_rng(resp, adopt=True)
    for name in names:
        user_ns[name] = Proxy(name)
    if not resp.get("ok"):
        _raise_from(resp.get("exc", {}))


def mirror(code: str, filename: str, *, show: bool = False) -> None:
    """Run a cell of the student's notebook that the judge runs its own version of (output not
    shown), or, with ``show``, one the judge skips (:func:`labgrade.sandbox.isolation.prune_mirrors`):
    its text output is then the cell's."""
    if not code.strip():
        return
    req = {"op": "exec", "mode": "mirror", "code": code, "filename": filename}
    if show:
        req["show"] = 1
    _send_rng(req)
    w = worker()
    w.request(req, quiet=not show)
    w.history.append((req, []))
    _take_rng({}, adopt=False)


def visible_part(code: str) -> str:
    """The cell without its hidden regions (markers included), as students receive it."""
    return without_hidden_tests(code)


def segments(code: str) -> list[tuple[bool, str]] | None:
    """``code`` cut at its hidden-test markers: (hidden, code) pieces, line numbers kept (each
    piece is padded with blank lines); None if a piece is not valid Python on its own."""
    lines = code.splitlines(True)
    pieces: list[tuple[bool, list[int]]] = []
    hidden = False
    for i, line in enumerate(lines):
        m = marker(line)
        if m is not None and m.kind == HIDDEN:
            hidden = m.begin
            continue
        if not pieces or pieces[-1][0] != hidden:
            pieces.append((hidden, []))
        pieces[-1][1].append(i)
    out = []
    for hid, idx in pieces:
        text = "".join("\n" * idx[0]) + "".join(lines[i] for i in idx)
        try:
            ast.parse(text)
        except SyntaxError:
            return None
        out.append((hid, text))
    return out


def _run(code: str, filename: str, ns: dict, *, display_last: bool):
    """exec ``code`` in ``ns``; if ``display_last`` and it ends with an expression, return its value."""
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    tree = ast.parse(code, filename)
    last = None
    if display_last and tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    exec(compile(tree, filename, "exec"), ns)
    if last is not None:
        return eval(compile(last, filename, "eval"), ns)
    return None


def _quiet_stderr_note(err: str) -> None:
    if err:
        print("[the hidden tests wrote to stderr (a warning or an error message of your code); "
              "not shown]", file=sys.stderr)


def run_test_cell(code: str, gid: str, ns: dict):
    """A test cell: its visible part in the worker first, then the whole cell in the judge, with
    what the hidden parts print kept out of the notebook."""
    from IPython.utils.capture import capture_output  # IPython: present in the kernel, imported when a test cell runs

    filename = _cell_filename(gid)
    mirror(visible_part(code), filename)
    pieces = segments(code)
    if pieces is None:         # a hidden region that is not a block of its own: the whole cell is quiet
        pieces = [(True, code)]
    _hidden_lines[filename] = hidden_line_numbers(code)
    result = None
    for k, (hidden, text) in enumerate(pieces):
        last = k == len(pieces) - 1
        if not hidden:
            result = _run(text, filename, ns, display_last=last)
            continue
        cap = capture_output()
        captured = cap.__enter__()
        try:
            result = _run(text, filename, ns, display_last=last)
        except BaseException as exc:
            student = getattr(exc, "_labgrade_student", None)
            if isinstance(student, dict) and len(student.get("msg", "")) > HIDDEN_MSG_LIMIT:
                student["msg"] = student["msg"][:HIDDEN_MSG_LIMIT] + " [...]"
            raise
        finally:
            cap.__exit__(None, None, None)
            _quiet_stderr_note(captured.stderr)
    return result


def load_ipython_extension(ip) -> None:
    global END_KERNEL_ON_DEATH
    from IPython.core.magic import register_cell_magic  # IPython

    END_KERNEL_ON_DEATH = True
    # nothing from the notebook's folder (a submission's files) may shadow a module of the judge's
    cwd = os.getcwd()
    sys.path[:] = [p for p in sys.path if p not in ("", ".", cwd)]
    # every exception a cell can end with (KeyboardInterrupt included: a student's code may raise it);
    # SystemExit is shown by IPython as its message only
    ip.set_custom_exc((Exception, KeyboardInterrupt, GeneratorExit), _custom_exc)
    plan: dict | None = None

    def student_cell(key: str) -> str:
        # the plan is read at the first cell that needs it, not at start: a kernel may be started ahead,
        # while labgrade.sandbox.isolation.JudgeNotebook still writes its notebook's plan
        nonlocal plan
        if plan is None:
            try:
                plan = json.loads(Path(os.environ[PLAN_ENV]).read_text()) if os.environ.get(PLAN_ENV) else {}
            except (OSError, ValueError):
                plan = {}
        return str(plan.get(key, ""))

    timeout = float(os.environ.get(TIMEOUT_ENV) or 120)
    try:
        worker().launch()       # the worker starts while nbgrader's client connects and sends the first cell
    except Exception:
        pass                    # reported by the first cell that needs it (request starts it again)

    @register_cell_magic
    def lg(line, cell):
        kind, _, rest = line.strip().partition(" ")
        key, _, names = rest.partition(" ")
        worker().deadline = time.monotonic() + timeout
        try:
            if kind == "student":
                run_student_cell(cell, [n for n in names.split() if n.isidentifier()], ip.user_ns,
                                 filename=_cell_filename(key))
                return None
            if kind == "mirror-only":
                mirror(student_cell(key), _cell_filename(key), show=True)
                imports = [n for n in ast.parse(cell).body if isinstance(n, (ast.Import, ast.ImportFrom))]
                if imports:
                    exec(compile(ast.Module(imports, []), _cell_filename(key) + " (course)", "exec"), ip.user_ns)
                return None
            if kind == "mirror":
                mirror(student_cell(key), _cell_filename(key))
                return _run(cell, _cell_filename(key) + " (course)", ip.user_ns, display_last=True)
            if kind == "test":
                return run_test_cell(cell, key, ip.user_ns)
            raise ValueError(f"unknown %%lg cell kind {kind!r}")
        finally:
            if _worker is not None:
                _worker.deadline = None


    atexit.register(lambda: _worker.kill() if _worker is not None else None)
