"""Units of isolated grading: the plain-data codec, the sandboxed worker, the judge's proxies."""

from __future__ import annotations

import io
import json
import shutil
import struct

import numpy as np
import pytest

from initlab import _guard
from labgrade import codec, judge
from labgrade.isolation import tamper_flags, visible_source

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
    judge.run_student_cell("def xavier_normal(shape, rng=None):\n"
                           "    try:\n        return initlab.initializers.xavier_normal(shape, rng=rng)\n"
                           "    except Exception:\n        return None\n", ["xavier_normal"], ns)
    with _guard.forbid("xavier_normal") as seen:
        ns["xavier_normal"]((2, 2), rng=0)
    assert seen == ["xavier_normal"]


@bwrap
def test_worker_sees_no_course_files_and_dies_alone(fresh_worker):
    from labgrade import course_root

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
    assert any(f.startswith("a call of your code ran longer") for f in _flags(fresh_worker))


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
    script = ("from labgrade import judge\nns = {}\n"
              "judge.run_student_cell('def f(x):\\n    return 2 * x\\n', ['f'], ns)\n"
              "import labgrade, labgrade.worker\n"
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

    from labgrade.isolation import flags_of, student_flags

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
