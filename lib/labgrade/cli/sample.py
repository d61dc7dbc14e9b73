"""``labgrade sample``: write the sample class into a folder."""

from labgrade.variants.sample import __doc__ as DESCRIPTION
from labgrade.variants.sample import add_arguments as configure
from labgrade.variants.sample import command as run

HELP = "write the sample class (submissions with known mistakes) into a folder"

__all__ = ["DESCRIPTION", "configure", "run"]
