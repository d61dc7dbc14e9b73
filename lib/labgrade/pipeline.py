"""A class's grading run: gradebook set-up, every student graded, results, CSV files and the report.

The one entry point of grading, shared by ``labgrade grade`` / ``labgrade demo``, differential grading,
the benchmarks and the tests: :func:`run`.
"""

from __future__ import annotations

import os
import time
from functools import partial
from pathlib import Path

from labgrade.course.paths import ASSIGNMENT
from labgrade.grading import gradebook as gbm
from labgrade.grading.cluster import check_cluster_url, grade_on_cluster
from labgrade.grading.results import collect, save_runs, table, write_grades_csv, write_students_csv
from labgrade.grading.runner import grade_all, start_zygote, zygote_ready
from labgrade.grading.staging import display_name, student_id_problem
from labgrade.reports.report import write_report
from labgrade.sandbox.judge import SandboxError, Worker


def submitted_names(ws) -> list[str]:
    """The folder names of submitted/ that hold a submission (or are links: refused when graded).

    Listed with os.scandir, not a glob: every name is seen as it is (hidden, with wildcards, spaces,
    newlines); names that are not valid student ids are refused and reported by ``run``."""
    out = []
    try:
        entries = list(os.scandir(ws.submitted))
    except FileNotFoundError:
        return out
    for e in entries:
        if e.is_symlink() or (e.is_dir(follow_symlinks=False) and os.path.lexists(os.path.join(e.path, ASSIGNMENT))):
            out.append(e.name)
    return sorted(out)


def run(ws, url: str, roster: list[str], settings, *, jobs: int, feedback: bool = True, report: bool = True,
        quiet: bool = False, resettable=frozenset(), title: str = "", scheduler: str | None = None) -> dict:
    """Prepare the gradebook, grade ``roster``, write feedback/, reports/. Returns a summary dict."""

    t0 = time.perf_counter()
    invalid = [s for s in roster if student_id_problem(s)]
    valid = [s for s in roster if not student_id_problem(s)]
    url = gbm.normalize_db_url(url)
    notebooks = gbm.source_notebook_ids(ws.root)
    engine = None
    if scheduler:
        check_cluster_url(url)
        engine = partial(grade_on_cluster, scheduler=scheduler, check=partial(check_sandbox, settings))
    else:
        check_sandbox(settings)
    if not quiet:
        iso = "student code sandboxed (judge)" if settings.isolation == "judge" else "no isolation"
        print(f"gradebook {gbm.redact(url)}; {len(roster)} students, {len(notebooks)} notebooks, "
              f"{jobs} parallel; limits: cell {settings.cell_timeout} s, student "
              f"{settings.student_timeout} s, memory {settings.memory_mb} MiB; {iso}"
              + (f"; on the Dask cluster at {scheduler}" if scheduler else ""), flush=True)
    try:
        if invalid and not quiet:
            print(f"refused {len(invalid)} folder names that are not valid student ids (not graded, reported "
                  f"in reports/): {', '.join(display_name(s, 40) for s in invalid[:5])}"
                  + (" ..." if len(invalid) > 5 else ""), flush=True)
        # the warm nbgrader (labgrade.grading.warm) starts, 2 s of imports in a process of its own,
        # while this one sets up the gradebook; generate_assignment is its first child
        zygote = start_zygote(ws, wait=False) if settings.warm and not engine and valid else None
        try:
            gbm.prepare_rows(url, valid, settings, root=ws.root, resettable=set(resettable))
            zygote = zygote_ready(zygote)
            gbm.generate_assignment(ws.root, ws.workdir, gbm.worker_db_url(url), zygote=zygote)
            t1 = time.perf_counter()
            runs = grade_all(ws, url, roster, notebooks, settings, jobs=jobs, feedback=feedback,
                             progress=not quiet, engine=engine, zygote=zygote)
        finally:
            if zygote is not None:
                zygote.close()
        t2 = time.perf_counter()
        save_runs(ws, runs)
        rows, summaries = collect(ws, url, roster, runs, cell_timeout=settings.cell_timeout)
    finally:
        gbm.sqlite_journal_default(url)
    ws.reports.mkdir(parents=True, exist_ok=True)
    write_grades_csv(rows, ws.reports / "grades.csv")
    write_students_csv(summaries, ws.reports / "students.csv")
    if report:
        write_report(rows, summaries, ws.reports / "item_analysis.html", title or f"Lab 4.4, {ASSIGNMENT}")
    t3 = time.perf_counter()
    if not quiet:
        print(table(rows, summaries))
        print(f"\ngraded {sum(r.submitted for r in runs.values())} submissions in {t2 - t1:.1f} s "
              f"(gradebook set-up {t1 - t0:.1f} s, results {t3 - t2:.1f} s)")
        print(f"wrote {relpath(ws.reports / 'grades.csv')}, {relpath(ws.reports / 'students.csv')}"
              + (f", {relpath(ws.reports / 'item_analysis.html')}" if report else "")
              + (f", {relpath(ws.feedback)}/<student>/" if feedback else ""))
    return {"rows": rows, "summaries": summaries, "runs": runs, "seconds": t2 - t1,
            "setup_seconds": t1 - t0, "url": url}


def relpath(p: Path) -> str:
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return str(p)


class IsolationUnavailable(RuntimeError):
    """isolation = "judge" was asked for, but the sandbox cannot start on this machine."""


def check_sandbox(settings) -> None:
    """Start one worker before grading anyone: a machine without a working bubblewrap fails here,
    with what to do, instead of grading every student to 0."""
    if settings.isolation != "judge":
        return

    try:
        w = Worker(timeout=60)
        try:
            w.start()
        finally:
            w.kill()
    except (SandboxError, RuntimeError, OSError) as exc:
        raise IsolationUnavailable(
            f"isolation = \"judge\" needs a working bubblewrap sandbox, and it did not start: {exc}\n"
            f"Install it (apt-get install bubblewrap; unprivileged user namespaces must be allowed), or grade "
            f"without isolation: --isolation none (or [grading] isolation = \"none\" in course.toml).") from None
