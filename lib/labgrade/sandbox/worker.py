"""The worker: runs a student's code in a sandbox, answers the judge with plain data.

Started by :mod:`labgrade.sandbox.judge` as ``bwrap ... python -c 'from labgrade.sandbox.worker import main; main()'``
(:mod:`labgrade.sandbox.bwrap`): no network, no course directory (only the venv,
the Python installation and ``lib/initlab`` + ``lib/labcheck`` + ``lib/labgrade``
read-only), a private ``/tmp``, its own PID namespace, killed with its parent,
without capabilities and as an unprivileged user, under cgroup limits. Requests and
answers are :mod:`labgrade.sandbox.codec` messages on the worker's original stdin and
stdout; the student's code sees ``/dev/null`` there, and what it prints to
``sys.stdout``/``sys.stderr`` is captured (truncated) and sent back.

Everything in this process is under the student's control once their code ran:
the judge trusts nothing it says beyond plain data, decoded with exact types.
"""

from __future__ import annotations

import builtins
import io
import os
import sys
import traceback
from pathlib import Path

OUTPUT_LIMIT = 20_000   # characters of stdout/stderr kept per request

_flags: list[str] = []
_protected: tuple[str, ...] = ()
_allowed: tuple[str, ...] = ()


class _Capture(io.TextIOBase):
    def __init__(self, limit=OUTPUT_LIMIT):
        self.parts, self.size, self.limit, self.dropped = [], 0, limit, 0

    def writable(self):
        return True

    def write(self, s):
        s = str(s)
        room = self.limit - self.size
        if room > 0:
            self.parts.append(s[:room])
            self.size += min(len(s), room)
        self.dropped += max(0, len(s) - max(room, 0))
        return len(s)

    def text(self):
        out = "".join(self.parts)
        if self.dropped:
            out += f"\n[... {self.dropped} more characters of output not shown]\n"
        return out


def _flag(text: str) -> None:
    if text not in _flags and len(_flags) < 50:
        _flags.append(text)


def _under(path: str, prefixes) -> bool:
    return any(path == p or path.startswith(p.rstrip("/") + "/") for p in prefixes)


def _audit(event, args):
    if event in ("open", "os.listdir", "os.scandir", "os.remove", "os.rename", "os.mkdir", "shutil.rmtree"):
        path = args[0] if args else None
        if isinstance(path, bytes):
            path = path.decode(errors="replace")
        if isinstance(path, str) and path and _protected:
            full = os.path.abspath(path)
            if _under(full, _protected) and not _under(full, _allowed):
                _flag(f"file access: tried to reach {full} (outside the sandbox)")
    elif event in ("subprocess.Popen", "os.system", "os.posix_spawn", "os.fork", "os.forkpty", "os.exec"):
        _flag("process: started a process")
    elif event == "socket.connect":
        _flag("network: tried to open a network connection")
    elif event in ("os.kill", "os.killpg"):
        _flag("signal: tried to send a signal")


_WATCHED = ("builtins", "math", "numpy", "numpy.testing", "numpy.linalg", "numpy.random", "scipy", "scipy.stats",
            "initlab", "initlab._guard", "labcheck", "labcheck.core", "labcheck.distributions")
_snapshot: dict[str, dict[str, int]] = {}
_builtins = dict(vars(builtins))   # put back after each request: the protocol code needs them


_LAZY = ("scipy", "scipy.stats")   # 0.8 s to import: snapshot when the student's code imports them


def _snap(name: str, mod) -> None:
    _snapshot[name] = {k: id(v) for k, v in vars(mod).items()}


class _SnapshotOnImport:
    """A meta-path finder that snapshots a lazily watched module right after it is first executed,
    before the student's code can touch it (saves importing scipy.stats in every worker)."""

    def find_spec(self, name, path=None, target=None):
        if name not in _LAZY or name in _snapshot:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        real_exec = loader.exec_module

        def exec_module(module):
            real_exec(module)
            _snap(name, module)

        loader.exec_module = exec_module
        return spec


def _take_snapshot() -> None:
    import importlib  # imported when a request needs it (the judge loads this module too)

    for name in _WATCHED:
        if name in _LAZY:
            continue
        try:
            mod = importlib.import_module(name)
        except Exception:
            continue
        _snap(name, mod)
    for name in _LAZY:
        if name in sys.modules:
            _snap(name, sys.modules[name])
    sys.meta_path.insert(0, _SnapshotOnImport())


