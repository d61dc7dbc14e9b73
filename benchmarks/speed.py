"""Benchmark: the speed goals of grading, each as a ratio to a baseline measured in the same run.

1. **One student against the floor.** The floor is the ten source notebooks (solutions and
   hidden tests), executed once each in a fresh kernel, as nbgrader's autograde runs them
   (``NBGRADER_EXECUTION=autograde``), one after the other. Against it:
   ``labgrade grade --jobs 1`` of the sample class's correct student in the default isolation
   (the judge), with feedback, warm (nbgrader forked from a zygote, the default) and cold
   (``[grading] warm = false``: a new ``python -m nbgrader`` for autograde and for feedback), warm
   without kernels started ahead (``kernels_ahead = false``: one kernel at a time), and plain
   ``nbgrader autograde --student`` (no sandbox, no feedback) for reference.
   Goal: one student in at most 1.3 x the floor.
2. **Throughput against cores.** The sample class with ``--jobs 1`` and with ``--jobs N``
   (N = cores), default isolation, feedback on, with ``kernels_ahead = "auto"`` (the default: on
   with one job, off with as many jobs as cores) and like for like with ``false``
   (``--kernels-ahead``). Goal: ``--jobs 2`` at least 1.9 x ``--jobs 1``. Also printed: the best
   N jobs could do, from ``--jobs 1``'s own time per student (the longest student, or the total
   spread evenly): a class with one slow student (the sample's endless loop) cannot do better.

Runs alternate and repeat (``--repeat``; medians) so that a burst of load elsewhere does
not fall on one side only. Prints times and ratios; asserts nothing (a timed test would be
flaky). ``benchmarks.notebooks`` measures the rendered lab against empty notebooks and
``benchmarks.large_class`` a class of hundreds of students.

    python -m benchmarks.speed [--repeat 3] [--skip-class | --skip-one] [--kernels-ahead both|auto|on|off]
                               [--cell-timeout 60]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from labgrade.cli import sigterm_as_interrupt
from labgrade.course.build import generate_release
from labgrade.course.config import default_jobs, load_settings
from labgrade.course.paths import ASSIGNMENT, course_root, tool_env
from labgrade.grading.gradebook import default_db_url, generate_assignment
from labgrade.grading.runner import course_workspace
from labgrade.pipeline import run
from labgrade.variants.sample import build_class, roster

CORRECT = "s01_correct"


def floor_once(root: Path) -> float:
    """The ten source notebooks executed once each, fresh kernel each, in grading mode, with the
    environment grading gives its kernels (``Settings.kernel_env``: one BLAS thread by default)."""
    env = {**load_settings().kernel_env(), "NBGRADER_EXECUTION": "autograde"}
    env.pop("LABGRADE_ISOLATION", None)
    before = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        t0 = time.perf_counter()
        for path in sorted((root / "source" / ASSIGNMENT).glob("[0-9][0-9]_*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                           resources={"metadata": {"path": str(path.parent)}}).execute()
        return time.perf_counter() - t0
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def grade_once(base: Path, work: Path, students: list[str], *, jobs: int, warm: bool, cell_timeout: int,
               feedback: bool = True, kernels_ahead: bool | str | None = None) -> float:
    """``labgrade grade`` of ``students`` (copied from ``base``) into a fresh folder; wall seconds.

    ``kernels_ahead``: None for course.toml's setting."""
    return grade_timed(base, work, students, jobs=jobs, warm=warm, cell_timeout=cell_timeout, feedback=feedback,
                       kernels_ahead=kernels_ahead)[0]


