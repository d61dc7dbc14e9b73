"""The catalogue of hostile and broken submissions (tampering, escapes, exhaustion), graded in judge isolation.

Each entry is a whole submission of Parts 1 and 2 (``01_*`` and ``02_*``): the complete,
correct submission (release + source solutions, as :mod:`labgrade.variants.sample` builds it)
with one attack applied. Cheats pair the attack with a *wrong* answer, so that credit
can only come from the attack: ``zero`` lists the items that must score 0, ``flags``
substrings that must appear in the student's flags, ``full`` items that must keep
their full points (the attack must not stop grading of the rest).
"""

from __future__ import annotations

import copy
import textwrap
from dataclasses import dataclass, field

import nbformat

from labgrade.variants.model import find_cell

NB01 = "01_mathematical_foundations"
NB02 = "02_initialization_strategies"
NOTEBOOKS = (NB01, NB02)

# a wrong theoretical_std: the variance instead of the std (what the cheats try to pass off)
WRONG_STD = '''
variances = {"xavier": 2.0 / (fan_in + fan_out), "he": 2.0 / fan_in, "lecun": 1.0 / fan_in}
if method not in variances:
    raise ValueError(method)
return float(variances[method])
'''
CORRECT_STD = '''
variances = {"xavier": 2.0 / (fan_in + fan_out), "he": 2.0 / fan_in, "lecun": 1.0 / fan_in}
if method not in variances:
    raise ValueError(method)
return float(np.sqrt(variances[method]))
'''


@dataclass
class Hostile:
    id: str
    what: str
    edit: object                      # function(notebooks: dict[name, NotebookNode], ctx: dict) -> None
    zero: tuple = ()                  # (notebook, grade_id) that must score 0
    flags: tuple = ()                 # substrings expected in the student's flags
    full: tuple = ((NB01, "test_uniform_bound"),)   # items that must keep full points
    failed: tuple = ()                # notebooks graded "failed" (the code ended its process: as a dead kernel)
    extra: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)   # other files of the submission (name -> text), beside the notebooks


def _prefix(nbs, nb, gid, code):
    """Put ``code`` at the top of the solution cell ``gid`` (module level, runs when the cell runs)."""
    cell = find_cell(nbs[nb], gid)
    cell.source = code.strip("\n") + "\n\n\n" + cell.source


SIGNATURES = {"theoretical_std": "def theoretical_std(method, fan_in, fan_out):",
              "xavier_normal": "def xavier_normal(shape, gain=1.0, *, rng=None):"}


def _define(nbs, nb, gid, body):
    """The solution cell ``gid`` becomes the function with this ``body``."""
    lines = textwrap.dedent(body).strip("\n").split("\n")
    find_cell(nbs[nb], gid).source = SIGNATURES[gid] + "\n" + "\n".join("    " + ln for ln in lines) + "\n"


def _replace(nbs, nb, gid, old, new):
    cell = find_cell(nbs[nb], gid)
    assert old in cell.source, (gid, old)
    cell.source = cell.source.replace(old, new)


def _std(nbs, body=WRONG_STD, top=""):
    _define(nbs, NB01, "theoretical_std", body)
    if top:
        _prefix(nbs, NB01, "theoretical_std", top)


def _patch(top):
    return lambda nbs, ctx: _std(nbs, top=top)


def _returns(cls_code, expr):
    def edit(nbs, ctx):
        _std(nbs, body=f"return {expr}", top=cls_code)
    return edit


def _test_cell(nbs, gid="test_theoretical_std"):
    return find_cell(nbs[NB01], gid)


def _edit_test(nbs, ctx):
    _std(nbs)
    _test_cell(nbs).source = "# tests removed by the student\npass\n"


def _delete_test(nbs, ctx):
    _std(nbs)
    nbs[NB01].cells.remove(_test_cell(nbs))


def _duplicate_test(nbs, ctx):
    _std(nbs)
    cell = _test_cell(nbs)
    twin = copy.deepcopy(cell)
    twin.source = "pass\n"
    twin["id"] = "twin-cell"
    nbs[NB01].cells.insert(nbs[NB01].cells.index(cell), twin)


