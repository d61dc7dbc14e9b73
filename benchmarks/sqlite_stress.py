"""Measure: is nbgrader's SQLite gradebook safe under parallel autograde workers?

Runs ``--students`` copies of the correct sample submission (Part 1 only, the
cheapest notebook, so that the gradebook writes are as dense as possible)
through ``--jobs`` concurrent ``nbgrader autograde --student`` processes, in
three set-ups, and counts the autograde runs that fail and the "database is
locked" errors in their logs, and checks every student's score:

* ``nbgrader``: as nbgrader leaves it: ``generate_assignment`` made the gradebook,
  autograde creates each student, SQLite's rollback journal, pysqlite's 5 s
  busy timeout;
* ``precreated``: students, course rows and assignment created up front (the
  parent), nothing else changed;
* ``labgrade``: what ``labgrade grade`` does: pre-created, WAL journal, a 120 s
  busy timeout in the workers' URL.

    python -m benchmarks.sqlite_stress [--students 24] [--jobs 8] [--rounds 1]

Not a test: it prints its counts (see docs/grading.md for a measured run).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from labgrade.course.build import generate_release
from labgrade.course.config import load_settings
from labgrade.course.paths import ASSIGNMENT, tool_env
from labgrade.grading.gradebook import default_db_url, generate_assignment, open_gradebook, prepare, worker_db_url
from labgrade.grading.runner import course_workspace, nbgrader_cmd
from labgrade.variants.mutations import STUDENTS
from labgrade.variants.sample import build_class


def _one(ws, url, student, settings):
    cmd = nbgrader_cmd(ws, url, "autograde", ASSIGNMENT, "--student", student, "--force",
                       f"--Execute.timeout={settings.cell_timeout}")
    res = subprocess.run(cmd, cwd=ws.root, env=tool_env(**settings.kernel_env()), capture_output=True,
                         text=True)
    text = res.stdout + res.stderr
    return res.returncode, text.count("database is locked")


def trial(mode: str, n: int, jobs: int, tmp: Path) -> dict:
    settings = load_settings()
    workdir = tmp / mode
    ws = course_workspace(workdir, ["01"])
    generate_release(ws.root, workdir / "rel")
    build_class(workdir / "rel", workdir / "tmp-class", root=ws.root, students=[STUDENTS[0]])
    students = [f"p{i:03d}" for i in range(n)]
    for s in students:
        shutil.copytree(workdir / "tmp-class" / STUDENTS[0].id, ws.submitted / s)
    url = default_db_url(workdir)
    if mode == "nbgrader":
        generate_assignment(ws.root, workdir, url)
        wurl = url
    else:
        prepare(url, workdir, students, settings, root=ws.root)
        wurl = worker_db_url(url) if mode == "labgrade" else url
        if mode == "precreated":
            import sqlite3

            con = sqlite3.connect(workdir / "gradebook.db")
            con.execute("PRAGMA journal_mode=DELETE")
            con.close()
    t0 = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        out = list(pool.map(lambda s: _one(ws, wurl, s, settings), students))
    seconds = time.perf_counter() - t0
    failed = sum(1 for rc, _ in out if rc != 0)
    locked = sum(k for _, k in out)
    wrong = 0
    with open_gradebook(url) as gb:
        for s in students:
            try:
                sub = gb.find_submission(ASSIGNMENT, s)
                if abs(sub.score - 6.0) > 1e-9:
                    wrong += 1
            except Exception:
                wrong += 1
    return {"mode": mode, "students": n, "jobs": jobs, "failed_runs": failed, "locked_errors": locked,
            "wrong_scores": wrong, "seconds": seconds}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sqlite_stress", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=24)
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--modes", default="nbgrader,precreated,labgrade")
    args = parser.parse_args(argv)
    print(f"{'set-up':<11} {'students':>8} {'jobs':>4} {'failed runs':>11} {'locked errors':>13} "
          f"{'wrong scores':>12} {'seconds':>8}")
    for r in range(args.rounds):
        for mode in args.modes.split(","):
            with tempfile.TemporaryDirectory(prefix=f"labgrade-stress-{r}-") as tmp:
                res = trial(mode, args.students, args.jobs, Path(tmp))
            print(f"{res['mode']:<11} {res['students']:>8} {res['jobs']:>4} {res['failed_runs']:>11} "
                  f"{res['locked_errors']:>13} {res['wrong_scores']:>12} {res['seconds']:>8.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
