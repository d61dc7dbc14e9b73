"""A failure of the grading machine's, not of the notebook, costs the student nothing: the student
is graded again. Here a kernel that does not start (what jupyter_client's port race does on a busy
machine: "Address already in use", then "Kernel died before replying to kernel_info")."""

from __future__ import annotations

import pytest

from helpers.classes import build_sample, grade
from labgrade.grading.runner import grading_failure

pytestmark = pytest.mark.slow

# an IPython startup file runs while the kernel starts, before it answers kernel_info
DIE_AT_START = """
import os
from pathlib import Path

count = Path({count!r})
n = int(count.read_text()) + 1 if count.exists() else 1
count.write_text(str(n))
if n in {die!r}:
    os._exit(1)
"""


def kernels_that_die(tmp_path, monkeypatch, die: set[int]):
    startup = tmp_path / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-die.py").write_text(DIE_AT_START.format(count=str(tmp_path / "kernel-starts"), die=die))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))


@pytest.mark.parametrize("isolation", ["judge", "none"])
def test_a_kernel_that_did_not_start_is_started_again(tmp_path, monkeypatch, isolation):
    """The second kernel (Part 4's) dies before it answers: the student is graded again and still gets
    every point (kernels started one at a time: the second start is Part 4's)."""
    kernels_that_die(tmp_path, monkeypatch, {2})
    students = ["s01_correct"]
    ws, _ = build_sample(tmp_path / "class", students, ["01", "04"])
    res = grade(ws, students, jobs=1, feedback=False, report=False, isolation=isolation, kernels_ahead=False)
    rows = [r for r in res["rows"] if r.student == "s01_correct"]
    assert rows and all(r.status == "graded" for r in rows), [(r.grade_id, r.status, r.message) for r in rows]
    assert all(r.points == r.max_points for r in rows if not r.grade_id.startswith("answer_"))
    assert "Kernel died before replying to kernel_info" in (ws.logs / "s01_correct.log").read_text()


# the judge's kernel of Part 4 knows its notebook from its environment (its plan file, which nbgrader writes
# right before it executes Part 4): the first such kernel, the one started ahead, dies at once, or once Part 4
# is about to take it
DIE_IF_PART_4 = """
import os
import time
from pathlib import Path

plan = os.environ.get("LABGRADE_JUDGE_PLAN", "")
if plan.endswith("04_activation_statistics.plan.json"):
    count = Path({count!r})
    if not count.exists():
        count.write_text("1")
        if {wait!r}:
            while not Path(plan).exists():
                time.sleep(0.05)
            time.sleep(2)
        os._exit(1)
"""


@pytest.mark.parametrize("wait", [False, True], ids=["dies at once", "dies after it was taken"])
def test_a_kernel_started_ahead_that_died_is_replaced(tmp_path, monkeypatch, wait):
    """The first kernel started for Part 4 (the one started ahead, while Part 1 runs) dies at start,
    before or after Part 4 takes it: Part 4 starts its own; every point, no second grading."""
    startup = tmp_path / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-die.py").write_text(DIE_IF_PART_4.format(count=str(tmp_path / "died"), wait=wait))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    students = ["s01_correct"]
    ws, _ = build_sample(tmp_path / "class", students, ["01", "04"])
    res = grade(ws, students, jobs=1, feedback=False, report=False, isolation="judge", kernels_ahead=True)
    rows = [r for r in res["rows"] if r.student == "s01_correct"]
    assert rows and all(r.status == "graded" for r in rows), [(r.grade_id, r.status, r.message) for r in rows]
    assert all(r.points == r.max_points for r in rows if not r.grade_id.startswith("answer_"))
    assert (tmp_path / "died").exists(), "the kernel started ahead for Part 4 did not run the startup file"
    log = (ws.logs / "s01_correct.log").read_text()
    assert not res["runs"]["s01_correct"].salvaged
    if wait:        # taken while it waited, then found dead by the client: this notebook started its own
        assert "Using the kernel started ahead" in log and "died before it was ready" in log


def test_kernels_that_never_start_fail_the_notebooks_with_the_reason(tmp_path, monkeypatch):
    """Retried twice, then each notebook is failed, with the reason; grading ends."""
    kernels_that_die(tmp_path, monkeypatch, set(range(1, 100)))
    students = ["s01_correct"]
    ws, _ = build_sample(tmp_path / "class", students, ["01", "04"])
    res = grade(ws, students, jobs=1, feedback=False, report=False)
    rows = [r for r in res["rows"] if r.student == "s01_correct"]
    assert rows and all(r.status == "failed" and r.points == 0 for r in rows)
    assert all("kernel died" in r.message for r in rows)


def test_what_counts_as_the_machines_failure():
    log = ("zmq.error.ZMQError: Address already in use (addr='tcp://127.0.0.1:46107')\n"
           "[AutogradeApp | ERROR] Error occurred while starting new kernel client for kernel x: "
           "Kernel died before replying to kernel_info\n")
    assert grading_failure(log)
    assert grading_failure("sqlite3.OperationalError: database is locked")
    assert not grading_failure("nbclient.exceptions.DeadKernelError: Kernel died\n")   # while running a cell
    assert not grading_failure("nbformat.reader.NotJSONError: Notebook does not appear to be JSON")
