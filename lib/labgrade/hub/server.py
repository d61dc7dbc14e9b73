"""``labgrade hub``: set the course up on a JupyterHub on 127.0.0.1 and run it until Ctrl-C.

Run as root (it creates Unix users and the hub setuids to them). What it does, each step idempotent:

1. the users: ``<prefix>instructor`` and the students (``--students N`` or ``--roster FILE``), homes 0700,
   a generated password each (kept in ``<root>/state/accounts.json``, 0600);
2. nbgrader's exchange (``--exchange``, default /srv/nbgrader/exchange, mode 1777);
3. the students' environment from the student bundle (``make student-bundle``), the instructor's from
   the course's requirements, both with uv from the package registry;
4. the instructor's copy of the course in ``~<instructor>/course`` (0700): formgrader, the gradebook,
   ``labgrade collect`` / ``grade`` / ``release-feedback`` work there;
5. ``jupyterhub_config.py`` (PAM, LocalProcessSpawner, each role's environment), then the hub and its
   proxy (configurable-http-proxy's Python implementation, from PyPI: no Node.js).

It prints the URL and the accounts, and on Ctrl-C (or SIGTERM) stops the hub, which stops every
user's server and the proxy; processes of the course's users still alive after that are ended.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from labgrade.course.config import load_settings
from labgrade.course.paths import course_root
from labgrade.hub import DEFAULT_EXCHANGE, DEFAULT_PREFIX, DEFAULT_ROOT, accounts, config, envs

# what students must not read in the repository the hub is started from: solutions (source/, the rendered
# notebooks/, the answer catalogue) and whatever grading wrote there
PRIVATE = ["source", "notebooks", "lib/labgrade/variants", "gradebook.db", "submitted", "autograded", "feedback",
           "reports", ".grading", "student"]


def readable_by(user: str, paths: list[Path]) -> list[Path]:
    """The paths of ``paths`` that Unix user ``user`` can read (tested as that user)."""
    return [p for p in paths if p.exists() and subprocess.run(
        ["runuser", "-u", user, "--", "test", "-r", str(p), "-a", "(", "!", "-d", str(p), "-o", "-x", str(p), ")"],
        capture_output=True).returncode == 0]


def protect_repository(repo: Path, user: str, fix: bool, progress=print) -> list[Path]:
    """Warn about (``fix``: remove the others' permissions of) the repository's private paths a student can read."""
    exposed = readable_by(user, [repo / p for p in PRIVATE])
    if exposed and fix:
        for p in exposed:
            os.chmod(p, p.stat().st_mode & ~0o007)
        progress(f"removed the others' permissions of {', '.join(str(p.relative_to(repo)) for p in exposed)}")
        exposed = readable_by(user, [repo / p for p in PRIVATE])
    if exposed:
        progress(f"WARNING: students can read {', '.join(str(p) for p in exposed)}: keep the repository in a "
                 f"directory they cannot enter, or start with --protect-repository")
    return exposed


def free_port(avoid: set[int] = frozenset()) -> int:
    while True:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if port not in avoid:
            return port


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


@dataclass
class Hub:
    root: Path
    exchange: Path
    accounts: list[accounts.Account]
    course: Path                 # the instructor's copy of the course
    student_env: Path
    course_env: Path
    port: int = 0
    proc: subprocess.Popen | None = None
    log: Path | None = None
    extra: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def instructor(self) -> accounts.Account:
        return next(a for a in self.accounts if a.role == "instructor")

    @property
    def students(self) -> list[accounts.Account]:
        return [a for a in self.accounts if a.role == "student"]

    def log_tail(self, n: int = 60) -> str:
        if not self.log or not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])

    def as_instructor(self, *cmd: str, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess:
        """Run ``cmd`` as the instructor in the course copy, with the instructor's environment first on PATH."""
        env = {"PATH": f"{self.course_env}/bin:/usr/local/bin:/usr/bin:/bin", "HOME": str(self.instructor.home),
               "USER": self.instructor.name, "LANG": "C.UTF-8", "OPENBLAS_NUM_THREADS": "1",
               "OMP_NUM_THREADS": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
        res = subprocess.run(["runuser", "-u", self.instructor.name, "--", "env", "-i",
                              *[f"{k}={v}" for k, v in env.items()], *cmd],
                             cwd=self.course, capture_output=True, text=True, timeout=timeout)
        if check and res.returncode:
            raise RuntimeError(f"{' '.join(cmd)} as {self.instructor.name}: exit {res.returncode}\n"
                               f"{res.stdout[-3000:]}\n{res.stderr[-3000:]}")
        return res


def prepare(*, root: Path = DEFAULT_ROOT, exchange: Path = DEFAULT_EXCHANGE, prefix: str = DEFAULT_PREFIX,
            students: int | None = 3, roster: Path | None = None, bundle: Path | None = None,
            python: Path = Path("/usr/bin/python3"), protect: bool = False, progress=print) -> Hub:
    """Steps 1-4 of the module docstring, and the hub's configuration (step 5 without starting it)."""
    if os.geteuid() != 0:
        raise PermissionError("labgrade hub creates Unix users and runs their servers as them: run it as root")
    repo = course_root()
    root, exchange = Path(root).resolve(), Path(exchange).resolve()
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o755)
    state = root / "state"
    state.mkdir(mode=0o700, exist_ok=True)
    os.chmod(state, 0o700)

    instructor, names = accounts.roster_names(prefix, students, roster)
    accts = accounts.ensure_accounts(state, instructor, names)
    progress(f"users: {instructor} (instructor), {len(names)} students ({', '.join(names[:4])}"
             f"{' ...' if len(names) > 4 else ''}); homes 0700")
    config.ensure_exchange(exchange)
    progress(f"nbgrader exchange: {exchange} (mode 1777)")

    bundle = Path(bundle) if bundle else repo / "dist" / "student-bundle"
    if not bundle.is_dir():
        progress(f"building the student bundle ({bundle}) ...")
        subprocess.run(["make", "-C", str(repo), "student-bundle"], check=True)
    envs.check_interpreter(python)
    t0 = time.perf_counter()
    with open(root / "envs.log", "ab") as log:
        built = envs.build_student_env(root / "student-env", bundle, repo / "requirements.txt", python, log)
        home = Path(os.path.expanduser("~" + instructor))
        course = home / "course"
        built |= envs.build_course_env(root / "course-env", repo / "requirements.txt", course / "lib", python, log)
    if built:
        progress(f"environments built in {time.perf_counter() - t0:.0f} s ({root}/student-env from {bundle}, "
                 f"{root}/course-env; log {root}/envs.log)")
    cell_timeout = load_settings().cell_timeout
    config.configure_student_env(root / "student-env", exchange, cell_timeout)
    config.configure_course_env(root / "course-env", exchange, course)
    acct = next(a for a in accts if a.role == "instructor")
    config.copy_course(repo, course, acct.uid, acct.gid)
    progress(f"the instructor's copy of the course: {course} (0700)")
    if names:
        protect_repository(repo, names[0], protect, progress)
    return Hub(root=root, exchange=Path(exchange), accounts=accts, course=course,
               student_env=root / "student-env", course_env=root / "course-env")


def start(hub: Hub, port: int = 8000, timeout: float = 60.0) -> Hub:
    """Write jupyterhub_config.py and start JupyterHub; returns when its API answers."""
    if not port or not port_free(port):
        port = free_port()
    hub_port = free_port({port})
    api_port = free_port({port, hub_port})
    proxy = Path(sys.executable).parent / "configurable-http-proxy"
    settings = {"port": port, "hub_port": hub_port, "proxy_api_port": api_port, "proxy": str(proxy),
                "state": str(hub.root / "state"),
                "roles": {a.name: a.role for a in hub.accounts},
                "envs": {"student": str(hub.student_env), "instructor": str(hub.course_env)}}
    cfg = config.write_hub_config(hub.root, settings)
    hub.port = port
    hub.log = hub.root / "jupyterhub.log"
    out = open(hub.log, "w")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
    hub.proc = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(cfg)], cwd=hub.root / "state",
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                start_new_session=True)
    out.close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if hub.proc.poll() is not None:
            raise RuntimeError(f"JupyterHub exited ({hub.proc.returncode}):\n{hub.log_tail()}")
        try:
            with urllib.request.urlopen(f"{hub.url}/hub/api", timeout=2) as r:
                if r.status == 200:
                    return hub
        except OSError:
            pass
        time.sleep(0.3)
    stop(hub)
    raise RuntimeError(f"JupyterHub did not answer on {hub.url} within {timeout:.0f} s:\n{hub.log_tail()}")


