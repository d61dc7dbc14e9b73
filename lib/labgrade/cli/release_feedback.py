"""``labgrade release-feedback``: render the feedback again (manual grades included) and release it (docs/hub.md)."""

from labgrade.cli import options
from labgrade.hub.exchange import release_feedback

HELP = "render the feedback again (manual grades and comments included) and release it to the exchange"
DESCRIPTION = ("nbgrader generate_feedback as labgrade grade renders it (hidden tests stripped, HTML sanitized), "
               "with the gradebook as it is now, then nbgrader release_feedback. Run as the instructor.")


def configure(p) -> None:
    options.add_exchange(p)


def run(args) -> int:
    course = options.course_dir(args)
    return release_feedback(course, exchange=args.exchange, students=options.split(args.students))
