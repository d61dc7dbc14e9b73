"""``labgrade lab``: JupyterLab on the student release, as a student sees it.

``make lab`` (``labgrade lab``; docs/students.md) copies the
notebooks of ``release/weight_init/`` into a student working folder,
``student/weight_init/`` at the course root, and starts
JupyterLab there with the course environment's kernel and nbgrader's student tools
(the **Validate** button in the notebook toolbar, the Assignment List), then prints the
URL. The committed release is never written to.

The working folder is the student's: a notebook already there is never overwritten. A
notebook new in the release (a part that landed since the last run) is copied in; one
that changed in the release replaces the student's copy only while the student has not
edited it (``student/.labgrade/copied.json`` records what was copied), otherwise the run
says so and ``--reset NAME`` takes the fresh copy (the old one is kept under
``student/.labgrade/backup/``). ``student/`` holds a ``.gitignore`` of ``*``, so git
never sees it.

The server is started the way ``tests/browser/`` starts it (:func:`lab_command`,
:func:`lab_env`): bound to 127.0.0.1, the course's ``python3``
kernel first on the kernel search path, nbgrader's instructor tools (formgrader,
course list, create assignment) switched off for this server only, the Validate
button running nbgrader's validator with the course's per-cell timeout, and a local
nbgrader exchange holding the release for the Assignment List. Jupyter Server does the
rest with its own settings: the next free port (``port_retries``), the access token, the
browser (``open_browser``); the printed URL comes from the server's runtime file, what
``jupyter server list --json`` reads.
"""

from __future__ import annotations

import argparse
import ctypes
import datetime as _dt
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_core.paths import jupyter_runtime_dir

from labgrade.course.config import ConfigError, Settings, load_settings
from labgrade.course.paths import ASSIGNMENT, course_root, tool_env

STATE = ".labgrade"              # inside the working folder: lab config, logs, backups
DEFAULT_PORT = 8888
PORT_RETRIES = 50                # Jupyter Server tries this many other ports when one is taken
COURSE_ID = "lab44-weight-init"  # nbgrader_config.py's CourseDirectory.course_id

# nbgrader's instructor tools, off in the student's lab (nbgrader's installation guide
# names these plugin and server extension ids for exactly this).
INSTRUCTOR_PLUGINS = (
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:course-list",
)
INSTRUCTOR_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.course_list",
)
# What the student's lab needs: checked by ``--check`` and by the browser test.
STUDENT_PLUGINS = ("@jupyter/nbgrader:validate-assignment", "@jupyter/nbgrader:assignment-list")
STUDENT_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.validate_assignment",
    "nbgrader.server_extensions.assignment_list",
)


# ------------------------------------------------------------------ the working folder

def release_notebooks(release_dir: Path) -> list[Path]:
    return sorted(release_dir.glob("[0-9][0-9]_*.ipynb"))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class SyncReport:
    new: list[str] = field(default_factory=list)        # copied, not there before
    updated: list[str] = field(default_factory=list)    # release changed, student had not edited
    reset: list[str] = field(default_factory=list)      # replaced on request (--reset)
    outdated: list[str] = field(default_factory=list)   # release changed, student's edits kept
    kept: list[str] = field(default_factory=list)       # the student's copy, release unchanged

    def lines(self, assignment_dir: Path) -> list[str]:
        out = []
        if self.new:
            out.append(f"copied into {assignment_dir}: {', '.join(self.new)}")
        if self.updated:
            out.append(f"updated from the release (you had not edited them): {', '.join(self.updated)}")
        if self.reset:
            out.append(f"reset to the release (your old copy is in {assignment_dir.parent / STATE}"
                       f"/backup/): {', '.join(self.reset)}")
        for name in self.outdated:
            out.append(f"note: the release of {name} changed since you copied it; your copy is kept "
                       f"(`.venv/bin/labgrade lab --reset {name[:2]}` takes the new one and keeps yours "
                       f"as a backup)")
        return out


