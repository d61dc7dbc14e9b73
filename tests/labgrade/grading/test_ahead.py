"""Kernels started ahead (labgrade.grading.ahead): the next notebook's kernel boots while the current
notebook runs. It may only save time: the same grades, statuses and messages with and without it, a
kernel started ahead only ever used by the notebook it was started for, and none left behind."""

from __future__ import annotations

import json
import os

import pytest

from helpers.classes import build_sample, grade
from labgrade.grading import ahead
from labgrade.sandbox import judge
from labgrade.sandbox.isolation import ENV, FLAGS_DIR_ENV, kernel_env_for

# a correct student, one with mistakes in these parts, one without Part 4, one whose kernel dies in Part 1
STUDENTS = ["s01_correct", "s03_variance_as_std", "s10_missing_notebook", "s12_kernel_dies"]
PARTS = ["01", "03", "04"]   # Part 3: the cheapest third notebook (Part 2 makes ~3,900 judge calls)
USED = ahead.USED
DIED = "The kernel started ahead died"          # before it was taken, or after ("...before it was ready")
MISMATCH = "does not match this notebook's"


def test_the_next_notebook_is_the_one_after_in_grading_order():
    names = ["01_a", "02_b", "04_d"]
    assert ahead.next_notebook("01_a", names) == "02_b"
    assert ahead.next_notebook("02_b", names) == "04_d"
    assert ahead.next_notebook("04_d", names) is None          # the last: nothing is started ahead
    assert ahead.next_notebook("03_c", names) is None          # not staged: nothing guessed
    assert ahead.next_notebook(None, names) is None
    env = {ahead.AHEAD_ENV: ahead.grading_order(["02_b", "04_d", "01_a"])}
    assert ahead.ahead_names(env) == ["01_a", "02_b", "04_d"]
    # nbgrader sorts the files: "a-b.ipynb" before "a.ipynb" ("-" < "."), though "a" < "a-b"
    assert ahead.ahead_names({ahead.AHEAD_ENV: ahead.grading_order(["a", "a-b", "a b"])}) == ["a b", "a-b", "a"]
    assert ahead.ahead_names({}) == [] and ahead.ahead_names({ahead.AHEAD_ENV: "not json"}) == []


def test_only_the_judges_files_differ_between_two_notebooks_kernels(tmp_path):
    base = {"PATH": os.environ.get("PATH", ""), ENV: "judge", FLAGS_DIR_ENV: str(tmp_path),
            judge.FLAGS_ENV: str(tmp_path / "01_a.jsonl"), judge.PLAN_ENV: str(tmp_path / "01_a.plan.json"),
            judge.TIMEOUT_ENV: "53.0"}
    nxt = kernel_env_for("02_b", base)
    assert nxt[judge.FLAGS_ENV] == str(tmp_path / "02_b.jsonl")
    assert nxt[judge.PLAN_ENV] == str(tmp_path / "02_b.plan.json")
    assert {k: v for k, v in nxt.items() if k not in (judge.FLAGS_ENV, judge.PLAN_ENV)} == \
        {k: v for k, v in base.items() if k not in (judge.FLAGS_ENV, judge.PLAN_ENV)}
    # plain nbgrader, or no folder named by the runner: the environment as it is
    assert kernel_env_for("02_b", {**base, ENV: "none"}) == {**base, ENV: "none"}
    no_dir = {k: v for k, v in base.items() if k != FLAGS_DIR_ENV}
    assert kernel_env_for("02_b", no_dir) == no_dir


def test_a_different_start_is_a_different_key():
    key = ahead.start_key("python3", ["--x"], "/a", {"A": "1"})
    assert key == ahead.start_key("python3", ["--x"], "/a", {"A": "1"})
    assert key != ahead.start_key("python3", ["--x"], "/a", {"A": "2"})
    assert key != ahead.start_key("python3", ["--x"], "/b", {"A": "1"})
    assert key != ahead.start_key("python3", ["--y"], "/a", {"A": "1"})
    assert key != ahead.start_key("other", ["--x"], "/a", {"A": "1"})


