"""``labgrade grade``: grade every student of submitted/ (make grade)."""

from __future__ import annotations

import sys

from labgrade.cli import options
from labgrade.course.paths import ASSIGNMENT
from labgrade.grading.runner import course_workspace
from labgrade.pipeline import run as run_pipeline

HELP = "grade the submissions in submitted/<student>/weight_init/"
DESCRIPTION = ("Grade every student of submitted/ (nbgrader autograde, one subprocess per student, in parallel), "
               "then feedback/, reports/grades.csv, reports/students.csv and reports/item_analysis.html.")


def configure(p) -> None:
    options.add_common(p)


def run(args) -> int:
    ws = course_workspace(args.course_dir, options.split(args.notebooks))
    settings = options.settings(args)
    url = options.db_url(args, ws.workdir)
    roster = options.roster(ws, url, args.students)
    if not roster:
        print(f"nothing to grade: no folder in {ws.submitted}/<student>/{ASSIGNMENT}/", file=sys.stderr)
        return 1
    run_pipeline(ws, url, roster, settings, jobs=settings.job_count(), feedback=not args.no_feedback,
                 report=not args.no_report, quiet=args.quiet, scheduler=args.scheduler)
    return 0
