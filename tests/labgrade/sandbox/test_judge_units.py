"""Units of isolated grading: the plain-data codec, the sandboxed worker, the judge's proxies."""

from __future__ import annotations

import io
import json
import shutil
import struct

import numpy as np
import pytest

from initlab import _guard
from labgrade.sandbox import codec, judge
from labgrade.sandbox.isolation import tamper_flags, visible_source

bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap (bwrap) is not installed")


def roundtrip(value):
    bufs: list = []
    data = codec.encode(value, bufs=bufs)
    fh = io.BytesIO()
    codec.send(fh, {"v": data}, bufs)
    fh.seek(0)
    msg, got = codec.recv_bytes(fh.read)
    return codec.decode(msg["v"], bufs=got)


def test_codec_keeps_exact_types():
    value = {"a": [1, 2.5, True, None, "s"], (1, "k"): (np.arange(6, dtype=np.int32).reshape(2, 3),),
             "f": np.float64(0.25), "c": np.array([1 + 2j])}
    got = roundtrip(value)
    assert got.keys() == value.keys()
    assert type(got[(1, "k")]) is tuple and type(got[(1, "k")][0]) is np.ndarray
    assert got[(1, "k")][0].dtype == np.int32 and got[(1, "k")][0].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert type(got["f"]) is np.float64 and got["f"] == 0.25
    assert got["a"] == [1, 2.5, True, None, "s"] and type(got["a"][2]) is bool


@pytest.mark.parametrize("bad", [
    np.zeros(3).view(np.matrix), np.array([object()]), type("F", (float,), {})(1.0),
    type("D", (dict,), {})(), object(), np.zeros(2, dtype=[("a", "f8")]), len,
])
def test_codec_refuses_what_is_not_plain_data(bad):
    with pytest.raises(codec.CodecError):
        codec.encode(bad)


@pytest.mark.parametrize("msg", [
    {"v": {"$t": "nd", "d": "<f8", "s": [3], "b": "AAAA"}},            # bytes do not match the shape
    {"v": {"$t": "nd", "d": "|O", "s": [1], "b": "AAAAAAAAAAA="}},     # object dtype
    {"v": {"$t": "gen", "i": 0, "state": {}}},                          # no Generator from the worker
    {"v": {"$t": "mod", "n": "os"}},                                    # no module from the worker
    {"v": {"$t": "evil"}}, {"v": {"x": 1}},
])
def test_codec_refuses_malformed_messages(msg):
    with pytest.raises((codec.CodecError, ValueError, KeyError)):
        codec.decode(msg["v"])


def test_message_size_is_limited():
    fh = io.BytesIO(struct.pack(">QQ", codec.MAX_MESSAGE + 1, 0) + json.dumps({}).encode())
    with pytest.raises(codec.CodecError):
        codec.recv_bytes(fh.read)


def test_tamper_flags_and_visible_source():
    import nbformat

    src = nbformat.v4.new_notebook()
    meta = {"grade": True, "grade_id": "t", "locked": True, "points": 2.0, "solution": False}
    src.cells.append(nbformat.v4.new_code_cell("a = 1\n### BEGIN HIDDEN TESTS\nb = 2\n### END HIDDEN TESTS\n",
                                               metadata={"nbgrader": dict(meta)}))
    assert visible_source(src.cells[0].source) == "a = 1\n"
    sub = nbformat.v4.new_notebook()
    sub.cells.append(nbformat.v4.new_code_cell("a = 1\n", metadata={"nbgrader": dict(meta)}))
    assert tamper_flags(sub, src) == []
    sub.cells[0].source = "pass"
    sub.cells[0].metadata["nbgrader"]["points"] = 9.0
    flags = tamper_flags(sub, src)
    assert any("edited" in f for f in flags) and any("metadata" in f for f in flags)
    sub.cells.pop()
    assert any("deleted" in f for f in tamper_flags(sub, src))


@pytest.fixture
def fresh_worker(tmp_path, monkeypatch):
    monkeypatch.setenv(judge.FLAGS_ENV, str(tmp_path / "flags.jsonl"))
    judge._worker = judge.Worker(timeout=5)
    yield tmp_path / "flags.jsonl"
    judge._worker.kill()
    judge._worker = None


def _flags(path):
    return [json.loads(line)["text"] for line in path.read_text().splitlines()] if path.exists() else []