def stop(hub: Hub, grace: float = 30.0) -> list[int]:
    """Stop the hub (SIGTERM: it stops the users' servers and the proxy), then end whatever of the
    course's users and of the hub's process group is left. Returns the pids that had to be ended."""
    proc = hub.proc
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    if proc is not None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)      # the hub's own session (the proxy)
        except ProcessLookupError:
            pass
        proc.wait()
    return accounts.end_processes({a.uid for a in hub.accounts})


def print_accounts(hub: Hub, out=sys.stdout) -> None:
    print(f"\nJupyterHub for {config.COURSE_ID}: {hub.url}/hub/login", file=out)
    print(f"{'user':<24} {'role':<11} password", file=out)
    for a in hub.accounts:
        print(f"{a.name:<24} {a.role:<11} {a.password}", file=out)
    print(f"(passwords kept in {hub.root}/state/accounts.json, root only)\n"
          f"instructor: Nbgrader > Formgrader (or {hub.url}/user/{hub.instructor.name}/formgrader); "
          f"students: Nbgrader > Assignment List.\nCtrl-C stops the hub and every server.", file=out, flush=True)


def build_parser(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("--students", type=int, default=3, metavar="N", help="students <prefix>s01 ... (default 3)")
    p.add_argument("--roster", type=Path, default=None, metavar="FILE",
                   help="student user names, one a line (instead of --students)")
    p.add_argument("--prefix", default=DEFAULT_PREFIX, help=f"prefix of the Unix user names (default {DEFAULT_PREFIX})")
    p.add_argument("--port", type=int, default=8000, help="the hub's port on 127.0.0.1 (default 8000, else a free one)")
    p.add_argument("--root", type=Path, default=DEFAULT_ROOT, help=f"the hub's files (default {DEFAULT_ROOT})")
    p.add_argument("--exchange", type=Path, default=DEFAULT_EXCHANGE,
                   help=f"nbgrader's exchange directory (default {DEFAULT_EXCHANGE})")
    p.add_argument("--bundle", type=Path, default=None,
                   help="the student bundle (default dist/student-bundle, built with make student-bundle)")
    p.add_argument("--protect-repository", action="store_true",
                   help="remove the others' permissions of the repository's solutions (source/, notebooks/, the "
                        "answer catalogue) and grading folders, if students could read them")
    p.add_argument("--python", type=Path, default=Path("/usr/bin/python3"),
                   help="base interpreter of the users' environments; every user must be able to run it")
    return p


def _stop_on_signals() -> None:
    """Ctrl-C (SIGINT) and a service manager's SIGTERM both stop the hub cleanly. Installed explicitly:
    Python only turns SIGINT into KeyboardInterrupt when it was not ignored at start, and a process
    started in the background of a non-interactive shell (``make hub &``, ``nohup``) inherits it ignored."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)


def run(args) -> int:
    _stop_on_signals()
    hub = prepare(root=args.root, exchange=args.exchange, prefix=args.prefix, students=args.students,
                  roster=args.roster, bundle=args.bundle, python=args.python,
                  protect=args.protect_repository)
    try:
        start(hub, args.port)
        print_accounts(hub)
        while hub.proc.poll() is None:
            time.sleep(0.5)
        print(f"JupyterHub exited ({hub.proc.returncode}); log: {hub.log}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping the hub ...", file=sys.stderr)
        return 0
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):      # a second Ctrl-C must not cut the clean-up short
            signal.signal(signum, signal.SIG_IGN)
        left = stop(hub)
        print(f"hub stopped{f'; ended {len(left)} leftover processes' if left else ''}", file=sys.stderr)


def main(argv=None) -> int:
    return run(build_parser(argparse.ArgumentParser(prog="labgrade hub", description=__doc__)).parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
