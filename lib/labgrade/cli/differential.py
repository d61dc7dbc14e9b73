"""``labgrade differential``: grade the answer catalogue with and without the sandbox, and compare."""

from labgrade.variants.differential import __doc__ as DESCRIPTION
from labgrade.variants.differential import add_arguments as configure
from labgrade.variants.differential import command as run

HELP = "grade the answer catalogue in both isolation modes and compare"

__all__ = ["DESCRIPTION", "configure", "run"]