@bwrap
def test_proxy_runs_in_the_worker_and_generators_continue(fresh_worker):
    ns = {"np": np}
    judge.mirror("import numpy as np\n", "Cell [imports]")        # the notebook's import cell, in the worker
    judge.run_student_cell("np.allclose = lambda *a, **k: True\n"
                           "def draw(shape, rng=None):\n    return np.random.default_rng(rng).standard_normal(shape)\n",
                           ["draw"], ns)
    assert np.allclose is not None and not np.allclose(0.0, 1.0)     # the judge's numpy is untouched
    g, ref = np.random.default_rng(5), np.random.default_rng(5)
    a = ns["draw"]((2, 3), rng=g)
    assert type(a) is np.ndarray and np.array_equal(a, ref.standard_normal((2, 3)))
    assert g.random() == ref.random()                                  # the stream went on in the judge
    assert any("monkeypatch" in f for f in _flags(fresh_worker))


@bwrap
def test_forbidden_reference_call_reaches_the_judge(fresh_worker):
    import initlab.initializers

    ns = {"initlab": initlab}
    judge.mirror("import initlab\n", "Cell [imports]")
    judge.run_student_cell("def xavier_normal(shape, rng=None):\n"
                           "    try:\n        return initlab.initializers.xavier_normal(shape, rng=rng)\n"
                           "    except Exception:\n        return None\n", ["xavier_normal"], ns)
    with _guard.forbid("xavier_normal") as seen:
        ns["xavier_normal"]((2, 2), rng=0)
    assert seen == ["xavier_normal"]


@bwrap
def test_worker_sees_no_course_files_and_dies_alone(fresh_worker):
    from labgrade.course.paths import course_root

    ns: dict = {}
    judge.run_student_cell(f"import os\ndef peek():\n    return os.path.exists({str(course_root() / 'source')!r})\n"
                           "def die():\n    os._exit(1)\n"
                           "def spin():\n    while True:\n        pass\n", ["peek", "die", "spin"], ns)
    assert ns["peek"]() is False
    with pytest.raises(judge.WorkerDied):
        ns["die"]()
    assert ns["peek"]() is False          # a new worker, the cells replayed
    judge._worker.timeout = 1
    with pytest.raises(TimeoutError):
        ns["spin"]()
    assert any("ran longer" in f for f in _flags(fresh_worker))


@bwrap
def test_a_checkout_under_tmp_is_seen_by_the_worker(tmp_path):
    """The sandbox's private /tmp is mounted first: a course copied under /tmp still imports."""
    import subprocess
    import sys
    from pathlib import Path

    import labgrade

    lib = Path(labgrade.__file__).resolve().parent.parent
    assert str(tmp_path).startswith("/tmp/"), tmp_path
    for pkg in ("initlab", "labcheck", "labgrade"):
        shutil.copytree(lib / pkg, tmp_path / "lib" / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    script = ("from labgrade.sandbox import judge\nns = {}\n"
              "judge.run_student_cell('def f(x):\\n    return 2 * x\\n', ['f'], ns)\n"
              "import labgrade, labgrade.sandbox.worker\n"
              "print(ns['f'](21), labgrade.__file__)\n")
    res = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path / "lib")}, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    value, where = res.stdout.split()
    assert value == "42" and where.startswith(str(tmp_path)), res.stdout


def test_a_sandbox_that_does_not_start_says_so(tmp_path, monkeypatch):
    """A worker that cannot start is a grading problem, reported with its stderr, not a dead student."""
    import sys

    monkeypatch.setenv(judge.FLAGS_ENV, str(tmp_path / "flags.jsonl"))
    w = judge.Worker(command=[sys.executable, "-c", "import sys; sys.stderr.write('no module named x'); sys.exit(1)"],
                     timeout=10)
    with pytest.raises(judge.SandboxError, match="no module named x"):
        w.start()
    assert any("sandbox" in f for f in _flags(tmp_path / "flags.jsonl"))


@bwrap
def test_count_calls_spies_reach_into_the_worker(fresh_worker):
    """A test's labcheck.count_calls block sees the calls the student's code makes in the worker."""
    from labcheck import count_calls

    ns = {"np": np}
    judge.mirror("import numpy as np\n", "Cell [imports]")
    judge.run_student_cell("def full(a):\n    return np.linalg.svd(a)[1]\n"
                           "def values(a):\n    return np.linalg.svd(a, compute_uv=False)\n", ["full", "values"], ns)
    a = np.arange(6.0).reshape(2, 3)
    with count_calls("numpy.linalg.svd", unless={"compute_uv": False}) as calls:
        ns["values"](a)
    assert calls == []
    with count_calls("numpy.linalg.svd", unless={"compute_uv": False}) as calls:
        ns["full"](a)
        ns["full"](a)
    assert calls == ["numpy.linalg.svd"] * 2
    assert not any("monkeypatch" in f for f in _flags(fresh_worker))     # the spy is not the student's patch


