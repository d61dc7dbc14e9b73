"""``labgrade demo``: release the lab, build the sample class, grade it (make demo)."""

from __future__ import annotations

from labgrade.cli import options
from labgrade.course.paths import ASSIGNMENT
from labgrade.grading.runner import course_workspace
from labgrade.pipeline import relpath
from labgrade.pipeline import run as run_pipeline
from labgrade.variants.sample import make_sample_class, roster

HELP = "release, build the sample class, grade it"
DESCRIPTION = ("Release the lab from source/, write the sample class into submitted/ (refuses if submitted/ "
               "holds other students), and grade it.")


def configure(p) -> None:
    options.add_common(p)
    p.add_argument("--seed", type=int, default=44, help="seed of the sample class (submission times)")


def run(args) -> int:
    ws = course_workspace(args.course_dir, options.split(args.notebooks))
    settings = options.settings(args)
    url = options.db_url(args, ws.workdir)
    if not args.quiet:
        print("releasing the lab and building the sample class ...", flush=True)
    manifest = make_sample_class(ws, args.seed)
    if not args.quiet:
        for line in manifest["skipped_mutations"]:
            print(f"  skipped mutation {line}")
        print(f"  {len(manifest['students'])} students in {relpath(ws.submitted)}/ "
              f"({len(manifest['notebooks'])} notebooks)")
    names = roster()
    if args.students:
        names = [s for s in names if s in set(args.students.split(","))]
    run_pipeline(ws, url, names, settings, jobs=settings.job_count(), feedback=not args.no_feedback,
                 report=not args.no_report, quiet=args.quiet, resettable=set(roster()),
                 title=f"Lab 4.4, {ASSIGNMENT}: sample class", scheduler=args.scheduler)
    return 0