def _retype_test(nbs, ctx):
    _std(nbs)
    cell = _test_cell(nbs)
    cell.metadata["nbgrader"]["grade"] = False
    cell.metadata["nbgrader"]["locked"] = False
    cell.source = "pass\n"


def _points(nbs, ctx):
    _std(nbs, body=CORRECT_STD)
    _test_cell(nbs).metadata["nbgrader"]["points"] = 100.0


def _read_disk(nbs, ctx):
    paths = [ctx["source"] + f"/weight_init/{NB01}.ipynb", ctx["gradebook"],
             ctx["submitted"] + "/s01_correct/weight_init/" + f"{NB01}.ipynb"]
    _std(nbs, top=f'''
import json
LOOT = {{}}
for p in {paths!r}:
    try:
        LOOT[p] = open(p, "rb").read()[:100]
    except OSError as exc:
        LOOT[p] = repr(exc)
''')


def _write_disk(nbs, ctx):
    targets = [ctx["gradebook"], ctx["source"] + f"/weight_init/{NB01}.ipynb",
               ctx["submitted"] + "/s01_correct/weight_init/" + f"{NB01}.ipynb",
               ctx["workdir"] + "/reports/grades.csv"]
    _std(nbs, top=f'''
import sqlite3
for p in {targets!r}:
    try:
        with open(p, "ab") as fh:
            fh.write(b"owned")
    except OSError:
        pass
try:
    db = sqlite3.connect({ctx["gradebook"]!r})
    db.execute("update grade set manual_score = 99")
    db.commit()
except Exception:
    pass
''')


def _reference(nbs, ctx):
    _define(nbs, NB02, "xavier_normal", '''
import initlab.initializers
return initlab.initializers.xavier_normal(shape, gain, rng=rng) * 1.01
''')


def _generic(code):
    return lambda nbs, ctx: _std(nbs, top=code)