def grade_timed(base: Path, work: Path, students: list[str], *, jobs: int, warm: bool, cell_timeout: int,
                feedback: bool = True, kernels_ahead: bool | str | None = None) -> tuple[float, dict[str, float]]:
    """:func:`grade_once`, and each student's own seconds (staging to feedback) as the runner measured them."""
    if work.exists():
        shutil.rmtree(work)
    for s in students:
        if (base / "submitted" / s).is_dir():
            shutil.copytree(base / "submitted" / s, work / "submitted" / s)
    ws = course_workspace(work)
    settings = load_settings().with_overrides(cell_timeout=cell_timeout, warm=warm, kernels_ahead=kernels_ahead)
    t0 = time.perf_counter()
    out = run(ws, default_db_url(work), students, settings, jobs=jobs, feedback=feedback, report=False, quiet=True)
    wall = time.perf_counter() - t0
    return wall, {s: r.seconds for s, r in out["runs"].items() if r.submitted and r.seconds}


def makespan_bound(per_student: dict[str, float], jobs: int) -> float:
    """The least time ``jobs`` parallel jobs could take for students costing ``per_student`` seconds each,
    with no slow-down from sharing the machine: the longest student, or the total spread evenly."""
    times = list(per_student.values())
    return max(max(times, default=0.0), sum(times) / jobs)


def plain_once(base: Path, work: Path, root: Path, cell_timeout: int) -> float:
    """``nbgrader autograde weight_init --student s01_correct`` as is (set-up of the gradebook excluded)."""
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(base / "submitted" / CORRECT, work / "submitted" / CORRECT)
    url = default_db_url(work)
    generate_assignment(root, work, url)
    cmd = [sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, "--student", CORRECT, "--force",
           f"--CourseDirectory.root={work}", f"--CourseDirectory.source_directory={root / 'source'}",
           f"--CourseDirectory.db_url={url}", f"--Execute.timeout={cell_timeout}"]
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=root, env=tool_env(LABGRADE_ISOLATION="none"), stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t0