@bwrap
def test_scipy_stats_is_watched_from_its_first_import(fresh_worker):
    """scipy.stats is not imported up front (0.8 s per worker); its snapshot is taken on import."""
    ns: dict = {}
    judge.run_student_cell("import sys\ndef loaded():\n    return 'scipy.stats' in sys.modules\n", ["loaded"], ns)
    assert ns["loaded"]() is False
    judge.run_student_cell("import scipy.stats\nscipy.stats.kstest = lambda *a, **k: None\n", [], ns)
    assert any("scipy.stats.kstest" in f for f in _flags(fresh_worker)), _flags(fresh_worker)


def test_flags_of_a_graded_and_of_a_failed_notebook(tmp_path):
    """Flags come from the autograded copy, or from the judge's file when the kernel died."""
    import nbformat

    from labgrade.sandbox.isolation import flags_of, student_flags

    graded, fdir = tmp_path / "autograded", tmp_path / "flags"
    graded.mkdir()
    fdir.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["labgrade"] = {"isolation": "judge", "flags": ["type: x returned a Liar"]}
    nbformat.write(nb, graded / "01_a.ipynb")
    nbformat.write(nbformat.v4.new_notebook(), graded / "02_b.ipynb")
    (fdir / "03_c.jsonl").write_text(json.dumps({"kind": "died", "text": "the process ended"}) + "\n"
                                     + json.dumps({"kind": "", "text": "tamper: cell t was edited"}) + "\nnot json\n")
    assert flags_of(graded, fdir, "01_a") == ["type: x returned a Liar"]
    assert flags_of(graded, fdir, "02_b") == []
    assert flags_of(graded, fdir, "03_c") == ["died: the process ended", "tamper: cell t was edited"]
    assert student_flags(graded, fdir) == {"01_a": ["type: x returned a Liar"],
                                           "03_c": ["died: the process ended", "tamper: cell t was edited"]}


# --- faithful grading: the proxy behaves as the student's own function would in their notebook ----------

@bwrap
def test_exceptions_keep_their_nearest_builtin_class_message_and_student_frames(fresh_worker):
    ns: dict = {}
    judge.run_student_cell("class ShapeError(ValueError):\n    pass\n\n"
                           "def check(shape):\n    if len(shape) != 2:\n"
                           "        raise ShapeError(f'shape must have 2 entries, got {shape!r}')\n    return True\n"
                           "def missing(d):\n    return d['nope']\n", ["check", "missing"], ns, filename="Cell [check]")
    with pytest.raises(ValueError, match=r"2 entries, got \(1, 2, 3\)") as info:
        ns["check"]((1, 2, 3))
    assert type(info.value) is ValueError
    text = "\n".join(judge.render_traceback(type(info.value), info.value, info.value.__traceback__))
    assert 'File "Cell [check]", line 6, in check' in text and "raise ShapeError" in text
    assert text.rstrip().endswith("ShapeError: shape must have 2 entries, got (1, 2, 3)")
    assert "/labgrade/" not in text and "/work/" not in text and "site-packages" not in text
    with pytest.raises(KeyError) as info:
        ns["missing"]({"a": 1})
    assert info.value.args == ("nope",)


@bwrap
def test_plain_data_is_converted_in_the_worker_not_refused(fresh_worker):
    ns: dict = {}
    judge.run_student_cell(
        "import collections, numpy as np\n"
        "P = collections.namedtuple('P', 'a b')\n"
        "class F(float):\n    def __eq__(self, other):\n        return True\n    __hash__ = float.__hash__\n"
        "def answer():\n"
        "    return collections.OrderedDict(p=P(1, 2), f=F(0.5), m=np.zeros(2).view(np.matrix),\n"
        "                                   d=collections.deque([1, 2]), s={3}, n=np.float32(1.5))\n"
        "def liar():\n    return type('L', (), {'__eq__': lambda s, o: True})()\n", ["answer", "liar"], ns)
    got = ns["answer"]()
    assert type(got) is dict and type(got["p"]) is tuple and got["p"] == (1, 2)
    assert type(got["f"]) is float and got["f"] == 0.5 and got["f"] != 0.7    # the lying __eq__ is gone
    assert type(got["m"]) is np.ndarray and got["m"].shape == (1, 2)
    assert got["d"] == [1, 2] and got["s"] == {3} and type(got["n"]) is np.float32
    with pytest.raises(TypeError, match="not plain data"):
        ns["liar"]()
    assert any("type:" in f for f in _flags(fresh_worker))


