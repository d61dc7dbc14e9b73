"""``labgrade fairness``: how often labcheck's statistical checks fail a correct answer, and catch a wrong one."""

from labgrade.fairness.measure import __doc__ as DESCRIPTION
from labgrade.fairness.measure import add_arguments as configure
from labgrade.fairness.measure import command as run

HELP = "measure false-failure and catch rates of labcheck's statistical checks"

__all__ = ["DESCRIPTION", "configure", "run"]
