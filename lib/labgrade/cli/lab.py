"""``labgrade lab``: JupyterLab on a student copy of the release (make lab; docs/students.md)."""

from labgrade.lab.launcher import add_arguments as configure
from labgrade.lab.launcher import run

HELP = "start JupyterLab on a student copy of release/weight_init/"
DESCRIPTION = ("Copy release/weight_init/ into student/weight_init/ (never overwriting your work) and start "
               "JupyterLab there with the course kernel and nbgrader's Validate button; prints the URL.")

__all__ = ["configure", "run"]