@bwrap
def test_what_a_call_does_to_its_arguments_and_to_the_global_random_state_comes_back(fresh_worker):
    ns: dict = {}
    judge.mirror("import numpy as np\nimport random\n", "Cell [imports]")
    judge.run_student_cell(
        "def scale(params, cache):\n    params['W'] *= 2\n    cache.append('seen')\n    cache[0]['k'] = 1\n"
        "def global_draw(shape, rng=None):\n    return np.random.standard_normal(shape) + random.random()\n"
        "def ro(a):\n    a[0] = 1.0\n", ["scale", "global_draw", "ro"], ns)
    params, cache = {"W": np.ones(3)}, [{}]
    W = params["W"]
    ns["scale"](params, cache)
    assert params["W"] is W and W.tolist() == [2.0, 2.0, 2.0]
    assert cache == [{"k": 1}, "seen"]
    np.random.seed(7)
    import random

    random.seed(7)
    a = ns["global_draw"]((3,))
    b = ns["global_draw"]((3,))
    np.random.seed(7)
    random.seed(7)
    want_a = np.random.standard_normal(3) + random.random()
    assert np.allclose(a, want_a) and not np.allclose(a, b)
    assert np.allclose(b, np.random.standard_normal(3) + random.random())   # the judge's stream moved on
    frozen = np.zeros(2)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        ns["ro"](frozen)


def test_hidden_parts_of_a_test_cell_print_nothing_but_a_stderr_note(capsys, monkeypatch):
    monkeypatch.setattr(judge, "mirror", lambda code, filename: None)
    code = ('print("visible")\n### BEGIN HIDDEN TESTS\nprint("secret args (3, 4)")\nimport sys\n'
            'print("warned", file=sys.stderr)\n### END HIDDEN TESTS\nprint("after")\n')
    judge.run_test_cell(code, "test_x", {})
    out, err = capsys.readouterr()
    assert "visible" in out and "after" in out and "secret" not in out + err
    assert "warned" not in err and "hidden tests wrote to stderr" in err
    assert judge.segments(code) is not None and judge.visible_part(code) == 'print("visible")\nprint("after")\n'


def test_a_failing_hidden_line_is_not_shown():
    ns: dict = {}
    code = 'x = 1\n### BEGIN HIDDEN TESTS\nassert x == 2, "x should be 2"\n### END HIDDEN TESTS\n'
    import labgrade.sandbox.judge as j

    j._hidden_lines["Cell [t]"] = j.hidden_line_numbers(code)
    with pytest.raises(AssertionError) as info:
        for _hidden, text in j.segments(code):
            j._run(text, "Cell [t]", ns, display_last=False)
    text = "\n".join(j.render_traceback(AssertionError, info.value, info.value.__traceback__))
    assert "(a line of the hidden tests)" in text and "assert x == 2" not in text
    assert text.rstrip().endswith("AssertionError: x should be 2")


def test_the_judge_reads_the_source_for_calls_of_the_reference():
    from labgrade.sandbox.isolation import source_flags

    graded = {"xavier_normal", "he_normal"}
    cases = {
        "return initlab.initializers.xavier_normal.__wrapped__(shape, rng=rng)": "__wrapped__",
        "from initlab.initializers import he_normal as h\nreturn h(shape)": "imports initlab's he_normal",
        "initlab._guard._forbidden.clear()\nreturn 1": "_guard",
        "return getattr(initlab, 'he_' + 'normal')(shape)": "computed name",
        "import inspect\nexec(inspect.getsource(initlab.initializers))": "exec",
        "return initlab.initialize('xavier_normal', shape, rng=rng)": "'xavier_normal'",
    }
    for code, want in cases.items():
        flags = source_flags("import initlab\n" + code.replace("return", "x ="), graded, "cell xavier_normal")
        assert any(want in f for f in flags), (code, flags)
    honest = ("import numpy as np\nimport initlab\nfan_in, fan_out = initlab.compute_fans(shape)\n"
              "x = np.sqrt(2 / fan_in)")
    assert source_flags(honest, graded, "cell he_normal") == []


