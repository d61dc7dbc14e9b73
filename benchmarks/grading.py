"""Benchmark: grading the sample class four ways, and the time per notebook.

In one run, on a fresh copy of the sample class (``labgrade.variants.sample``):

1. ``nbgrader``: plain sequential ``nbgrader autograde weight_init`` (all students, one
   process, nbgrader's defaults, as an instructor would run it);
2. ``labgrade --jobs 1 --isolation none``: our tool, one student at a time;
3. ``labgrade --jobs N --isolation none``: N = number of cores (the default);
4. ``labgrade --jobs N`` with ``isolation = "judge"`` (the default: student code
   in a bubblewrap worker, tests in nbgrader's kernel), printed as a ratio against run 1
   (plain nbgrader) and run 3 (the same tool without isolation);

all with the same per-cell timeout (``--cell-timeout``, so the endless loop of
the sample class costs the same everywhere) and without feedback (nbgrader's plain
autograde writes none). Then the time per notebook: the autograded time of each
notebook (from the timestamped autograde logs of run 2: from "Sanitizing" to the
next notebook) against the *floor*, an empty notebook (one ``pass`` cell) graded
through the same nbgrader autograde path. Prints times and ratios; asserts nothing.

    python -m benchmarks.grading [--cell-timeout 20] [--jobs N] [--keep DIR] [--isolation-only]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbformat

from labgrade.cli import sigterm_as_interrupt
from labgrade.course.build import generate_release
from labgrade.course.config import default_jobs, load_settings
from labgrade.course.paths import ASSIGNMENT, course_root, tool_env
from labgrade.grading.gradebook import default_db_url, generate_assignment
from labgrade.grading.runner import Workspace, course_workspace
from labgrade.pipeline import run
from labgrade.variants.sample import build_class, roster

STAMP = re.compile(r"^(\d\d:\d\d:\d\d\.\d{3}) \[AutogradeApp \| INFO\] (Sanitizing .*/([^/]+)\.ipynb|"
                   r"Setting destination file permissions)", re.M)


def _t(text: str) -> float:
    d = datetime.strptime(text, "%H:%M:%S.%f")
    return d.hour * 3600 + d.minute * 60 + d.second + d.microsecond / 1e6


def notebook_times(log_text: str) -> dict[str, float]:
    """Seconds per notebook in a timestamped autograde log (Sanitizing -> next notebook / end)."""
    marks = [(_t(m.group(1)), m.group(3)) for m in STAMP.finditer(log_text)]
    out = {}
    for (t0, nb), (t1, _) in zip(marks, marks[1:], strict=False):
        if nb is not None:
            dt = t1 - t0
            out[nb] = dt + 86400 if dt < 0 else dt
    return out


def _sample(workdir: Path, root: Path) -> list[str]:
    generate_release(root, workdir / ".grading" / "sample-release")
    build_class(workdir / ".grading" / "sample-release", workdir / "submitted", root=root)
    return roster()


def run_plain(workdir: Path, root: Path, cell_timeout: int) -> float:
    """nbgrader as is: one `nbgrader autograde weight_init` for every student."""
    url = default_db_url(workdir)
    generate_assignment(root, workdir, url)
    cmd = [sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, "--force",
           f"--CourseDirectory.root={workdir}", f"--CourseDirectory.source_directory={root / 'source'}",
           f"--CourseDirectory.db_url={url}", f"--Execute.timeout={cell_timeout}"]
    t0 = time.perf_counter()
    with open(workdir / "nbgrader.log", "w") as fh:
        subprocess.run(cmd, cwd=root, env=tool_env(LABGRADE_ISOLATION="none"), stdout=fh, stderr=subprocess.STDOUT)
    return time.perf_counter() - t0


def run_ours(workdir: Path, jobs: int, cell_timeout: int, notebooks=None,
             isolation: str = "none") -> tuple[float, dict]:
    ws = course_workspace(workdir, notebooks)
    settings = load_settings().with_overrides(cell_timeout=cell_timeout, isolation=isolation)
    students = sorted(p.parent.name for p in ws.submitted.glob(f"*/{ASSIGNMENT}"))
    students = sorted(set(students) | set(roster())) if notebooks is None else students
    res = run(ws, default_db_url(workdir), students, settings, jobs=jobs, feedback=False, report=False,
              quiet=True)
    return res["seconds"], res


def floor(tmp: Path, cell_timeout: int, n: int = 3) -> float:
    """Seconds to autograde an empty notebook through the same path (median over n students)."""
    root = tmp / "empty-course"
    src = root / "source" / ASSIGNMENT
    src.mkdir(parents=True)
    (root / "nbgrader_config.py").symlink_to(course_root() / "nbgrader_config.py")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells.append(nbformat.v4.new_code_cell("pass"))
    nbformat.write(nb, src / "00_empty.ipynb")
    work = tmp / "empty-work"
    for i in range(n):
        dest = work / "submitted" / f"e{i}" / ASSIGNMENT
        dest.mkdir(parents=True)
        nbformat.write(nb, dest / "00_empty.ipynb")
    ws = Workspace(root=root, workdir=work)
    settings = load_settings().with_overrides(cell_timeout=cell_timeout, isolation="none")
    res = run(ws, default_db_url(work), [f"e{i}" for i in range(n)], settings, jobs=1, feedback=False,
              report=False, quiet=True)
    times = [notebook_times(Path(r.log).read_text()).get("00_empty") for r in res["runs"].values()]
    return statistics.median(t for t in times if t is not None)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.grading", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cell-timeout", type=int, default=20,
                        help="per-cell timeout of all the runs (the endless loop costs this much)")
    parser.add_argument("--jobs", type=int, default=None,
                        help=f"parallel run's jobs (default: cores, {default_jobs()})")
    parser.add_argument("--keep", type=Path, default=None, help="keep the runs' folders here")
    parser.add_argument("--isolation-only", action="store_true",
                        help="only runs 3 and 4: the cost of the sandbox, as a ratio to the same tool without it")
    args = parser.parse_args(argv)
    sigterm_as_interrupt()     # killed: still remove the temporary folders and the autograde processes
    root = course_root()
    jobs = args.jobs or load_settings().job_count()
    tmp_ctx = tempfile.TemporaryDirectory(prefix="labgrade-bench-")
    tmp = Path(tmp_ctx.name)
    try:
        base = tmp / "class"
        students = _sample(base, root)
        n_sub = sum(1 for s in students if (base / "submitted" / s).is_dir())
        n_nb = len(list((root / "source" / ASSIGNMENT).glob("[0-9][0-9]_*.ipynb")))
        print(f"sample class: {n_sub} submissions x {n_nb} notebooks; per-cell timeout {args.cell_timeout} s; "
              f"{default_jobs()} cores; load average {os.getloadavg()[0]:.1f} before", flush=True)

        def fresh(name: str) -> Path:
            d = tmp / name
            shutil.copytree(base / "submitted", d / "submitted", symlinks=True)
            return d

        if args.isolation_only:
            t_par, _ = run_ours(fresh(f"jobs{jobs}"), jobs, args.cell_timeout)
            print(f"  3. labgrade --jobs {jobs:<2} isolation=none  {t_par:8.1f} s", flush=True)
            t_judge, _ = run_ours(fresh(f"judge{jobs}"), jobs, args.cell_timeout, isolation="judge")
            print(f"  4. labgrade --jobs {jobs:<2} isolation=judge {t_judge:8.1f} s", flush=True)
            print(f"load average {os.getloadavg()[1]:.1f} over the last 5 minutes (other processes skew the times)")
            print(f"ratio:\n  isolation=judge / isolation=none (--jobs {jobs})   {t_judge / t_par:6.2f}")
            return 0
        t_plain = run_plain(fresh("plain"), root, args.cell_timeout)
        print(f"  1. nbgrader autograde (sequential)   {t_plain:8.1f} s", flush=True)
        t_one, res_one = run_ours(fresh("jobs1"), 1, args.cell_timeout)
        print(f"  2. labgrade --jobs 1  isolation=none  {t_one:8.1f} s", flush=True)
        t_par, _ = run_ours(fresh(f"jobs{jobs}"), jobs, args.cell_timeout)
        print(f"  3. labgrade --jobs {jobs:<2} isolation=none  {t_par:8.1f} s", flush=True)
        t_judge = None
        if shutil.which("bwrap"):
            t_judge, _ = run_ours(fresh(f"judge{jobs}"), jobs, args.cell_timeout, isolation="judge")
            print(f"  4. labgrade --jobs {jobs:<2} isolation=judge {t_judge:8.1f} s", flush=True)
        print(f"load average {os.getloadavg()[1]:.1f} over the last 5 minutes (other processes skew the times)")
        salvaged = sorted(s for s, r in res_one["runs"].items() if r.salvaged)
        if salvaged:
            print(f"note: runs 2-4 do more work than run 1: a notebook whose kernel dies or that is not JSON "
                  f"makes nbgrader drop the student's other notebooks ({', '.join(salvaged)}); labgrade "
                  f"grades them again without it (salvage), and starts one nbgrader per student")
        print("ratios:")
        print(f"  nbgrader / labgrade --jobs 1       {t_plain / t_one:6.2f}")
        print(f"  nbgrader / labgrade --jobs {jobs:<2}      {t_plain / t_par:6.2f}")
        print(f"  labgrade --jobs 1 / --jobs {jobs:<2}      {t_one / t_par:6.2f}")
        if t_judge is not None:
            print(f"  isolation=judge / nbgrader         {t_judge / t_plain:6.2f}   (cost of isolation)")
            print(f"  isolation=judge / --jobs {jobs:<2}        {t_judge / t_par:6.2f}")

        fl = floor(tmp, args.cell_timeout)
        per: dict[str, list[float]] = {}
        for r in res_one["runs"].values():
            if not r.log or r.salvaged or r.killed:
                continue
            for nb, sec in notebook_times(Path(r.log).read_text()).items():
                per.setdefault(nb, []).append(sec)
        print(f"\ntime per notebook, autograde path, --jobs 1 run (median over students); "
              f"floor = empty notebook: {fl:.2f} s")
        print(f"  {'notebook':<36} {'seconds':>8} {'x floor':>8}")
        total = 0.0
        for nb in sorted(per):
            med = statistics.median(per[nb])
            total += med
            print(f"  {nb:<36} {med:8.2f} {med / fl:8.2f}")
        if per:
            print(f"  {'all ' + str(len(per)) + ' notebooks':<36} {total:8.2f} {total / (len(per) * fl):8.2f}"
                  f"   (ratio to {len(per)} empty notebooks)")
        if args.keep:
            shutil.copytree(tmp, args.keep, symlinks=True, dirs_exist_ok=True)
    finally:
        tmp_ctx.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