def _check_patches() -> None:
    """Flag the attributes of the modules tests rely on that the student's code replaced."""
    for name, before in _snapshot.items():
        mod = sys.modules.get(name)
        if mod is None:
            continue
        now = vars(mod)
        changed = sorted(k for k, i in before.items() if k in now and id(now[k]) != i)
        if changed:
            _flag(f"monkeypatch: your code replaced {', '.join(name + '.' + k for k in changed[:5])}")


_LIB = str(Path(__file__).resolve().parents[2])     # lib/
_HIDE = (str(Path(__file__).resolve().parents[1]),)   # labgrade's own frames: the student never wrote them


def _short(path: str) -> str:
    """A library file's path without the grading machine's folders (``numpy/linalg/_linalg.py``)."""
    if path.startswith("<") or path.startswith("Cell ["):
        return path
    for mark in ("/site-packages/", "/dist-packages/"):
        if mark in path:
            return path.split(mark, 1)[1]
    if path.startswith(_LIB + "/"):
        return path[len(_LIB) + 1:]
    for prefix in (os.path.realpath(sys.base_prefix), sys.base_prefix, sys.prefix):
        if path.startswith(prefix + "/"):
            return path[len(prefix) + 1:].split("/", 2)[-1]
    return os.path.basename(path)


def format_student_tb(exc: BaseException) -> str:
    """The frames of the student's code (their cell and line) and of the libraries it called,
    as their notebook shows them, without the worker's own frames or the machine's paths."""
    import linecache  # imported when a request needs it (the judge loads this module too)

    lines = []
    for fs in traceback.extract_tb(exc.__traceback__):
        if any(fs.filename.startswith(h) for h in _HIDE):
            continue
        lines.append(f'  File "{_short(fs.filename)}", line {fs.lineno}, in {fs.name}\n')
        text = fs.line or linecache.getline(fs.filename, fs.lineno or 0).strip()
        if text:
            lines.append(f"    {text.strip()}\n")
    return "".join(lines[-40:])


def builtin_base(exc: BaseException) -> type:
    """The nearest builtin exception class in ``exc``'s MRO (a ValueError subclass -> ValueError)."""
    for cls in type(exc).__mro__:
        if cls.__module__ == "builtins":
            return cls
    return BaseException


def _exc_info(exc: BaseException) -> dict:
    from initlab import _guard  # the course package
    from labgrade.sandbox import codec  # imported when a request needs it

    if isinstance(exc, (SystemExit, KeyboardInterrupt, GeneratorExit)):
        _flag(f"exit: your code raised {type(exc).__name__}")
    if isinstance(exc, MemoryError):
        _flag("memory: your code ran out of memory")
    try:
        msg = str(exc)
    except BaseException:
        msg = "<the message of this exception could not be shown>"
    base = "ReferenceCalledError" if isinstance(exc, _guard.ReferenceCalledError) else builtin_base(exc).__name__
    info = {"type": base, "cls": type(exc).__qualname__[:200], "msg": msg[:2000],
            "tb": format_student_tb(exc)[-6000:]}
    try:
        info["args"] = codec.encode(codec.to_plain(tuple(exc.args)))
    except BaseException:
        pass
    return info


def _rng_state():
    import random  # imported when a request needs it (the judge loads this module too)

    import numpy as np  # imported when a request needs it (the judge loads this module too)

    return (np.random.get_state(), random.getstate())  # noqa: NPY002 (the global state students may use)


def _same_rng(a, b) -> bool:
    import numpy as np  # imported when a request needs it (the judge loads this module too)

    if a is None or b is None:
        return False
    (na, pa), (nb, pb) = a, b
    return pa == pb and na[0] == nb[0] and na[2:] == nb[2:] and np.array_equal(na[1], nb[1])


def _set_rng(state) -> None:
    import random  # imported when a request needs it (the judge loads this module too)

    import numpy as np  # imported when a request needs it (the judge loads this module too)

    np_state, py_state = state
    np.random.set_state(tuple(np_state))  # noqa: NPY002
    random.setstate((py_state[0], tuple(py_state[1]), py_state[2]))


