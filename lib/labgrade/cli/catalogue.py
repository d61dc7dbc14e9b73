"""``labgrade catalogue``: run the answer catalogue through the notebooks' own hidden tests (quick, no sandbox)."""

from labgrade.variants.catalogue import __doc__ as DESCRIPTION
from labgrade.variants.catalogue import add_arguments as configure
from labgrade.variants.catalogue import command as run

HELP = "run the answer catalogue through the notebooks' hidden tests"

__all__ = ["DESCRIPTION", "configure", "run"]
