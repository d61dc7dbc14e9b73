"""``labgrade release-feedback``: render the feedback again (manual grades included) and release it (docs/hub.md)."""

from pathlib import Path

from labgrade.cli import options
from labgrade.course.paths import course_root
from labgrade.hub.exchange import release_feedback

HELP = "render the feedback again (manual grades and comments included) and release it to the exchange"
DESCRIPTION = ("nbgrader generate_feedback as labgrade grade renders it (hidden tests stripped, HTML sanitized), "
               "with the gradebook as it is now, then nbgrader release_feedback. Run as the instructor.")


def configure(p) -> None:
    p.add_argument("--course-dir", type=Path, default=None, metavar="DIR",
                   help="the course directory (default: the course labgrade belongs to)")
    p.add_argument("--exchange", type=Path, default=None, metavar="DIR",
                   help="nbgrader's exchange root (default: nbgrader's configuration)")
    p.add_argument("--students", default=None, metavar="A,B", help="only these students")


def run(args) -> int:
    course = Path(args.course_dir).resolve() if args.course_dir else course_root()
    return release_feedback(course, exchange=args.exchange, students=options.split(args.students))
