"""The course on a JupyterHub on this machine (``labgrade hub``, ``make hub``), and nbgrader's exchange.

* :mod:`.accounts`: one local Unix user per hub user (an instructor and the students), homes 0700,
  a generated password each (the hub authenticates with PAM);
* :mod:`.envs`: the two Python environments the users' servers run in: the students' (built from the
  student bundle, plus JupyterLab and nbgrader's student tools) and the instructor's (the course's
  requirements, on the instructor's private copy of the course);
* :mod:`.config`: the exchange directory, nbgrader's and JupyterLab's settings of each environment,
  and ``jupyterhub_config.py``;
* :mod:`.server`: start the hub, print the URL and the accounts, stop it (Ctrl-C) with every server;
* :mod:`.exchange`: ``labgrade collect`` (nbgrader's collect with labgrade's checks) and
  ``labgrade release-feedback``.

docs/hub.md says what a student and an instructor do on it.
"""

from __future__ import annotations

from pathlib import Path

COURSE_ID = "lab44-weight-init"          # nbgrader_config.py's CourseDirectory.course_id
DEFAULT_ROOT = Path("/srv/lab44-hub")    # the hub's own files (config, state, environments)
DEFAULT_EXCHANGE = Path("/srv/nbgrader/exchange")
DEFAULT_PREFIX = "lab44-"               # Unix user names: lab44-instructor, lab44-s01, ...
JUPYTERHUB_VERSION = "6.1.1"            # the same jupyterhub in the hub and in every user's environment
