"""``python -m labgrade``: the ``labgrade`` command."""

import sys

from labgrade.cli import main

if __name__ == "__main__":
    sys.exit(main())
