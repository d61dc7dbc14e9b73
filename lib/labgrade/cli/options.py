"""Options and helpers shared by the grading subcommands (grade, demo, report)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from labgrade.course.config import default_jobs, load_settings
from labgrade.course.paths import course_root
from labgrade.grading.gradebook import default_db_url, normalize_db_url, open_gradebook
from labgrade.pipeline import submitted_names


def add_common(p: argparse.ArgumentParser, grading: bool = True) -> None:
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


def add_exchange(p: argparse.ArgumentParser) -> None:
    """The options of the commands that move files through nbgrader's exchange (collect, release-feedback)."""
    p.add_argument("--course-dir", type=Path, default=None, metavar="DIR",
                   help="the course directory (default: the course labgrade belongs to)")
    p.add_argument("--exchange", type=Path, default=None, metavar="DIR",
                   help="nbgrader's exchange root (default: nbgrader's configuration)")
    p.add_argument("--students", default=None, metavar="A,B", help="only these students")


def course_dir(args) -> Path:
    """``--course-dir`` resolved, else the course labgrade belongs to."""
    return Path(args.course_dir).resolve() if args.course_dir else course_root()


def split(text: str | None) -> list[str] | None:
    return [x.strip() for x in text.split(",") if x.strip()] if text else None


def db_url(args, workdir: Path) -> str:
    return normalize_db_url(args.db_url or os.environ.get("LABGRADE_DB_URL") or default_db_url(workdir))


def roster(ws, url: str, only: str | None) -> list[str]:
    if only:
        return [s.strip() for s in only.split(",") if s.strip()]
    names = set(submitted_names(ws))
    try:
        with open_gradebook(url) as gb:
            names |= {s.id for s in gb.students}
    except Exception:
        pass
    return sorted(names)


def settings(args):
    s = load_settings()
    return s.with_overrides(cell_timeout=args.cell_timeout, student_timeout=args.student_timeout,
                            memory_mb=args.memory_mb, jobs=args.jobs, isolation=args.isolation)