def test_a_kernel_start_error_after_the_notebooks_kernel_was_up_is_not_the_machines():
    """A kernel started ahead that hit jupyter_client's port race, then the notebook failed on its own:
    the notebook's failure, not a reason to grade the student again."""
    from labgrade.grading.runner import grading_failure

    zmq = "zmq.error.ZMQError: Address already in use (addr='tcp://127.0.0.1:4000')\n"
    first = "[AutogradeApp | INFO] Autograding /x/01_a.ipynb\n"
    second = "[AutogradeApp | INFO] Autograding /x/02_b.ipynb\n"
    ready = f"[AutogradeApp | INFO] {ahead.KERNEL_READY}\n"
    dead = "nbclient.exceptions.DeadKernelError: Kernel died\n"
    assert not grading_failure(first + ready + zmq + dead)          # Part 1's kernel was up
    assert not grading_failure(first + ready + zmq + second + ready + dead)
    assert grading_failure(first + ready + second + zmq + "Kernel died before replying to kernel_info\n")
    assert grading_failure(zmq + "Kernel died before replying to kernel_info\n")   # no sections: as before


def _rows(res) -> list[tuple]:
    return sorted((r.student, r.notebook, r.grade_id, r.points, r.status, r.message, r.flags) for r in res["rows"])


def _log(ws, student) -> str:
    return (ws.logs / f"{student}.log").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("isolation", ["judge", "none"])
def test_kernels_ahead_change_no_grade_and_leave_no_process(tmp_path, process_marker, isolation):
    """Four students (correct, wrong, a notebook missing, a kernel that dies), graded with kernels
    started ahead and without: row for row the same. Every later notebook of a student who finished
    normally ran in the kernel started for it; no process is left after either run."""
    ws, _ = build_sample(tmp_path, STUDENTS, PARTS)
    with_ahead = grade(ws, STUDENTS, jobs=2, feedback=False, report=False, isolation=isolation, kernels_ahead=True)
    # a kernel started ahead that died (jupyter_client's port race on a busy machine) was replaced: counted too
    used = {s: _log(ws, s).count(USED) + _log(ws, s).count(DIED) - _log(ws, s).count("died before it was ready")
            for s in STUDENTS}
    assert not process_marker(), "a kernel or worker survived the grading"
    without = grade(ws, STUDENTS, jobs=2, feedback=False, report=False, isolation=isolation, kernels_ahead=False)
    assert not process_marker(), "a kernel or worker survived the grading"
    assert _rows(with_ahead) and _rows(with_ahead) == _rows(without)
    assert used["s01_correct"] == used["s03_variance_as_std"] == len(PARTS) - 1
    assert used["s10_missing_notebook"] == len(PARTS) - 2      # Part 4 not submitted: not guessed either
    assert all(MISMATCH not in _log(ws, s) for s in STUDENTS)
    assert USED not in "".join(_log(ws, s) for s in STUDENTS)  # the second run: none started ahead


@pytest.mark.slow
def test_a_wrong_guess_costs_a_fresh_kernel_and_leaves_none(tmp_path, monkeypatch, process_marker):
    """The runner's notebook order reversed: every guess is wrong. Each notebook then starts its own
    kernel (the one started ahead is shut down), the last one started ahead is shut down when autograde
    ends, and the grades are those of the right guesses."""
    students = ["s01_correct", "s03_variance_as_std"]
    ws, _ = build_sample(tmp_path, students, PARTS)
    # the judge's mode: there each notebook's kernel has an environment of its own (in "none" any kernel fits)
    right = grade(ws, students, jobs=2, feedback=False, report=False, isolation="judge", kernels_ahead=True)
    monkeypatch.setattr(ahead, "grading_order", lambda names: json.dumps(sorted(names, reverse=True)))
    wrong = grade(ws, students, jobs=2, feedback=False, report=False, isolation="judge", kernels_ahead=True)
    assert not process_marker(), "a kernel started ahead survived its autograde"
    assert _rows(right) == _rows(wrong)
    for s in students:
        assert USED not in _log(ws, s)
        assert MISMATCH in _log(ws, s)
