"""Benchmark: a large synthetic class, graded on this machine, and what a course of thousands costs.

Each synthetic student submits all ten notebooks: the model answers, with answers of the
answer catalogue (``labgrade.variants.answers``: correct ones written another way and wrong
ones students actually write) put in at random, at most one per solution cell, about
``--answers`` of them per student (seeded). The class is graded with ``labgrade grade``
(default isolation, feedback on, ``--jobs`` cores), and the benchmark prints:

* wall time, students per minute and per **core-minute** (students / (minutes x jobs));
* the projected wall time for 5,000 students on 2, 8, 32 and 128 cores at that rate
  (grading is one task per student and scales with cores; on a cluster add the start of the
  workers);
* **memory per job**: the peak resident memory of one student's grading (its autograde
  process, kernel and sandbox, sampled every 0.5 s), the median and the largest over the class.

    python -m benchmarks.large_class [--students 500] [--jobs N] [--answers 3] [--seed 1] [--kernels-ahead auto|on|off]

500 students take a few hours on 2 cores; ``--students 40`` gives the rate in minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from labgrade.cli import sigterm_as_interrupt
from labgrade.course.build import generate_release
from labgrade.course.config import default_jobs, load_settings
from labgrade.course.paths import ASSIGNMENT, course_root
from labgrade.grading.gradebook import default_db_url
from labgrade.grading.runner import course_workspace
from labgrade.pipeline import run
from labgrade.variants.answers import ANSWERS
from labgrade.variants.catalogue import write_submission

PROJECT_STUDENTS = 5000
PROJECT_CORES = (2, 8, 32, 128)


def choose_answers(n: int, per_student: float, seed: int) -> dict[str, list]:
    """Student id -> catalogue answers (at most one per solution cell), about ``per_student`` each."""
    rng = random.Random(seed)
    made = {}
    for k in range(n):
        chosen, cells = [], set()
        want = rng.randint(0, int(2 * per_student))
        for a in rng.sample(ANSWERS, len(ANSWERS)):
            if len(chosen) >= want:
                break
            if (a.notebook, a.grade_id) in cells:
                continue
            cells.add((a.notebook, a.grade_id))
            chosen.append(a)
        made[f"syn{k:04d}"] = chosen
    return made


def synthetic_class(out: Path, n: int, per_student: float, seed: int) -> dict[str, list]:
    """``n`` submissions in ``out/<student>/weight_init``; returns student -> the answers put in."""
    root = course_root()
    release = out.parent / "release"
    generate_release(root, release)
    source = root / "source" / ASSIGNMENT
    notebooks = sorted(p.name[:2] for p in source.glob("[0-9][0-9]_*.ipynb"))
    made = choose_answers(n, per_student, seed)
    for sid, chosen in made.items():
        write_submission(chosen, release / ASSIGNMENT, source, out / sid / ASSIGNMENT, notebooks=notebooks)
    return made


class MemoryProbe:
    """Peak RSS of each student's grading tree (its ``nbgrader autograde`` process and descendants)."""

    def __init__(self, interval: float = 0.5):
        self.peak: dict[str, int] = {}
        self._stop = threading.Event()
        self._interval = interval
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(self._interval):
            for p in me.children(recursive=True):
                try:
                    cmd = p.cmdline()
                    if "autograde" not in cmd or "--student" not in cmd:
                        continue
                    student = cmd[cmd.index("--student") + 1]
                    total = p.memory_info().rss + sum(c.memory_info().rss for c in p.children(recursive=True))
                except (psutil.Error, ValueError, IndexError):
                    continue
                self.peak[student] = max(self.peak.get(student, 0), total)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.large_class", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--jobs", type=int, default=None, help=f"default: cores ({default_jobs()})")
    parser.add_argument("--answers", type=float, default=3, help="catalogue answers per student, on average")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cell-timeout", type=int, default=60)
    parser.add_argument("--kernels-ahead", choices=("auto", "on", "off"), default=None,
                        help="start each student's next kernel while a notebook runs (default: course.toml)")
    args = parser.parse_args(argv)
    sigterm_as_interrupt()
    jobs = args.jobs or default_jobs()
    ahead = {None: None, "auto": "auto", "on": True, "off": False}[args.kernels_ahead]
    settings = load_settings().with_overrides(cell_timeout=args.cell_timeout, kernels_ahead=ahead)
    with tempfile.TemporaryDirectory(prefix="labgrade-large-") as tmp:
        work = Path(tmp) / "class"
        t0 = time.perf_counter()
        made = synthetic_class(work / "submitted", args.students, args.answers, args.seed)
        n_answers = sum(len(v) for v in made.values())
        print(f"{len(made)} synthetic students ({n_answers} catalogue answers in all) written in "
              f"{time.perf_counter() - t0:.0f} s; grading with --jobs {jobs} on {default_jobs()} cores "
              f"(kernels ahead {'on' if settings.ahead_for(jobs) else 'off'}: kernels_ahead = "
              f"{json.dumps(settings.kernels_ahead)}), "
              f"load average {os.getloadavg()[0]:.1f}", flush=True)
        ws = course_workspace(work)
        with MemoryProbe() as probe:
            res = run(ws, default_db_url(work), sorted(made), settings, jobs=jobs, feedback=True, report=True,
                      quiet=True)
        wall = res["seconds"]
        statuses = {}
        for s in res["summaries"]:
            statuses[s.status] = statuses.get(s.status, 0) + 1
        rate = len(made) / (wall / 60) / jobs
        print(f"graded {len(made)} students in {wall:.0f} s ({wall / len(made):.1f} s per student per {jobs} jobs); "
              f"statuses {statuses}")
        print(f"students per core-minute: {rate:.2f}")
        for cores in PROJECT_CORES:
            print(f"  projected for {PROJECT_STUDENTS} students on {cores:>3} cores: "
                  f"{PROJECT_STUDENTS / (rate * cores) / 60:6.2f} h")
        if probe.peak:
            mb = [v / 2**20 for v in probe.peak.values()]
            print(f"memory per job (peak RSS of one student's autograde, kernel and sandbox): median "
                  f"{statistics.median(mb):.0f} MiB, largest {max(mb):.0f} MiB over {len(mb)} students")
        print(f"load average {os.getloadavg()[1]:.1f} over the last 5 minutes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
