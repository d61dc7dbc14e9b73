"""``labgrade release``: regenerate release/ and notebooks/ from source/ (make release, make check-release)."""

from labgrade.course.build import __doc__ as DESCRIPTION
from labgrade.course.build import add_arguments as configure
from labgrade.course.build import command as run

HELP = "regenerate release/ and notebooks/ from source/ (--check: fail if stale)"

__all__ = ["DESCRIPTION", "configure", "run"]
