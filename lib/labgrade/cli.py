"""labgrade: grade Lab 4.4 with nbgrader, in parallel, with limits, feedback and reports.

  labgrade demo     release the lab, build the sample class, grade it (make demo)
  labgrade grade    grade submitted/<student>/weight_init/ (make grade)
  labgrade report   rewrite grades.csv and the report from the gradebook (after manual grading)
  labgrade lab      JupyterLab on the student release

Run ``labgrade <command> --help`` for the options.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

from . import ASSIGNMENT
from .config import default_jobs, load_settings


def _common(p: argparse.ArgumentParser, grading: bool = True) -> None:
    p.add_argument("--course-dir", type=Path, default=None, metavar="DIR",
                   help="where submitted/, autograded/, feedback/, reports/ and the default gradebook are "
                        "(default: the repository root; source/ is always the repository's)")
    p.add_argument("--db-url", default=None, metavar="URL",
                   help="gradebook URL: sqlite:///path.db or postgresql://user:pw@host/db "
                        "(default: $LABGRADE_DB_URL, else sqlite:///<course-dir>/gradebook.db)")
    if not grading:
        return
    p.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                   help=f"students graded in parallel (default: course.toml, 0 there = cores: {default_jobs()})")
    p.add_argument("--students", default=None, metavar="A,B,...",
                   help="grade only these students (default: every folder of submitted/ and every "
                        "student of the gradebook)")
    p.add_argument("--cell-timeout", type=int, default=None, metavar="S",
                   help="per-cell timeout in seconds (nbgrader Execute.timeout; default: course.toml)")
    p.add_argument("--student-timeout", type=int, default=None, metavar="S",
                   help="per-student time limit in seconds (default: course.toml)")
    p.add_argument("--memory-mb", type=int, default=None, metavar="MB",
                   help="address-space limit of autograde and each kernel (default: course.toml)")
    p.add_argument("--notebooks", default=None, metavar="01,04,...",
                   help="grade only these notebooks (a quick run; the gradebook then holds only them)")
    p.add_argument("--isolation", choices=("judge", "none"), default=None,
                   help="judge: student code runs in a bubblewrap sandbox, tests in nbgrader's kernel on "
                        "plain data (docs/isolation.md); none: plain nbgrader (default: course.toml)")
    p.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help="grade on a Dask distributed cluster, one task per student (workers share the course "
                        "folder and a PostgreSQL gradebook; docs/grading.md). Default: this machine, --jobs")
    p.add_argument("--no-feedback", action="store_true", help="skip nbgrader generate_feedback")
    p.add_argument("--no-report", action="store_true", help="skip reports/item_analysis.html")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar, no table")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="labgrade", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    p = sub.add_parser("grade", help="grade the submissions in submitted/<student>/weight_init/",
                       description="Grade every student of submitted/ (nbgrader autograde, one subprocess "
                                   "per student, in parallel), then feedback/, reports/grades.csv, "
                                   "reports/students.csv and reports/item_analysis.html.")
    _common(p)
    p = sub.add_parser("demo", help="release, build the sample class, grade it",
                       description="Release the lab from source/, write the sample class into "
                                   "submitted/ (refuses if submitted/ holds other students), and grade it.")
    _common(p)
    p.add_argument("--seed", type=int, default=44, help="seed of the sample class (submission times)")
    p = sub.add_parser("report", help="rewrite reports/ from the gradebook (e.g. after manual grading)")
    _common(p, grading=False)
    _lab_parser(sub)
    return parser


def _split(text: str | None) -> list[str] | None:
    return [x.strip() for x in text.split(",") if x.strip()] if text else None


def _db_url(args, workdir: Path) -> str:
    from .gradebook import default_db_url, normalize_db_url

    return normalize_db_url(args.db_url or os.environ.get("LABGRADE_DB_URL") or default_db_url(workdir))


def _roster(ws, url: str, only: str | None) -> list[str]:
    from .gradebook import open_gradebook

    if only:
        return [s.strip() for s in only.split(",") if s.strip()]
    names = set(submitted_names(ws))
    try:
        with open_gradebook(url) as gb:
            names |= {s.id for s in gb.students}
    except Exception:
        pass
    return sorted(names)


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
    from . import gradebook as gbm
    from .report import write_report
    from .results import collect, save_runs, table, write_grades_csv, write_students_csv
    from .runner import grade_all
    from .staging import display_name, student_id_problem

    t0 = time.perf_counter()
    invalid = [s for s in roster if student_id_problem(s)]
    valid = [s for s in roster if not student_id_problem(s)]
    url = gbm.normalize_db_url(url)
    notebooks = gbm.source_notebook_ids(ws.root)
    engine = None
    if scheduler:
        from functools import partial

        from .cluster import check_cluster_url, grade_on_cluster

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
        gbm.prepare(url, ws.workdir, valid, settings, root=ws.root, resettable=set(resettable))
        t1 = time.perf_counter()
        runs = grade_all(ws, url, roster, notebooks, settings, jobs=jobs, feedback=feedback,
                         progress=not quiet, engine=engine)
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
        print(f"wrote {_rel(ws.reports / 'grades.csv')}, {_rel(ws.reports / 'students.csv')}"
              + (f", {_rel(ws.reports / 'item_analysis.html')}" if report else "")
              + (f", {_rel(ws.feedback)}/<student>/" if feedback else ""))
    return {"rows": rows, "summaries": summaries, "runs": runs, "seconds": t2 - t1,
            "setup_seconds": t1 - t0, "url": url}


def _rel(p: Path) -> str:
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return str(p)


def _settings(args):
    s = load_settings()
    return s.with_overrides(cell_timeout=args.cell_timeout, student_timeout=args.student_timeout,
                            memory_mb=args.memory_mb, jobs=args.jobs, isolation=args.isolation)


class IsolationUnavailable(RuntimeError):
    """isolation = "judge" was asked for, but the sandbox cannot start on this machine."""


def check_sandbox(settings) -> None:
    """Start one worker before grading anyone: a machine without a working bubblewrap fails here,
    with what to do, instead of grading every student to 0."""
    if settings.isolation != "judge":
        return
    from .judge import SandboxError, Worker

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


def cmd_grade(args) -> int:
    from .runner import course_workspace

    ws = course_workspace(args.course_dir, _split(args.notebooks))
    settings = _settings(args)
    url = _db_url(args, ws.workdir)
    roster = _roster(ws, url, args.students)
    if not roster:
        print(f"nothing to grade: no folder in {ws.submitted}/<student>/{ASSIGNMENT}/", file=sys.stderr)
        return 1
    run(ws, url, roster, settings, jobs=settings.job_count(), feedback=not args.no_feedback,
        report=not args.no_report, quiet=args.quiet, scheduler=args.scheduler)
    return 0


def make_sample_class(ws, seed: int) -> dict:
    """Release the lab (labgrade.build.generate_release) and write the sample class into ws.submitted."""
    from .build import generate_release
    from .sample import build_class, roster

    others = sorted(p.name for p in ws.submitted.iterdir() if p.is_dir()
                    and p.name not in roster()) if ws.submitted.is_dir() else []
    if others:
        raise SystemExit(f"{ws.submitted} holds submissions that are not the sample class "
                         f"({', '.join(others[:3])}...): run the demo elsewhere, with --course-dir DIR")
    release = ws.workdir / ".grading" / "sample-release"
    if release.exists():
        shutil.rmtree(release)
    generate_release(ws.root, release)
    return build_class(release, ws.submitted, seed=seed, root=ws.root)


def cmd_demo(args) -> int:
    from .runner import course_workspace
    from .sample import roster

    ws = course_workspace(args.course_dir, _split(args.notebooks))
    settings = _settings(args)
    url = _db_url(args, ws.workdir)
    if not args.quiet:
        print("releasing the lab and building the sample class ...", flush=True)
    manifest = make_sample_class(ws, args.seed)
    if not args.quiet:
        for line in manifest["skipped_mutations"]:
            print(f"  skipped mutation {line}")
        print(f"  {len(manifest['students'])} students in {_rel(ws.submitted)}/ "
              f"({len(manifest['notebooks'])} notebooks)")
    names = roster()
    if args.students:
        names = [s for s in names if s in set(args.students.split(","))]
    run(ws, url, names, settings, jobs=settings.job_count(), feedback=not args.no_feedback,
        report=not args.no_report, quiet=args.quiet, resettable=set(roster()),
        title=f"Lab 4.4, {ASSIGNMENT}: sample class", scheduler=args.scheduler)
    return 0


def cmd_report(args) -> int:
    from .report import write_report
    from .results import collect, load_runs, table, write_grades_csv, write_students_csv
    from .runner import course_workspace

    ws = course_workspace(args.course_dir)
    url = _db_url(args, ws.workdir)
    runs = load_runs(ws)
    roster = sorted(set(runs) | set(_roster(ws, url, None)))
    from nbgrader.api import MissingEntry

    try:
        rows, summaries = collect(ws, url, roster, runs, cell_timeout=load_settings().cell_timeout)
    except MissingEntry:
        print(f"nothing graded yet in {_rel(ws.workdir)}: run `labgrade grade` first", file=sys.stderr)
        return 1
    write_grades_csv(rows, ws.reports / "grades.csv")
    write_students_csv(summaries, ws.reports / "students.csv")
    write_report(rows, summaries, ws.reports / "item_analysis.html", f"Lab 4.4, {ASSIGNMENT}")
    print(table(rows, summaries))
    return 0


def _lab_parser(sub) -> None:
    """``labgrade lab``: options and behaviour are labgrade.lab's (docs/students.md)."""
    from .lab import build_parser as lab_options

    lab_options(sub.add_parser("lab", help="start JupyterLab on a student copy of release/weight_init/",
                               description="Copy release/weight_init/ into student/weight_init/ (never "
                                           "overwriting your work) and start JupyterLab there with the "
                                           "course kernel and nbgrader's Validate button; prints the URL."))


def cmd_lab(args) -> int:
    from .lab import run as run_lab

    return run_lab(args)


def _sigterm_as_interrupt() -> None:
    """SIGTERM (kill, a CI timeout) unwinds like Ctrl-C: the autograde subprocesses, which run
    in sessions of their own and would outlive us, are killed on the way out."""
    import signal
    import threading

    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handler)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if argv is None:        # the console script, not a call from Python (tests)
        _sigterm_as_interrupt()
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    try:
        return {"grade": cmd_grade, "demo": cmd_demo, "report": cmd_report, "lab": cmd_lab}[args.command](args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        from .cluster import ClusterError
        from .config import ConfigError
        from .gradebook import GradebookError
        from .sample import MutationError

        if isinstance(exc, (GradebookError, MutationError, IsolationUnavailable, ConfigError, ClusterError)):
            print(f"labgrade: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
