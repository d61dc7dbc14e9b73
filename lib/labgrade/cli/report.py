"""``labgrade report``: rewrite reports/ from the gradebook (e.g. after manual grading)."""

from __future__ import annotations

import sys

from nbgrader.api import MissingEntry

from labgrade.cli import options
from labgrade.course.config import load_settings
from labgrade.course.paths import ASSIGNMENT
from labgrade.grading.results import collect, load_runs, table, write_grades_csv, write_students_csv
from labgrade.grading.runner import course_workspace
from labgrade.pipeline import relpath
from labgrade.reports.report import write_report

HELP = "rewrite reports/ from the gradebook (e.g. after manual grading)"
DESCRIPTION = "Rewrite reports/grades.csv, reports/students.csv and reports/item_analysis.html from the gradebook."


def configure(p) -> None:
    options.add_common(p, grading=False)


def run(args) -> int:
    ws = course_workspace(args.course_dir)
    url = options.db_url(args, ws.workdir)
    runs = load_runs(ws)
    roster = sorted(set(runs) | set(options.roster(ws, url, None)))
    try:
        rows, summaries = collect(ws, url, roster, runs, cell_timeout=load_settings().cell_timeout)
    except MissingEntry:
        print(f"nothing graded yet in {relpath(ws.workdir)}: run `labgrade grade` first", file=sys.stderr)
        return 1
    write_grades_csv(rows, ws.reports / "grades.csv")
    write_students_csv(summaries, ws.reports / "students.csv")
    write_report(rows, summaries, ws.reports / "item_analysis.html", f"Lab 4.4, {ASSIGNMENT}")
    print(table(rows, summaries))
    return 0
