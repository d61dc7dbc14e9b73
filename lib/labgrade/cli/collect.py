"""``labgrade collect``: nbgrader's collect from the exchange into submitted/, with labgrade's checks (docs/hub.md)."""

from labgrade.cli import options
from labgrade.hub.exchange import collect

HELP = "collect the submissions from nbgrader's exchange into submitted/ (then labgrade grade)"
DESCRIPTION = ("nbgrader's collect --update from the exchange: the latest submission of each student counts; "
               "submitted/<student>/weight_init/timestamp.txt is the exchange's time (the submission's ctime), not "
               "the student's; folders in another student's name and links are refused. Run as the instructor.")


def configure(p) -> None:
    options.add_exchange(p)
    p.add_argument("--before-duedate", action="store_true",
                   help="nbgrader's --before-duedate: the latest submission before the due date")
    p.add_argument("--configured-exchange", action="store_true",
                   help="use the exchange nbgrader is configured with (e.g. ngshare, docs/deploy.md) as it is, "
                        "without labgrade's checks of the file-system exchange")


def run(args) -> int:
    course = options.course_dir(args)
    rc = 0
    for student in options.split(args.students) or [None]:
        rc = rc or collect(course, exchange=args.exchange, student=student, before_duedate=args.before_duedate,
                           configured=args.configured_exchange)
    return rc
