"""What the hub's users' servers read: the exchange, nbgrader's and JupyterLab's settings of each
environment, the instructor's copy of the course, and ``jupyterhub_config.py``."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from labgrade.course.paths import ASSIGNMENT
from labgrade.hub import COURSE_ID
from labgrade.lab.launcher import INSTRUCTOR_PLUGINS, INSTRUCTOR_SERVER_EXTENSIONS

# JupyterLab settings of every user's server: no news prompt (it asks the internet and covers the
# notebook), every cell of a notebook in the page (the browser test finds cells by index)
LAB_OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
}
# what the instructor's copy of the course holds (the repository's files nbgrader and labgrade read)
COURSE_FILES = ["nbgrader_config.py", "course.toml", "source", "lib", "requirements.txt", "pyproject.toml"]


def ensure_exchange(root: Path) -> Path:
    """nbgrader's exchange directory: mode 1777 (everyone may create, nobody may remove another's
    entries), as nbgrader's documentation asks of ``/srv/nbgrader/exchange``; nbgrader creates the
    course's ``inbound`` (2733: students drop submissions they cannot list) and ``outbound`` when the
    instructor releases."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for parent in root.parents:
        if parent.stat().st_mode & 0o005 != 0o005 and parent != Path("/"):
            os.chmod(parent, parent.stat().st_mode | 0o005)
    os.chmod(root, 0o1777)
    return root


def copy_course(repo: Path, dest: Path, uid: int, gid: int) -> Path:
    """The instructor's copy of the course (``~/course``, mode 0700): refreshed from the repository
    (source/, lib/, configuration), leaving what the course produced (gradebook, release/, submitted/,
    autograded/, feedback/, reports/) alone."""
    dest.mkdir(mode=0o700, exist_ok=True)
    for name in COURSE_FILES:
        src, dst = repo / name, dest / name
        if src.is_dir():
            if dst.exists():
                shutil.rmtree(dst)
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints"))
        elif src.exists():
            shutil.copy2(src, dst)
    for dirpath, _dirnames, filenames in os.walk(dest):
        os.chown(dirpath, uid, gid)
        for f in filenames:
            os.lchown(os.path.join(dirpath, f), uid, gid)
    os.chmod(dest, 0o700)
    return dest


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def configure_student_env(env: Path, exchange: Path, cell_timeout: int) -> None:
    """nbgrader's student tools only, the course and its exchange, the lab settings."""
    etc = env / "etc" / "jupyter"
    _write(etc / "labconfig" / "page_config.json",
           json.dumps({"disabledExtensions": {p: True for p in INSTRUCTOR_PLUGINS}}, indent=1) + "\n")
    # jupyter_server_config.json, read after the jupyter_server_config.d/ files (nbgrader's enables them all)
    stale = etc / "jupyter_server_config.d" / "labgrade-hub.json"
    if stale.exists():
        stale.unlink()
    path = etc / "jupyter_server_config.json"
    cfg = json.loads(path.read_text()) if path.exists() else {}
    cfg.setdefault("ServerApp", {}).setdefault("jpserver_extensions", {}).update(
        {e: False for e in INSTRUCTOR_SERVER_EXTENSIONS})
    _write(path, json.dumps(cfg, indent=1) + "\n")
    _write(etc / "nbgrader_config.py",
           "# written by `labgrade hub`: the students' nbgrader (Assignment List, Validate button)\n"
           "c = get_config()  # noqa: F821\n"
           f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
           f"c.Exchange.root = {str(exchange)!r}\n"
           f"c.Execute.timeout = {int(cell_timeout)}\n")
    _write(env / "share" / "jupyter" / "lab" / "settings" / "overrides.json", json.dumps(LAB_OVERRIDES, indent=1))


def configure_course_env(env: Path, exchange: Path, course: Path) -> None:
    """The instructor's nbgrader: the course copy and the exchange (formgrader reads both)."""
    etc = env / "etc" / "jupyter"
    _write(etc / "nbgrader_config.py",
           "# written by `labgrade hub`: the instructor's nbgrader (formgrader, collect, release)\n"
           "c = get_config()  # noqa: F821\n"
           f"c.CourseDirectory.root = {str(course)!r}\n"
           f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
           f"c.Exchange.root = {str(exchange)!r}\n")
    _write(env / "share" / "jupyter" / "lab" / "settings" / "overrides.json", json.dumps(LAB_OVERRIDES, indent=1))


HUB_CONFIG = '''\
# written by `labgrade hub` (lib/labgrade/hub/config.py); settings in hub-settings.json beside it
import json
import os

S = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "hub-settings.json")))
c = get_config()  # noqa: F821

c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = S["port"]
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = S["hub_port"]
c.ConfigurableHTTPProxy.command = [S["proxy"]]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:%d" % S["proxy_api_port"]
c.ConfigurableHTTPProxy.pid_file = os.path.join(S["state"], "proxy.pid")
c.JupyterHub.db_url = "sqlite:///" + os.path.join(S["state"], "jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = os.path.join(S["state"], "cookie_secret")
c.JupyterHub.pid_file = os.path.join(S["state"], "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True       # stopping the hub stops every user's server
c.JupyterHub.cleanup_proxy = True

# PAM against the passwords `labgrade hub` set; only the course's users
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.open_sessions = False
c.Authenticator.allowed_users = set(S["roles"])
c.Authenticator.admin_users = set()       # nobody may open another user's server

# each user's server runs as that Unix user (setuid), from the environment of their role
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
# the users' servers get no variable of the process that started the hub (PYTHONPATH, VIRTUAL_ENV could
# point them at the repository): only the locale, and what pre_spawn_hook sets
c.Spawner.env_keep = ["LANG", "LC_ALL"]


def pre_spawn_hook(spawner):
    role = S["roles"][spawner.user.name]
    env = S["envs"][role]
    home = os.path.expanduser("~" + spawner.user.name)
    spawner.cmd = [os.path.join(env, "bin", "jupyterhub-singleuser")]
    spawner.notebook_dir = os.path.join(home, "course") if role == "instructor" else home
    spawner.environment.update({
        "PATH": os.path.join(env, "bin") + ":/usr/local/bin:/usr/bin:/bin",
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    })


c.Spawner.pre_spawn_hook = pre_spawn_hook
'''


def write_hub_config(root: Path, settings: dict) -> Path:
    _write(root / "hub-settings.json", json.dumps(settings, indent=1) + "\n")
    path = root / "jupyterhub_config.py"
    _write(path, HUB_CONFIG)
    return path


__all__ = ["ASSIGNMENT", "copy_course", "configure_course_env", "configure_student_env", "ensure_exchange",
           "write_hub_config"]
