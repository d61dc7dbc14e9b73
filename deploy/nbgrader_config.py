"""nbgrader's configuration in every user pod of the Kubernetes deployment (docs/deploy.md).

Mounted at /etc/jupyter/nbgrader_config.py by the zero-to-jupyterhub chart (deploy/k8s/config.yaml,
singleuser.extraFiles). The exchange is ngshare, a JupyterHub service reached through the hub's proxy,
so it works across pods without a shared file system; the gradebook URL is in the environment of the
instructors' pods only (the hub sets it, from a Kubernetes secret).
"""

import os

from ngshare_exchange import configureExchange

c = get_config()  # noqa: F821 (provided by nbgrader)

NAMESPACE = "lab44"
COURSE_ID = "lab44-weight-init"          # the course's nbgrader_config.py

configureExchange(c, f"http://proxy-public.{NAMESPACE}.svc.cluster.local/services/ngshare")
c.CourseDirectory.course_id = COURSE_ID

# Instructors only: the gradebook on PostgreSQL (labgrade and formgrader read the same variable)
if os.environ.get("LABGRADE_DB_URL"):
    c.CourseDirectory.db_url = os.environ["LABGRADE_DB_URL"]

# The Validate button's per-cell limit: course.toml's cell_timeout
c.Execute.timeout = 120