_shell = None


def _ipython(ns: dict):
    """IPython's shell over the worker's namespace, made the first time a cell needs it (a magic,
    a shell escape, ``get_ipython()``, ``display``), as in the student's own kernel."""
    global _shell
    if _shell is None:
        from IPython.core.interactiveshell import InteractiveShell  # IPython in the worker
        from traitlets.config import Config  # IPython in the worker: only when a cell needs its syntax

        cfg = Config()
        cfg.HistoryManager.enabled = False
        _shell = InteractiveShell.instance(config=cfg, user_ns=ns)
    return _shell


def _compile_cell(code_text: str, filename: str, ns: dict):
    """A cell as the student's kernel runs it: plain Python, or IPython's syntax (``%timeit``,
    ``%%time``, ``!ls``, ``x?``) turned into Python by IPython's own transformers."""
    import linecache  # imported when a request needs it (the judge loads this module too)

    ns.setdefault("get_ipython", lambda: _ipython(ns))
    if "display" not in ns:
        def display(*objs, **kwargs):
            from IPython.display import display as show  # IPython in the worker: only when a cell displays

            return show(*objs, **kwargs)

        ns["display"] = display
    try:
        code = compile(code_text, filename, "exec")
    except SyntaxError:
        from IPython.core.inputtransformer2 import TransformerManager  # IPython in the worker

        python = TransformerManager().transform_cell(code_text)
        if python == code_text:
            raise
        _ipython(ns)
        code = compile(python, filename, "exec")
    linecache.cache[filename] = (len(code_text), None, code_text.splitlines(True), filename)
    return code


