"""Kernels started ahead (labgrade.grading.ahead): the next notebook's kernel boots while the current
notebook runs. It may only save time: the same grades, statuses and messages with and without it, a
kernel started ahead only ever used by the notebook it was started for, and none left behind."""

from __future__ import annotations

import os

import pytest

from helpers.classes import build_sample, grade
from labgrade.grading import ahead
from labgrade.sandbox import judge
from labgrade.sandbox.isolation import ENV, FLAGS_DIR_ENV, kernel_env_for

# a correct student, one with mistakes in these parts, one without Part 4, one whose kernel dies in Part 1
STUDENTS = ["s01_correct", "s03_variance_as_std", "s10_missing_notebook", "s12_kernel_dies"]
PARTS = ["01", "02", "04"]
USED = "Using the kernel started ahead"
MISMATCH = "does not match this notebook's"


def test_the_next_notebook_is_the_one_after_in_grading_order():
    names = ["01_a", "02_b", "04_d"]
    assert ahead.next_notebook("01_a", names) == "02_b"
    assert ahead.next_notebook("02_b", names) == "04_d"
    assert ahead.next_notebook("04_d", names) is None          # the last: nothing is started ahead
    assert ahead.next_notebook("03_c", names) is None          # not staged: nothing guessed
    assert ahead.next_notebook(None, names) is None
    assert ahead.grading_order(["02_b", "04_d", "01_a"]) == "01_a 02_b 04_d"
    assert ahead.ahead_names({ahead.AHEAD_ENV: "01_a 02_b"}) == ["01_a", "02_b"]
    assert ahead.ahead_names({}) == []


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
    used = {s: _log(ws, s).count(USED) for s in STUDENTS}
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
    right = grade(ws, students, jobs=2, feedback=False, report=False)
    monkeypatch.setattr(ahead, "grading_order", lambda names: " ".join(sorted(names, reverse=True)))
    wrong = grade(ws, students, jobs=2, feedback=False, report=False)
    assert not process_marker(), "a kernel started ahead survived its autograde"
    assert _rows(right) == _rows(wrong)
    for s in students:
        assert USED not in _log(ws, s)
        assert MISMATCH in _log(ws, s)