def test_worker_flags_never_crowd_out_the_judges(tmp_path):
    import json as _json

    from labgrade.sandbox.isolation import read_flag_file

    path = tmp_path / "f.jsonl"
    lines = [{"kind": "worker", "text": f"file access: {i}"} for i in range(100)]
    lines.append({"kind": "", "text": "tamper: test cell test_x was edited"})
    path.write_text("\n".join(_json.dumps(x) for x in lines))
    judge_side, worker_side = read_flag_file(path, split=True)
    assert judge_side == ["tamper: test cell test_x was edited"] and len(worker_side) == 30


def test_the_kernels_own_cell_frame_is_not_shown():
    """IPython's frame of a magic cell holds the whole cell (hidden tests included) as its line."""
    code = "get_ipython().run_cell_magic('lg', 'test t', 'x = 1\\n### BEGIN HIDDEN TESTS\\nsecret = 42\\n')\n"
    ns = {"get_ipython": lambda: (_ for _ in ()).throw(AssertionError("boom"))}
    import linecache

    fname = "/tmp/ipykernel_123/393368602.py"
    linecache.cache[fname] = (len(code), None, [code], fname)
    with pytest.raises(AssertionError) as info:
        exec(compile(code, fname, "exec"), ns)
    text = "\n".join(judge.render_traceback(AssertionError, info.value, info.value.__traceback__))
    assert "secret" not in text and "run_cell_magic" not in text and text.endswith("AssertionError: boom")


@bwrap
def test_ipython_syntax_in_a_students_cell_runs_as_in_their_kernel(fresh_worker):
    """%timeit, %%time, !shell escapes, display() and get_ipython() in a student's cell."""
    ns: dict = {}
    judge.mirror("import numpy as np\n", "Cell [imports]")
    judge.run_student_cell("%%time\ndef double(x):\n    return 2 * x\n%timeit -n 1 -r 1 double(3)\n"
                           "!true\ndisplay(double(2))\nip = get_ipython()\n", ["double"], ns)
    assert ns["double"](21) == 42


STUDENT_DRAWS = (
    "import random\n"
    "def draw(kind, k):\n"
    "    if kind == 'normal':\n        return np.random.standard_normal(k)\n"      # odd k: the gauss cache
    "    if kind == 'uniform':\n        return np.random.random(k)\n"
    "    if kind == 'python':\n        return [random.random() for _ in range(k)]\n"
    "    if kind == 'seed':\n        np.random.seed(k); random.seed(k)\n        return None\n"
    "    return None\n"
)


@bwrap
@pytest.mark.parametrize("program", range(8))
def test_global_random_streams_match_one_process(fresh_worker, program):
    """Calls of a student's function (in the worker) and draws of the tests (in the judge) from
    numpy's and Python's global random state, interleaved at random: every value is the one the
    same sequence gives in one process (plain nbgrader's kernel), whoever draws, whatever the counts."""
    import random

    rng = random.Random(program)
    steps = [(rng.choice(["worker", "judge"]), rng.choice(["normal", "uniform", "python", "seed", "none"]),
              rng.randint(0, 5)) for _ in range(40)]
    ns = {"np": np}
    judge.mirror("import numpy as np\n", "Cell [imports]")
    judge.run_student_cell(STUDENT_DRAWS, ["draw"], ns)
    local: dict = {"np": np}
    exec(STUDENT_DRAWS, local)

    def run(draw):
        np.random.seed(program)
        random.seed(program)
        out = []
        for where, kind, k in steps:
            value = draw(kind, k) if where == "worker" else local["draw"](kind, k)
            out.append(None if value is None else np.asarray(value).tolist())
        return out

    assert run(ns["draw"]) == run(local["draw"])


def test_a_worker_that_does_not_start_is_flagged_when_a_cell_needs_it(fresh_worker):
    """Launched ahead (when the kernel loads the judge) and failed: nothing is flagged yet; the first
    request starts it again, and when that fails too the cell gets SandboxError and the flag says so."""
    w = judge.Worker(command=["/bin/false"], timeout=5)
    try:
        w.launch()
    except judge.SandboxError:
        pass
    assert not any("did not start" in f for f in _flags(fresh_worker))
    with pytest.raises(judge.SandboxError):
        w.request({"op": "ping"})
    assert any("did not start" in f for f in _flags(fresh_worker))