def _median(xs) -> float:
    return statistics.median(xs)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speed", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="rounds of the one-student runs (medians)")
    parser.add_argument("--cell-timeout", type=int, default=60, help="per-cell timeout of the grading runs")
    parser.add_argument("--skip-class", action="store_true", help="only the one-student ratios")
    parser.add_argument("--skip-one", action="store_true", help="only the class ratios")
    parser.add_argument("--kernels-ahead", choices=("both", "auto", "on", "off"), default="both",
                        help='the class runs with kernels_ahead = "auto" (the default setting: on with one job, off '
                             'with as many jobs as cores), true, false, or both "auto" and false (like for like)')
    parser.add_argument("--jobs", type=int, default=None, help=f"jobs of the parallel run (default: cores, "
                                                                f"{default_jobs()})")
    args = parser.parse_args(argv)
    sigterm_as_interrupt()
    root = course_root()
    jobs = args.jobs or default_jobs()
    tmp_ctx = tempfile.TemporaryDirectory(prefix="labgrade-speed-")
    tmp = Path(tmp_ctx.name)
    try:
        release = tmp / "release"
        generate_release(root, release)
        build_class(release, tmp / "class" / "submitted", root=root)
        base = tmp / "class"
        print(f"{default_jobs()} cores, load average {os.getloadavg()[0]:.1f} before; "
              f"{args.repeat} rounds, medians", flush=True)
        if not args.skip_one:
            floor_once(root)                         # warm-up: caches, first kernel start
            times: dict[str, list[float]] = {"floor": [], "warm": [], "one": [], "cold": [], "plain": []}
            for i in range(args.repeat):
                times["floor"].append(floor_once(root))
                times["warm"].append(grade_once(base, tmp / f"warm{i}", [CORRECT], jobs=1, warm=True,
                                                cell_timeout=args.cell_timeout))
                times["one"].append(grade_once(base, tmp / f"one{i}", [CORRECT], jobs=1, warm=True,
                                               cell_timeout=args.cell_timeout, kernels_ahead=False))
                times["cold"].append(grade_once(base, tmp / f"cold{i}", [CORRECT], jobs=1, warm=False,
                                                cell_timeout=args.cell_timeout))
                times["plain"].append(plain_once(base, tmp / f"plain{i}", root, args.cell_timeout))
                print(f"  round {i + 1}: " + ", ".join(f"{k} {v[-1]:.1f} s" for k, v in times.items()), flush=True)
            fl = _median(times["floor"])
            print("\n1. one student (s01_correct, ten notebooks), against the floor")
            print(f"  {'run':<62} {'s':>7} {'x floor':>8}")
            rows = [("floor: ten notebooks + hidden tests, fresh kernel each", "floor"),
                    ("labgrade grade --jobs 1 (judge, feedback), warm (default)", "warm"),
                    ("  the same, kernels_ahead = false (one kernel at a time)", "one"),
                    ("labgrade grade --jobs 1 (judge, feedback), cold (warm = false)", "cold"),
                    ("nbgrader autograde --student (no sandbox, no feedback)", "plain")]
            for label, key in rows:
                med = _median(times[key])
                print(f"  {label:<62} {med:7.1f} {med / fl:8.2f}")
            warm_cold = _median(times['warm']) / _median(times['cold'])
            print(f"  warm / cold {warm_cold:.2f}   (goal for warm: <= 1.3 x floor)")
        if not args.skip_class:
            students = roster()
            print(f"\n2. the sample class ({len(students)} students), judge, feedback", flush=True)
            cache: dict[tuple[int, bool], tuple[float, dict[str, float]]] = {}

            def class_run(n: int, ahead: bool):
                if (n, ahead) not in cache:     # "auto" and an explicit setting may resolve to the same run
                    cache[n, ahead] = grade_timed(base, tmp / f"class-j{n}-{ahead}", students, jobs=n, warm=True,
                                                  cell_timeout=args.cell_timeout, kernels_ahead=ahead)
                return cache[n, ahead]

            settings = load_settings()
            modes = {"both": ("auto", False), "auto": ("auto",), "on": (True,), "off": (False,)}[args.kernels_ahead]
            for mode in modes:
                s = settings.with_overrides(kernels_ahead=mode)
                a1, an = s.ahead_for(1), s.ahead_for(jobs)
                (t1, per1), (tn, pern) = class_run(1, a1), class_run(jobs, an)
                bound = makespan_bound(per1, jobs) + (t1 - sum(per1.values()))
                slow = sum(pern.values()) / sum(per1.values())
                idle = jobs * (tn - (t1 - sum(per1.values()))) - sum(pern.values())
                label = '"auto" (the default)' if mode == "auto" else str(mode).lower()
                print(f"  kernels_ahead = {label}")
                print(f"    --jobs 1      {t1:8.1f} s   (kernels ahead {'on' if a1 else 'off'})")
                print(f"    --jobs {jobs:<6} {tn:8.1f} s   (kernels ahead {'on' if an else 'off'})")
                print(f"    --jobs {jobs} speed-up over --jobs 1: {t1 / tn:.2f}   (goal: >= 1.9 with 2 jobs)")
                if a1 != an:        # the two runs differ in more than their jobs: no like-for-like split
                    print("    (kernels ahead differ between the two runs: the bound and the split are printed "
                          "for the like-for-like pair)", flush=True)
                    continue
                print(f"    the most {jobs} jobs could do with these students: {bound:.1f} s, {t1 / bound:.2f} x "
                      f"(longest student {max(per1.values()):.1f} s of {sum(per1.values()):.1f} s; "
                      f"from --jobs 1's own times per student)")
                print(f"    where --jobs {jobs} lost the rest: each student took {slow:.2f} x its --jobs 1 time "
                      f"(sharing the machine); {idle:.1f} job-seconds idle (no student left to start while the "
                      f"last ones ran; taking the run's fixed part, {t1 - sum(per1.values()):.1f} s, as equal in "
                      f"both runs: below 0 means it was not)", flush=True)
        print(f"\nload average {os.getloadavg()[1]:.1f} over the last 5 minutes (other processes skew the times)")
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        tmp_ctx.cleanup()


if __name__ == "__main__":
    raise SystemExit(main())