def serve(fin, fout) -> None:
    import contextlib  # imported when a request needs it (the judge loads this module too)
    import warnings  # imported when a request needs it (the judge loads this module too)

    from initlab import _guard  # the course package
    from labcheck.spy import count_calls  # imported when a request needs it
    from labgrade.sandbox import codec  # imported when a request needs it

    ns: dict = {"__name__": "__main__", "__builtins__": builtins}

    def read(n):
        data = fin.read(n)
        if len(data) != n:
            raise EOFError
        return data

    def keep(x):
        return type(x) is __import__("numpy").random.Generator

    real_out, real_err = sys.stdout, sys.stderr
    last_rng = None     # the global random state this worker answered its last request with (None: unknown)
    while True:
        try:
            req, in_bufs = codec.recv_bytes(read)
            out_bufs: list = []
        except EOFError:
            return
        out, err = _Capture(), _Capture()
        resp: dict = {"ok": True}
        gens: list = []
        op = req.get("op")
        mirror = op == "exec" and req.get("mode") == "mirror"
        rng_before = None
        sys.stdout, sys.stderr = out, err
        try:
            if "rng" in req:           # the judge's global random state (numpy's legacy one, Python's)
                _set_rng(codec.decode(req["rng"]))
            # unchanged since the last answer unless the judge sent its own (nothing of the student's
            # runs between requests but threads it started, whose draws then count in this request)
            rng_before = last_rng if last_rng is not None and "rng" not in req else _rng_state()
            last_rng = None
            if op == "ping":            # the judge's start-up check: the sandbox runs and imports
                pass
            elif op == "exec":
                filename = str(req.get("filename", "Cell [?]"))
                code_text = str(req["code"])
                code = _compile_cell(code_text, filename, ns)
                if mirror:
                    with contextlib.suppress(Exception):
                        exec(code, ns)
                else:
                    exec(code, ns)
            elif op == "call":
                func = ns.get(req["name"])
                if not callable(func):
                    raise NameError(f"name {req['name']!r} is not defined")
                args = codec.decode(req["args"], gens=gens, resolve=ns.__getitem__, bufs=in_bufs)
                kwargs = codec.decode(req["kwargs"], gens=gens, resolve=ns.__getitem__, bufs=in_bufs)
                before_bufs: list = []
                before = codec.encode((args, kwargs), gens=[], refs=None, bufs=before_bufs, stateless=True)
                seen: list = []
                spied: list = []
                try:
                    with contextlib.ExitStack() as stack:
                        # the test's labcheck.count_calls spies, set up where the student's code runs
                        for spec in req.get("spies", ()):
                            spied.append(stack.enter_context(count_calls(str(spec["target"]),
                                                                         unless=spec.get("unless"))))
                        with _guard.forbid(*req.get("forbid", ())) as seen:
                            value = func(*args, **kwargs)
                finally:
                    resp["seen"] = [str(s) for s in seen]
                    resp["spied"] = [len(c) for c in spied]
                sys.stdout, sys.stderr = real_out, real_err
                vars(builtins).update(_builtins)
                try:
                    resp["value"] = codec.encode(codec.to_plain(value), bufs=out_bufs)
                except codec.CodecError as exc:
                    out_bufs.clear()
                    _flag(f"type: {req['name']} returned a {type(value).__module__}.{type(value).__qualname__}")
                    resp = {"ok": False, "seen": resp.get("seen", []),
                            "exc": {"type": "TypeError", "cls": "TypeError", "tb": "",
                                    "msg": f"{req['name']} returned a value that is not plain data: {exc}"}}
                # what the call did to its (mutable) arguments goes back, so the test sees it
                after_bufs: list = []
                try:
                    after = codec.encode(codec.to_plain((args, kwargs), keep=keep), gens=[], bufs=after_bufs,
                                         stateless=True)
                    if after != before or after_bufs != before_bufs:
                        base = len(out_bufs)
                        resp["mutated"] = codec.encode(codec.to_plain((args, kwargs), keep=keep), gens=[],
                                                       bufs=out_bufs, stateless=True)
                        resp["mutated_base"] = base
                except codec.CodecError:
                    pass
            else:
                raise ValueError(f"unknown request {op!r}")
        except BaseException as exc:  # the student's code may raise anything, SystemExit included
            sys.stdout, sys.stderr = real_out, real_err
            vars(builtins).update(_builtins)
            resp = {"ok": False, "seen": resp.get("seen", []), "exc": _exc_info(exc)}
        finally:
            sys.stdout, sys.stderr = real_out, real_err
        try:
            resp["gens"] = [codec.encode(g.bit_generator.state) for g in gens]
        except Exception:
            resp["gens"] = []
        if mirror:
            # a cell the judge also runs: its output is the judge's, and warnings it raised are
            # raised again when the judge's run calls the same code (as in the student's notebook)
            warnings._filters_mutated()
            if req.get("show"):          # one the judge does not run: its text output is the cell's
                resp["out"], resp["err"] = out.text(), err.text()
        else:
            resp["out"], resp["err"] = out.text(), err.text()
            if out.dropped or err.dropped:
                _flag(f"output: your code printed more than {OUTPUT_LIMIT} characters (the rest was dropped)")
            try:
                now = _rng_state()
                if not _same_rng(now, rng_before):
                    resp["rng"] = codec.encode(now)
                last_rng = now
            except Exception:
                pass
        if op != "call":
            # 0.7 ms: after each cell, not each call (a patch made in a call is flagged at the next cell;
            # it cannot change a grade either way, the asserts run in the judge)
            try:
                _check_patches()
            except Exception:
                pass
        vars(builtins).update(_builtins)
        resp["flags"] = list(_flags)
        _flags.clear()
        codec.send(fout, resp, out_bufs)


def main() -> None:
    global _protected, _allowed
    # the protocol keeps the original stdin/stdout; the student's code gets /dev/null there
    fin = os.fdopen(os.dup(0), "rb", buffering=0)
    fout = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.dup2(null, 2)      # start-up errors went to the judge; from here nothing the student writes reaches a file
    _protected = tuple(p for p in os.environ.pop("LABGRADE_PROTECTED", "").split(os.pathsep) if p)
    os.environ.setdefault("MPLBACKEND", "Agg")
    lib = Path(__file__).resolve().parents[2]     # lib/
    _allowed = (sys.prefix, os.path.realpath(sys.base_prefix), str(lib / "initlab"), str(lib / "labcheck"),
                str(lib / "labgrade"))
    _take_snapshot()
    sys.addaudithook(_audit)

    class _Reader:
        def __init__(self, f):
            self.f = f

        def read(self, n):
            chunks, left = [], n
            while left:
                b = self.f.read(left)
                if not b:
                    break
                chunks.append(b)
                left -= len(b)
            return b"".join(chunks)

    serve(_Reader(fin), fout)