def sync_release(release_dir: Path, workdir: Path, reset: tuple[str, ...] = ()) -> SyncReport:
    """Copy the release notebooks into ``workdir/weight_init`` without losing a student's work.

    ``reset`` names notebooks (a file name, a stem or its two-digit number) to replace
    by a fresh copy; the replaced one goes to ``workdir/.labgrade/backup/<time>/``.
    """
    notebooks = release_notebooks(release_dir)
    if not notebooks:
        raise SystemExit(f"no release notebooks in {release_dir}: run `make release` first")
    assignment_dir = workdir / ASSIGNMENT
    state = workdir / STATE
    assignment_dir.mkdir(parents=True, exist_ok=True)
    state.mkdir(parents=True, exist_ok=True)
    ignore = workdir / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# the student's working folder of `make lab`: never committed\n*\n")
    record_path = state / "copied.json"
    record = json.loads(record_path.read_text()) if record_path.exists() else {}

    wanted = set()
    for key in reset:
        match = [p.name for p in notebooks if key in (p.name, p.stem, p.name[:2])]
        if not match:
            raise SystemExit(f"--reset {key}: no such release notebook "
                             f"({', '.join(p.name[:2] for p in notebooks)})")
        wanted.update(match)

    report = SyncReport()
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    for src in notebooks:
        dst = assignment_dir / src.name
        release_hash = _digest(src)
        if not dst.exists():
            shutil.copy2(src, dst)
            report.new.append(src.name)
        elif src.name in wanted:
            backup = state / "backup" / stamp
            backup.mkdir(parents=True, exist_ok=True)
            shutil.move(dst, backup / src.name)
            shutil.copy2(src, dst)
            report.reset.append(src.name)
        elif _digest(dst) == release_hash:
            report.kept.append(src.name)
        elif record.get(src.name) == _digest(dst):   # an untouched copy of an older release
            shutil.copy2(src, dst)
            report.updated.append(src.name)
        else:
            if record.get(src.name) != release_hash:
                report.outdated.append(src.name)
            else:
                report.kept.append(src.name)
            continue
        record[src.name] = release_hash
    record_path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    return report


# ------------------------------------------------------------------ the server

def cell_timeout(root: Path) -> int:
    """Validate's per-cell timeout: course.toml's ``[limits] cell_timeout`` (the grading one), else 120 s."""
    try:
        return load_settings(root / "course.toml").cell_timeout    # no course.toml: the defaults
    except ConfigError as exc:      # the lab still starts; the course's maintainer learns what is wrong
        print(f"labgrade lab: {exc}; Validate uses a cell timeout of {Settings.cell_timeout} s", file=sys.stderr)
        return Settings.cell_timeout


def publish_exchange(release_dir: Path, workdir: Path) -> Path:
    """A local nbgrader exchange in ``workdir/.labgrade/exchange`` that holds the release, so
    that nbgrader's Assignment List lists ``weight_init`` (already "downloaded": it is
    ``workdir/weight_init``) with a Validate button per notebook. Its Submit only keeps a
    timestamped copy in that exchange: it is not how work is handed in."""
    exchange = workdir / STATE / "exchange"
    outbound = exchange / COURSE_ID / "outbound" / ASSIGNMENT
    if outbound.exists():
        shutil.rmtree(outbound)
    outbound.mkdir(parents=True)
    for nb in release_notebooks(release_dir):
        shutil.copy2(nb, outbound / nb.name)
    (exchange / COURSE_ID / "inbound").mkdir(parents=True, exist_ok=True)
    return exchange


def write_lab_config(workdir: Path, *, timeout: int, release_dir: Path) -> Path:
    """The config folder of the student's lab (put first on JUPYTER_CONFIG_PATH).

    * ``labconfig/page_config.json``: nbgrader's instructor plugins disabled;
    * ``jupyter_server_config.json``: nbgrader's instructor server extensions disabled;
    * ``nbgrader_config.py``: what the Validate button and the Assignment List read
      (nbgrader loads ``nbgrader_config.py`` from the Jupyter config path): the course's
      cell timeout, the course id and the local exchange (:func:`publish_exchange`).
    """
    exchange = publish_exchange(release_dir, workdir)
    conf = workdir / STATE / "config"
    (conf / "labconfig").mkdir(parents=True, exist_ok=True)
    (conf / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {p: True for p in INSTRUCTOR_PLUGINS}}, indent=1) + "\n")
    (conf / "jupyter_server_config.json").write_text(json.dumps(
        {"ServerApp": {"jpserver_extensions": {e: False for e in INSTRUCTOR_SERVER_EXTENSIONS}}},
        indent=1) + "\n")
    (conf / "nbgrader_config.py").write_text(
        "# written by `labgrade lab`: nbgrader's settings for the student's Validate button\n"
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
        f"c.Exchange.cache = {str(workdir / STATE / 'exchange-cache')!r}\n"
        f"c.Execute.timeout = {int(timeout)}\n"
        "c.Execute.interrupt_on_timeout = True\n")
    return conf


