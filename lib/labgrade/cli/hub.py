"""``labgrade hub``: the course on a JupyterHub on 127.0.0.1, as root (make hub; docs/hub.md)."""

from labgrade.hub.server import build_parser as configure
from labgrade.hub.server import run

HELP = "the course on a JupyterHub on 127.0.0.1 (as root): students as Unix users, exchange, formgrader"
DESCRIPTION = ("Create the instructor and the students as Unix users, nbgrader's exchange, the students' environment "
               "from the student bundle and the instructor's on a private copy of the course, then run JupyterHub "
               "until Ctrl-C; prints the URL and the accounts (docs/hub.md).")

__all__ = ["configure", "run"]
