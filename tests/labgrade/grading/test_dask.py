"""Grading past one machine: the sample class through a real Dask cluster into a real PostgreSQL.

A ``dask scheduler`` and two ``dask worker`` processes (one thread each, with their nannies)
run on 127.0.0.1; ``labgrade demo --scheduler`` sends them one task per student, and the
gradebook is a fresh PostgreSQL database. The class is graded on Parts 1 and 4
(``--notebooks 01,04``): every student of the sample class, and every way a submission
ends (graded, late, a missing notebook, an endless loop, a dead kernel, a notebook that is
not JSON, no submission) happens in these two parts; the other eight only repeat the
grading of correct and wrong answers, which the local run checks. In the middle of a student, the worker grading it is
killed (SIGKILL); its nanny starts a new one and the scheduler gives the student to a worker
again. The grades, statuses and flags must be those of the local run of the same class
(``sample_class_run``, graded once per session), with one submission per student and one
grade per item in the gradebook, and no grading process left behind.

Needs PostgreSQL (LABGRADE_TEST_PG_URL; .ci/run starts one and sets LABGRADE_REQUIRE_PG=1).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psutil
import pytest
from distributed import Client
from sqlalchemy import text

from helpers.classes import grade_sample_class, pg_database
from helpers.sample_expectations import STUDENT_STATUS, expected_points, graded_items
from labgrade.cli import main
from labgrade.course.paths import ASSIGNMENT, course_root
from labgrade.grading.gradebook import open_gradebook

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

NOTEBOOKS = ("01", "04")
COMPARED = ("student", "notebook", "grade_id", "points", "max_points", "status", "message", "flags")


def _dask(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "dask"), *args]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A Dask scheduler and two single-threaded workers on 127.0.0.1; yields (address, worker Popens)."""
    d = tmp_path_factory.mktemp("dask")
    sched_file = d / "scheduler.json"
    mark = uuid.uuid4().hex
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "LABGRADE_TEST_MARK": mark,
           "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}   # workers start subprocesses (autograde)
    logs = []
    procs = []

    def start(name, cmd):
        log = open(d / f"{name}.log", "w")
        logs.append(log)
        procs.append(subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=d,
                                      start_new_session=True))
        return procs[-1]

    start("scheduler", _dask("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                             "--scheduler-file", str(sched_file)))
    for _ in range(100):
        if sched_file.exists() and sched_file.stat().st_size:
            break
        time.sleep(0.2)
    address = json.loads(sched_file.read_text())["address"]
    workers = [start(f"worker{i}", _dask("worker", address, "--nthreads", "1", "--nworkers", "1",
                                         "--no-dashboard", "--host", "127.0.0.1", "--name", f"w{i}",
                                         "--death-timeout", "60"))
               for i in (1, 2)]
    with Client(address, timeout="30s") as client:
        client.wait_for_workers(2, timeout=120)
    yield {"address": address, "workers": workers, "dir": d, "mark": mark}
    for p in procs[::-1]:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
    for log in logs:
        log.close()


def _autograde_of(proc: subprocess.Popen):
    """(autograde process, the dask worker process above it) under one `dask worker` (its nanny)."""
    try:
        family = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return None
    for p in family:
        try:
            cmd = p.cmdline()
        except psutil.Error:
            continue
        if "nbgrader" in cmd and "autograde" in cmd:
            worker = p          # the nanny's child above it (autograde <- zygote <- worker <- nanny)
            while worker.parent() is not None and worker.parent().pid != proc.pid:
                worker = worker.parent()
            return p, worker
    return None


def kill_a_worker_mid_student(workers, killed: dict, stop: threading.Event):
    """Once a student's autograde has run a few seconds, SIGKILL the worker process running it."""
    while not stop.is_set():
        for w in workers:
            found = _autograde_of(w)
            if found and time.time() - found[0].create_time() > 4:
                ag, worker = found
                cmd = ag.cmdline()
                killed["student"] = cmd[cmd.index("--student") + 1]
                killed["autograde"] = ag.pid
                worker.kill()
                return
        time.sleep(0.3)


@pytest.fixture(scope="module")
def dask_run(cluster, tmp_path_factory):
    # not waiting for ``sample_class_run`` here: the local run may be graded by another xdist worker meanwhile,
    # and only the comparison test needs it
    killed: dict = {}
    stop = threading.Event()
    with pg_database("labgrade_dask") as db:
        killer = threading.Thread(target=kill_a_worker_mid_student, args=(cluster["workers"], killed, stop),
                                  daemon=True)
        killer.start()
        try:
            res = grade_sample_class(tmp_path_factory.mktemp("dask-class"), "--scheduler", cluster["address"],
                                     "--notebooks", ",".join(NOTEBOOKS), db_url=db)
        finally:
            stop.set()
            killer.join(timeout=10)
        res["killed"] = killed
        res["db"] = db
        with open_gradebook(db) as gb:
            res["dialect"] = gb.engine.dialect.name
            res["duedate"] = gb.find_assignment(ASSIGNMENT).duedate
            res["scores"] = {}
            for student in res["students"]:
                try:
                    sub = gb.find_submission(ASSIGNMENT, student)
                except Exception:
                    continue
                res["scores"][student] = {(nb.name, g.name): float(g.score) for nb in sub.notebooks
                                          for g in nb.grades}
            with gb.engine.connect() as conn:
                res["submissions"] = conn.execute(text(
                    "SELECT count(*), count(DISTINCT student_id) FROM submitted_assignment")).one()
                res["grades"] = conn.execute(text(
                    "SELECT count(*), count(DISTINCT (notebook_id, cell_id)) FROM grade")).one()
        yield res


def test_a_worker_was_killed_in_the_middle_of_a_student(dask_run):
    assert dask_run["killed"].get("student"), "no worker was killed: the retry was not exercised"
    assert not psutil.pid_exists(dask_run["killed"]["autograde"]) or \
        psutil.Process(dask_run["killed"]["autograde"]).status() == psutil.STATUS_ZOMBIE


def test_same_grades_statuses_and_flags_as_the_local_run(dask_run, sample_class_run):
    def keyed(rows):
        return {(r["student"], r["notebook"], r["grade_id"]): {k: r[k] for k in COMPARED} for r in rows}

    parts = tuple(f"{n}_" for n in NOTEBOOKS)
    local = keyed(r for r in sample_class_run["rows"] if r["notebook"].startswith(parts))
    dask = keyed(dask_run["rows"])
    assert local.keys() == dask.keys()
    diff = {k: (local[k], dask[k]) for k in local if local[k] != dask[k]}
    assert not diff, f"{len(diff)} rows differ, e.g. {next(iter(diff.items()))}"
    assert {s: r["status"] for s, r in dask_run["students"].items()} == \
        {s: r["status"] for s, r in sample_class_run["students"].items()}


def test_the_gradebook_is_postgresql_with_one_grade_per_item(dask_run):
    assert dask_run["dialect"] == "postgresql"
    assert dask_run["duedate"] is not None
    n_sub, n_students = dask_run["submissions"]
    assert n_sub == n_students, "a student has two submissions"
    n_grades, n_distinct = dask_run["grades"]
    assert n_grades == n_distinct, "an item was graded twice"
    items = [it for it in graded_items(course_root() / "source" / ASSIGNMENT) if it[0][:2] in NOTEBOOKS]
    for student in STUDENT_STATUS:
        if student == "s14_no_submission":
            assert student not in dask_run["scores"]
            continue
        assert dask_run["scores"][student] == expected_points(student, items), student


def test_workers_wrote_feedback_and_the_report(dask_run):
    workdir = Path(dask_run["workdir"])
    assert (workdir / "reports" / "item_analysis.html").exists()
    assert list((workdir / "feedback" / "s03_variance_as_std" / ASSIGNMENT).glob("*.html"))


GRADING_PROCESSES = ("nbgrader", "ipykernel", "bwrap", "labgrade.sandbox", "labgrade.grading.warm")


def test_no_grading_process_left_on_the_workers(dask_run, cluster):
    """Nothing the workers started for grading outlives it, the killed worker's included
    (its autograde died with it, the kernels with their autograde, the sandboxes with their kernel)."""
    def left():
        found = []
        for p in psutil.process_iter():
            try:
                if p.environ().get("LABGRADE_TEST_MARK") != cluster["mark"] or p.status() == psutil.STATUS_ZOMBIE:
                    continue
                cmd = " ".join(p.cmdline())
            except psutil.Error:
                continue
            if any(word in cmd for word in GRADING_PROCESSES) and "labgrade.grading.warm" not in cmd:
                found.append(cmd[:120])
        return found

    deadline = time.monotonic() + 15      # a kernel notices its parent died within a second or two
    while left() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not left()


def test_a_sqlite_gradebook_is_refused_with_a_scheduler(tmp_path, cluster, capsys):
    rc = main(["grade", "--course-dir", str(tmp_path), "--db-url", f"sqlite:///{tmp_path}/g.db",
               "--scheduler", cluster["address"], "--students", "a", "--quiet"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "SQLite" in err and "postgresql://" in err


def test_auto_kernels_ahead_is_resolved_for_each_run_and_machine(dask_run, sample_class_run):
    """course.toml's ``kernels_ahead = "auto"`` starts kernels ahead only while a core is free. The two Dask
    workers here (one thread each) share this machine: 2 students at once, as the local run's 2 jobs, so
    both start them only on more than 2 cores (s01's second notebook then ran in the kernel started for it)."""
    from labgrade.course.config import default_jobs, load_settings
    from labgrade.grading import ahead

    if load_settings().kernels_ahead != "auto":
        pytest.skip("course.toml sets kernels_ahead explicitly")
    at_once = 2
    for run in (dask_run, sample_class_run):
        log = (run["workdir"] / ".grading" / "logs" / "s01_correct.log").read_text()
        assert (ahead.USED in log) == (at_once < default_jobs()), (at_once, default_jobs())