def lab_env(config_dir: Path, base: dict | None = None, **extra) -> dict:
    """The server's environment: the lab config first on the config path, the course
    environment's kernels first on the data path (a user-level ``python3`` kernelspec
    cannot shadow the course's), the course environment's bin/ first on PATH."""
    env = tool_env() if base is None else dict(base)
    if base is not None:
        bindir = str(Path(sys.executable).parent)
        env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
        p for p in (str(config_dir), env.get("JUPYTER_CONFIG_PATH", "")) if p)
    env["JUPYTER_PATH"] = os.pathsep.join(
        p for p in (str(Path(sys.prefix) / "share" / "jupyter"), env.get("JUPYTER_PATH", "")) if p)
    env["JUPYTER_PREFER_ENV_PATH"] = "1"
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    env.update(extra)
    return env


def lab_command(workdir: Path, *, port: int = DEFAULT_PORT, ip: str = "127.0.0.1",
                open_browser: bool = False, extra: tuple[str, ...] = ()) -> list[str]:
    """The ``jupyter lab`` command line. Jupyter Server does the rest: it takes the next
    free port when ``port`` is taken (``port_retries``; 0: any free port), makes the
    access token and opens the browser on ``weight_init/`` (its redirect file logs in)."""
    return [
        sys.executable, "-m", "jupyterlab",
        f"--ServerApp.root_dir={workdir}",
        f"--ServerApp.ip={ip}",
        f"--ServerApp.port={port}",
        f"--ServerApp.port_retries={PORT_RETRIES}",
        f"--ServerApp.open_browser={open_browser}",
        f"--LabApp.default_url=/lab/tree/{ASSIGNMENT}",
        *(["--ServerApp.allow_root=True"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        *extra,
    ]


def start_server(cmd: list[str], *, cwd: Path, env: dict, log) -> subprocess.Popen:
    """Start the server in its own session (Ctrl-C reaches ``labgrade lab``, which stops
    the server, and Jupyter its kernels), tied to this process's life on Linux."""
    return subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True,
                            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)


def _die_with_parent() -> None:  # pragma: no cover (runs in the child, before exec)
    """Linux: the server gets SIGTERM when ``labgrade lab`` dies, even by SIGKILL."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except Exception:
        pass


def wait_for_server(proc: subprocess.Popen, env: dict, timeout: float = 90.0) -> dict:
    """The server's info (``url``, ``port``, ``token``, ...), as ``jupyter server list --json``
    shows it: Jupyter Server writes it to ``jpserver-<pid>.json`` in its runtime folder once it
    listens. RuntimeError if the server exits or does not get there within ``timeout``."""
    info_file = Path(env.get("JUPYTER_RUNTIME_DIR") or jupyter_runtime_dir()) / f"jpserver-{proc.pid}.json"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with code {proc.returncode} before it came up")
        try:
            return json.loads(info_file.read_text())
        except (OSError, ValueError):   # not written yet, or being written
            time.sleep(0.25)
    raise RuntimeError(f"JupyterLab did not start within {timeout:.0f} s (no {info_file})")


def stop(proc: subprocess.Popen, grace: float = 15.0) -> None:
    """Stop the server (SIGTERM: Jupyter shuts its kernels down; SIGKILL after ``grace``)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _get(url: str, token: str) -> str:
    req = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 (loopback only)
        return resp.read().decode()


def check_extensions(base: str, token: str) -> list[str]:
    """Problems with nbgrader's student tools on a running server (empty: all is well)."""
    problems = []
    try:
        from nbgrader import __version__ as nbgrader_version  # nbgrader loads ~1300 modules

        v = json.loads(_get(f"{base}/nbgrader_version?version={nbgrader_version}", token))
        if not v.get("success"):
            problems.append(f"nbgrader's validate server extension: {v.get('message')}")
    except urllib.error.HTTPError as exc:
        problems.append(f"nbgrader's validate server extension is not loaded (/nbgrader_version: {exc})")
    try:
        page = _get(f"{base}/lab", token)
    except urllib.error.URLError as exc:
        return problems + [f"/lab did not load: {exc}"]
    start = page.find('id="jupyter-config-data"')
    if start < 0:
        return problems + ["/lab has no page config"]
    config = json.loads(page[page.index(">", start) + 1: page.index("</script>", start)])
    if "@jupyter/nbgrader" not in {e["name"] for e in config.get("federated_extensions", [])}:
        problems.append("JupyterLab does not load the @jupyter/nbgrader labextension")
    disabled = config.get("disabledExtensions", {})
    disabled = disabled if isinstance(disabled, dict) else {d: True for d in disabled}
    problems += [f"{plugin} is disabled" for plugin in STUDENT_PLUGINS if disabled.get(plugin)]
    return problems


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def _has_display() -> bool:
    return sys.platform in ("darwin", "win32") or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


# ------------------------------------------------------------------ command line

def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--dir", type=Path, default=None,
                        help="the student working folder (default: student/ at the course root); "
                             "the notebooks go to DIR/weight_init/")
    parser.add_argument("--release", type=Path, default=None,
                        help="the release folder to copy from (default: release/weight_init/)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"first port to try (default {DEFAULT_PORT}; Jupyter Server tries up to "
                             f"{PORT_RETRIES} others when it is taken; 0: any free port)")
    parser.add_argument("--ip", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--reset", action="append", default=[], metavar="NOTEBOOK",
                        help="replace your copy of NOTEBOOK (name, stem or number, e.g. 02) by a fresh "
                             "copy of the release; yours goes to DIR/.labgrade/backup/ (repeatable)")
    parser.add_argument("--browser", dest="browser", action="store_true", default=None,
                        help="open a web browser (default: when a display is available)")
    parser.add_argument("--no-browser", dest="browser", action="store_false", help="do not open a browser")
    parser.add_argument("--sync-only", action="store_true",
                        help="only copy the release into the working folder, do not start JupyterLab")
    return parser


def run(args: argparse.Namespace) -> int:
    root = course_root()
    release_dir = (args.release or root / "release" / ASSIGNMENT).resolve()
    workdir = (args.dir or root / "student").resolve()
    report = sync_release(release_dir, workdir, tuple(args.reset))
    for line in report.lines(workdir / ASSIGNMENT):
        print(line)
    if args.sync_only:
        return 0

    config_dir = write_lab_config(workdir, timeout=cell_timeout(root), release_dir=release_dir)
    browser = args.browser if args.browser is not None else _has_display()
    cmd = lab_command(workdir, port=args.port, ip=args.ip, open_browser=browser)
    env = lab_env(config_dir)
    log_path = workdir / STATE / "jupyterlab.log"
    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):   # terminal closed, kill: stop too
        if sig is not None:
            signal.signal(sig, _raise_interrupt)
    with open(log_path, "w") as log:
        proc = start_server(cmd, cwd=workdir, env=env, log=log)
    try:
        try:
            info = wait_for_server(proc, env)
        except RuntimeError as exc:
            tail = log_path.read_text().splitlines()[-30:]
            print(f"error: {exc}\n--- last lines of {log_path}:", *tail, sep="\n", file=sys.stderr)
            return 1
        base, token = info["url"].rstrip("/"), info["token"]
        for p in check_extensions(base, token):
            print(f"warning: {p}", file=sys.stderr)
        print()
        print("JupyterLab is running on the student release (Ctrl-C stops it):")
        print(f"    {base}/lab/tree/{ASSIGNMENT}" + (f"?token={token}" if token else ""))
        print(f"  notebooks: {workdir / ASSIGNMENT}")
        print(f"  server log: {log_path}")
        print("  check a notebook with the Validate button in its toolbar (see docs/students.md)")
        sys.stdout.flush()
        return proc.wait() or 0
    except KeyboardInterrupt:
        print("\nstopping JupyterLab ...")
        return 0
    finally:
        stop(proc)
