"""The sandbox holds whoever starts grading (root included): no capabilities, an unprivileged
uid, read-only course packages that cannot be remounted, and kernel limits on memory (tmpfs
included) and processes for everything the student's code starts."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from labgrade.sandbox import bwrap as sandbox
from labgrade.sandbox import judge

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap (bwrap) is not installed")
LIB = Path(judge.__file__).resolve().parents[1]


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(str(p).encode() + p.read_bytes())
    return h.hexdigest()


@pytest.fixture
def run_student(tmp_path, monkeypatch):
    """Run a student's cell in a fresh worker; call its function ``probe`` and return the result."""
    monkeypatch.setenv(judge.FLAGS_ENV, str(tmp_path / "flags.jsonl"))
    monkeypatch.setenv("LABGRADE_WORKER_MEMORY_MB", "256")
    workers = []

    def run(code: str, timeout: float = 60):
        judge._worker = judge.Worker(timeout=timeout)
        workers.append(judge._worker)
        ns: dict = {}
        judge.run_student_cell(code, ["probe"], ns)
        return ns["probe"]()

    yield run
    for w in workers:
        w.kill()
    judge._worker = None


def test_the_student_runs_unprivileged(run_student):
    status = run_student(
        "import os\n"
        "def probe():\n"
        "    st = dict(l.split(':\\t', 1) for l in open('/proc/self/status').read().splitlines() if ':\\t' in l)\n"
        "    return [os.getuid(), os.getgid(), st['CapEff'].strip(), st['CapBnd'].strip(), st['NoNewPrivs'].strip(),\n"
        "            os.getgroups()]\n")
    uid, gid, cap_eff, cap_bnd, nnp, groups = status
    assert int(cap_eff, 16) == 0, f"the student's code has capabilities {cap_eff}"
    if os.geteuid() == 0:
        assert uid >= sandbox.UID_BASE and gid >= sandbox.UID_BASE, (uid, gid)
        assert int(cap_bnd, 16) == 0 and nnp == "1" and groups == []
    else:
        assert uid == os.geteuid() or uid != 0


def test_remounting_and_writing_the_course_packages_fail(run_student):
    before = _digest(LIB)
    target = LIB / "labgrade" / "judge.py"
    results = run_student(
        "import ctypes, os, subprocess\n"
        "def probe():\n"
        "    out = []\n"
        f"    for d in ({str(LIB / 'labgrade')!r}, {str(LIB)!r}, '/'):\n"
        "        r = subprocess.run(['mount', '-o', 'remount,rw,bind', d, d], capture_output=True)\n"
        "        out.append(('mount', r.returncode))\n"
        "        r = subprocess.run(['unshare', '-rm', 'sh', '-c', f'mount -o remount,rw,bind {d} {d} && "
        f"echo owned >> {target}'], capture_output=True)\n"
        "        out.append(('unshare', r.returncode))\n"
        "    libc = ctypes.CDLL(None, use_errno=True)\n"
        # MS_REMOUNT | MS_BIND, without MS_RDONLY: read-write
        f"    rc = libc.mount(None, {str(LIB / 'labgrade').encode()!r}, None, 0x20 | 0x1000, None)\n"
        "    out.append(('syscall', rc))\n"
        "    try:\n"
        f"        open({str(target)!r}, 'a').write('# owned')\n"
        "        out.append(('write', 0))\n"
        "    except OSError as e:\n"
        "        out.append(('write', e.errno))\n"
        "    return out\n")
    assert _digest(LIB) == before, "the student's code changed lib/"
    for what, code in results:
        assert code != 0, f"{what} succeeded in the sandbox: {results}"


def test_memory_including_tmpfs_is_limited_per_worker(run_student):
    """256 MiB for the worker: /tmp is a tmpfs of that size, and the cgroup (where the kernel allows)
    counts the tmpfs and every child together."""
    try:
        written = run_student(
        "import os\n"
        "def probe():\n"
        "    n = 0\n"
        "    try:\n"
        "        with open('/tmp/fill', 'wb') as fh:\n"
        "            for _ in range(100):\n"
        "                fh.write(b'x' * (8 << 20))\n"
        "                fh.flush()\n"
        "                n += 8\n"
        "    except OSError:\n"
        "        pass\n"
        "    return n\n", timeout=60)
    except judge.WorkerDied:
        written = 0     # the kernel's OOM killer ended the worker (the cgroup counts its tmpfs)
    assert written <= 256, f"the worker wrote {written} MiB to its /tmp with a 256 MiB limit"


def test_children_together_stay_within_the_memory_limit(run_student):
    if not sandbox.limits_available()["cgroup"]:
        pytest.skip("no cgroup available to this grader: the per-process limit holds, not a total (documented)")
    survived = run_student(
        "import os, time\n"
        "def probe():\n"
        "    kids = []\n"
        "    for _ in range(6):\n"
        "        pid = os.fork()\n"
        "        if pid == 0:\n"
        "            try:\n"
        "                b = bytearray(120 << 20)\n"
        "                for i in range(0, len(b), 4096):\n"
        "                    b[i] = 1\n"
        "                time.sleep(2)\n"
        "            finally:\n"
        "                os._exit(0)\n"
        "        kids.append(pid)\n"
        "    ok = 0\n"
        "    for pid in kids:\n"
        "        _, status = os.waitpid(pid, 0)\n"
        "        ok += os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0\n"
        "    return ok\n", timeout=60)
    # 6 x 120 MiB touched at once cannot fit in 256 MiB: the kernel killed some of them
    assert survived < 6


def test_processes_are_limited_per_worker(run_student):
    if not sandbox.limits_available()["cgroup"] and os.geteuid() != 0:
        pytest.skip("no cgroup and no per-uid process limit for a non-root grader (documented)")
    started = run_student(
        "import os, time\n"
        "def probe():\n"
        "    n = 0\n"
        "    try:\n"
        "        for _ in range(1000):\n"
        "            pid = os.fork()\n"
        "            if pid == 0:\n"
        "                time.sleep(30)\n"
        "                os._exit(0)\n"
        "            n += 1\n"
        "    except OSError:\n"
        "        pass\n"
        "    return n\n", timeout=60)
    assert started < sandbox.process_limit(), f"{started} processes started, limit {sandbox.process_limit()}"


def test_the_worker_sees_the_kernels_grading_environment_and_nothing_else(run_student, monkeypatch):
    """A notebook may skip its demos when graded (NBGRADER_EXECUTION): the student's code sees it;
    it sees none of the grader's other variables."""
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setenv("LABGRADE_TEST_SECRET", "s3cret")
    env = run_student("import os\ndef probe():\n    return dict(os.environ)\n")
    assert env.get("NBGRADER_EXECUTION") == "autograde"
    assert "LABGRADE_TEST_SECRET" not in env and "s3cret" not in str(env)