CATALOGUE = [
    Hostile("x01_patch_allclose", "np.allclose and np.isclose replaced by functions that return True",
            _patch("np.allclose = lambda *a, **k: True\nnp.isclose = lambda *a, **k: True"),
            zero=((NB01, "test_theoretical_std"),), flags=("monkeypatch",)),
    Hostile("x02_patch_testing", "np.testing's asserts replaced by no-ops",
            _patch("np.testing.assert_allclose = lambda *a, **k: None\n"
                   "np.testing.assert_array_almost_equal = lambda *a, **k: None"),
            zero=((NB01, "test_theoretical_std"),), flags=("monkeypatch",)),
    Hostile("x03_patch_builtins", "builtins.isinstance and builtins.AssertionError replaced",
            _patch("import builtins\nbuiltins.isinstance = lambda *a: True\n"
                   "builtins.AssertionError = type('AssertionError', (Warning,), {})"),
            zero=((NB01, "test_theoretical_std"),), flags=("monkeypatch",)),
    Hostile("x04_patch_scipy_stats", "scipy.stats.kstest always says p = 1, with a wrong xavier_normal",
            lambda nbs, ctx: (_replace(nbs, NB02, "xavier_normal", "math.sqrt(2.0", "math.sqrt(3.0"),
                              _prefix(nbs, NB02, "xavier_normal",
                                      "import scipy.stats\nclass _R:\n    pvalue = 1.0\n    statistic = 0.0\n"
                                      "scipy.stats.kstest = lambda *a, **k: _R()\n"
                                      "np.std = lambda *a, **k: 0.10206207261596575")),
            zero=((NB02, "test_xavier_normal"),), flags=("monkeypatch",), full=((NB01, "test_theoretical_std"),)),
    Hostile("x05_eq_always_true", "returns an object whose __eq__ is always True (and float() lies)",
            _returns("class Liar:\n    def __eq__(self, o): return True\n    def __float__(self): return 0.125\n"
                     "    __array_priority__ = 1000\n", "Liar()"),
            zero=((NB01, "test_theoretical_std"),), flags=("type",)),
    # converted to their plain values in the worker: nothing left to lie with, and nothing to flag
    Hostile("x06_ndarray_subclass", "returns an ndarray subclass with rigged comparisons",
            _returns("class Rigged(np.ndarray):\n    def __eq__(self, o): return True\n"
                     "    def __array_ufunc__(self, *a, **k): return True\n", "np.zeros(()).view(Rigged)"),
            zero=((NB01, "test_theoretical_std"),)),
    Hostile("x07_float_subclass", "returns a float subclass equal to everything",
            _returns("class F(float):\n    def __eq__(self, o): return True\n    def __sub__(self, o): return 0.0\n",
                     "F(0.0)"),
            zero=((NB01, "test_theoretical_std"),)),
    Hostile("x08_edit_test_cell", "test cell replaced by `pass`", _edit_test,
            zero=((NB01, "test_theoretical_std"),), flags=("test cell test_theoretical_std was edited",)),
    Hostile("x09_delete_test_cell", "test cell deleted", _delete_test,
            zero=((NB01, "test_theoretical_std"),), flags=("test_theoretical_std was deleted",)),
    Hostile("x10_duplicate_test_cell", "test cell duplicated (a copy that passes first)", _duplicate_test,
            zero=((NB01, "test_theoretical_std"),), flags=("appears 2 times",)),
    Hostile("x11_retype_test_cell", "test cell's nbgrader metadata changed (no longer graded)", _retype_test,
            zero=((NB01, "test_theoretical_std"),), flags=("metadata of cell test_theoretical_std changed",)),
    Hostile("x12_points_metadata", "a correct answer with the test's points raised to 100", _points,
            flags=("metadata of cell test_theoretical_std changed",),
            full=((NB01, "test_theoretical_std"), (NB01, "test_uniform_bound"))),
    Hostile("x13_sys_exit", "sys.exit() when the solution cell runs", _generic("import sys\nsys.exit(0)"),
            zero=((NB01, "test_theoretical_std"),), flags=("SystemExit",)),
    Hostile("x14_os_exit", "os._exit(0) when the solution cell runs", _generic("import os\nos._exit(0)"),
            zero=((NB01, "test_theoretical_std"), (NB01, "test_uniform_bound")), flags=("died",),
            full=((NB02, "test_xavier_normal"),), failed=(NB01,)),
    Hostile("x15_kill_kernel", "kills its parent and every process it can see",
            _generic("import os, signal\nfor pid in (os.getppid(), 1, -1):\n    try:\n"
                     "        os.kill(pid, signal.SIGKILL)\n    except OSError:\n        pass"),
            zero=((NB01, "test_theoretical_std"),), flags=("signal",)),       # nothing it can reach dies
    Hostile("x15b_kill_itself", "kills its own process (SIGKILL to itself), as a crashing kernel",
            _generic("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"),
            zero=((NB01, "test_theoretical_std"), (NB01, "test_uniform_bound")), flags=("died",),
            full=((NB02, "test_xavier_normal"),), failed=(NB01,)),
    Hostile("x16_keyboard_interrupt", "raises KeyboardInterrupt inside the graded function",
            lambda nbs, ctx: _std(nbs, body="raise KeyboardInterrupt"),
            zero=((NB01, "test_theoretical_std"),), flags=("KeyboardInterrupt",)),
    Hostile("x17_endless_loop", "an endless loop inside the graded function",
            lambda nbs, ctx: _std(nbs, body="while True:\n    pass"),
            zero=((NB01, "test_theoretical_std"),), flags=("timeout",)),
    Hostile("x18_huge_memory", "allocates far more memory than the machine has",
            lambda nbs, ctx: _std(nbs, body="return float(np.ones((10**6, 10**6)).sum())"),
            zero=((NB01, "test_theoretical_std"),), flags=("memory",)),
    Hostile("x19_megabytes_output", "prints 20 MB (with a correct answer)",
            lambda nbs, ctx: _std(nbs, body='print("x" * 20_000_000)\n' + CORRECT_STD),
            flags=("output",), full=((NB01, "test_theoretical_std"), (NB01, "test_uniform_bound"))),
    Hostile("x20_spawn_processes", "starts background processes that outlive the cell",
            _generic("import subprocess\nfor _ in range(3):\n"
                     "    subprocess.Popen(['sleep', '600'], start_new_session=True)"),
            zero=((NB01, "test_theoretical_std"),), flags=("process",)),
    Hostile("x21_read_secrets", "reads the source notebook, the gradebook and another submission", _read_disk,
            zero=((NB01, "test_theoretical_std"),), flags=("file access",)),
    Hostile("x22_write_files", "writes to the gradebook, source/, another submission and the report", _write_disk,
            zero=((NB01, "test_theoretical_std"),), flags=("file access",)),
    Hostile("x23_call_reference", "calls initlab's xavier_normal for its own xavier_normal", _reference,
            zero=((NB02, "test_xavier_normal"),), flags=("reference",), full=((NB01, "test_theoretical_std"),)),
    # --- the sandbox holds against root: no capabilities, an unprivileged uid --------------------------------
    Hostile("x24_remount_lib", "remounts lib/ read-write (mount, unshare, the syscall) and appends to the judge",
            lambda nbs, ctx: _std(nbs, top=f'''
import ctypes, subprocess
for d in ({ctx["lib"] + "/labgrade"!r}, {ctx["lib"]!r}, {ctx["venv"]!r}):
    subprocess.run(["mount", "-o", "remount,rw,bind", d, d], capture_output=True)
    subprocess.run(["unshare", "-rm", "sh", "-c", f"mount -o remount,rw,bind {{d}} {{d}}; "
                    f"echo 'print(1)' >> {{d}}/labgrade/sandbox/judge.py"], capture_output=True)
    ctypes.CDLL(None).mount(None, d.encode(), None, 0x20 | 0x1000, None)
for f in ({ctx["lib"] + "/labgrade/sandbox/judge.py"!r}, {ctx["lib"] + "/labcheck/core.py"!r}):
    try:
        open(f, "a").write("\\nraise SystemExit  # owned\\n")
    except OSError:
        pass
'''), zero=((NB01, "test_theoretical_std"),), flags=("process",)),
    # --- kernel limits on the whole sandbox ------------------------------------------------------------------
    Hostile("x25_fill_tmp", "fills its private /tmp (a tmpfs) far past the memory limit",
            _generic("blob = b'x' * (16 << 20)\nwith open('/tmp/fill', 'wb') as fh:\n    for _ in range(400):\n"
                     "        fh.write(blob)\n        fh.flush()"),
            zero=((NB01, "test_theoretical_std"), (NB01, "test_uniform_bound")), flags=("died",),
            full=((NB02, "test_xavier_normal"),), failed=(NB01,)),
    Hostile("x26_fork_bomb", "forks until the kernel refuses (each child sleeps)",
            _generic("import os, time\nkids = 0\ntry:\n    for _ in range(5000):\n        if os.fork() == 0:\n"
                     "            time.sleep(600)\n            os._exit(0)\n"
                     "        kids += 1\nexcept OSError:\n    pass"),
            zero=((NB01, "test_theoretical_std"),), flags=("process",)),
    # --- calling the reference, seen by the judge in the submitted source ------------------------------------
    Hostile("x27_reference_wrapped", "calls the unwrapped reference (__wrapped__), past the guard",
            lambda nbs, ctx: _define(nbs, NB02, "xavier_normal", '''
import initlab.initializers
return initlab.initializers.xavier_normal.__wrapped__(shape, gain, rng=rng)
'''), flags=("reference: cell xavier_normal",), full=((NB01, "test_theoretical_std"),)),
    Hostile("x28_guard_cleared", "clears the guard's forbidden set, then calls the reference",
            lambda nbs, ctx: _define(nbs, NB02, "xavier_normal", '''
import initlab
initlab._guard._forbidden.clear()
return initlab.initializers.xavier_normal(shape, gain, rng=rng)
'''), flags=("reference: cell xavier_normal",), full=((NB01, "test_theoretical_std"),)),
    Hostile("x29_reference_by_computed_name", "reaches the reference with getattr and a computed name",
            lambda nbs, ctx: _define(nbs, NB02, "xavier_normal", '''
import initlab
f = getattr(initlab.initializers, "xavier" + "_normal")
return getattr(f, "__wra" + "pped__")(shape, gain, rng=rng)
'''), flags=("dynamic: cell xavier_normal",), full=((NB01, "test_theoretical_std"),)),
    Hostile("x30_exec_reference_source", "exec()s the reference's source under another name",
            lambda nbs, ctx: _define(nbs, NB02, "xavier_normal", '''
import inspect, initlab.initializers as ini
ns = dict(vars(ini))
exec(inspect.getsource(ini.xavier_normal.__wrapped__).replace("def xavier_normal", "def mine"), ns)
return ns["mine"](shape, gain, rng=rng)
'''), flags=("dynamic: cell xavier_normal",), full=((NB01, "test_theoretical_std"),)),
    Hostile("x31_flag_flood", "reports 60 made-up flags from its own process, and edits a test cell",
            lambda nbs, ctx: (_edit_test(nbs, ctx), _prefix(nbs, NB01, "theoretical_std",
                              "for i in range(60):\n    try:\n        open(f'{ctx_source}/x{i}')\n"
                              "    except OSError:\n        pass".replace("{ctx_source}", ctx["source"])),
                              ),
            zero=((NB01, "test_theoretical_std"),), flags=("test cell test_theoretical_std was edited",)),
    # --- the hidden tests stay hidden ------------------------------------------------------------------------
    Hostile("x32_probe_hidden_arguments", "prints the arguments of every call, and looks for In/_ih/Out",
            lambda nbs, ctx: _std(nbs, body='''
print("PROBE", repr((method, fan_in, fan_out)), sorted(k for k in ("In", "_ih", "Out", "_oh") if k in globals()))
''' + CORRECT_STD), full=((NB01, "test_theoretical_std"), (NB01, "test_uniform_bound"))),
    # --- files beside the notebooks are never imported by the judge ------------------------------------------
    Hostile("x33_modules_beside_the_notebooks", "sends initlab.py, labcheck.py, numpy.py, sitecustomize.py, "
            "ipykernel_launcher.py next to its notebooks, each rewriting the gradebook when imported",
            lambda nbs, ctx: _std(nbs), zero=((NB01, "test_theoretical_std"),),
            files={name: "import sqlite3, glob\nfor p in glob.glob('/**/gradebook*.db', recursive=True):\n"
                         "    db = sqlite3.connect(p); db.execute('update grade set manual_score = 99'); "
                         "db.commit()\nopen('/tmp/labgrade-owned-marker', 'w').write('owned')\n"
                   for name in ("initlab.py", "labcheck.py", "numpy.py", "sitecustomize.py",
                                "ipykernel_launcher.py", "labgrade.py")}),
]


def build(complete: dict, ctx: dict) -> dict:
    """student id -> {notebook name: NotebookNode} for every entry of the catalogue."""
    out = {}
    for h in CATALOGUE:
        nbs = {k: copy.deepcopy(v) for k, v in complete.items()}
        h.edit(nbs, ctx)
        for nb in nbs.values():
            nbformat.validate(nb)
        # only the notebooks the case changes or is judged on (the others would only cost time)
        keep = {NB01} | {nb for nb, _ in (*h.zero, *h.full)} | set(h.failed) | \
            {name for name, nb in nbs.items() if nb != complete[name]}
        nbs = {name: nb for name, nb in nbs.items() if name in keep}
        out[h.id] = nbs
        out[h.id].update({name: text for name, text in h.files.items()})
    return out
