"""The grading sandbox: the command line that starts a worker, and its kernel-enforced limits.

A worker (:mod:`labgrade.sandbox.worker`) runs under bubblewrap with no network, no view of the
course directory (only ``/usr``, ``/etc``, the Python installation, the venv and the
course's packages ``lib/initlab``, ``lib/labcheck``, ``lib/labgrade``, read-only), its own
PID, IPC and UTS namespaces, a private size-capped ``/tmp`` and ``--die-with-parent``.

Whoever starts grading, the student's code runs **without capabilities and as an
unprivileged user**:

* started by root, bubblewrap would leave every capability to the sandboxed process (it
  could remount the read-only binds read-write). So for root, bubblewrap sets the
  namespaces up without a user namespace and then runs ``setpriv`` inside it, which
  switches to an unprivileged uid/gid (``100000 + k``, one per worker, no groups),
  clears the capability bounding set and sets ``no_new_privs`` before Python starts;
* started by anybody else, bubblewrap (not setuid) runs the worker in a new user namespace
  as that user, with no capabilities, and further user namespaces disabled.

Limits for one worker (one student's notebook at a time), enforced by the kernel:

* **cgroups** where the grader may create them (root, or a delegated cgroup v2 subtree):
  ``memory`` (``memory.max`` in v2, ``memory.limit_in_bytes`` + ``memsw`` in v1), which
  counts the tmpfs ``/tmp`` as well as every process, and ``pids`` (``pids.max``);
* always: ``RLIMIT_AS`` (the kernel's, inherited), ``RLIMIT_CORE`` 0, ``/tmp`` capped at the
  memory limit (tmpfs ``size``); for root also ``RLIMIT_NPROC`` of the worker's own uid.

Without cgroups (a non-root grader without delegation) the memory limit is per process and
the tmpfs size, and the number of processes is bounded only by the time limits and the PID
namespace being killed at the end: :func:`limits_available` says which holds.
"""

from __future__ import annotations

import os
import re
import resource
import shlex
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

from labgrade.sandbox.limits import limited

# the worker is started by code, not `python -m`: only the cli runs modules as programs
WORKER_MAIN = "from labgrade.sandbox.worker import main; main()"
UID_BASE = 100_000          # unprivileged uids of workers started by root (no passwd entry needed)
DEFAULT_MEMORY_MB = 4096
DEFAULT_PROCESSES = 64      # processes and threads of one worker (numpy's BLAS threads included)

PASSED_ENV = ("NBGRADER_EXECUTION", "NBGRADER_VALIDATING", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
              "MKL_NUM_THREADS", "LANG", "LC_ALL", "TZ")

_counter = 0
_lock = threading.Lock()


def _next_slot() -> int:
    global _counter
    with _lock:
        _counter += 1
        return (os.getpid() * 8 + _counter) % 50_000


def memory_limit_bytes() -> int:
    """The worker's memory limit: ``LABGRADE_WORKER_MEMORY_MB`` if set, else this process's
    RLIMIT_AS (course.toml memory_mb, which labgrade sets on every kernel), else 4 GiB."""
    try:
        mb = int(os.environ.get("LABGRADE_WORKER_MEMORY_MB", "0"))
    except ValueError:
        mb = 0
    if mb > 0:
        return mb * 2**20
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    return soft if soft not in (resource.RLIM_INFINITY, -1) and soft > 0 else DEFAULT_MEMORY_MB * 2**20


def process_limit() -> int:
    try:
        return max(8, int(os.environ.get("LABGRADE_WORKER_PROCESSES", DEFAULT_PROCESSES)))
    except ValueError:
        return DEFAULT_PROCESSES


# --- cgroups ---------------------------------------------------------------------------------------------

class Cgroup:
    """A cgroup (v2, or v1 ``memory`` + ``pids``) holding one worker and everything it starts."""

    def __init__(self, dirs: list[Path], version: int):
        self.dirs, self.version = dirs, version

    @property
    def procs_files(self) -> list[str]:
        return [str(d / "cgroup.procs") for d in self.dirs]

    @classmethod
    def create(cls, name: str, memory: int, pids: int) -> Cgroup | None:
        """A new cgroup with these limits, or None where this process may not make one."""
        cls.sweep()
        return cls._v2(name, memory, pids) or cls._v1(name, memory, pids)

    @staticmethod
    def sweep() -> None:
        """Remove the empty cgroups of workers whose judge was killed (rmdir fails on a busy one)."""
        for base in (Path(os.environ.get("LABGRADE_CGROUP_V2_ROOT", "/sys/fs/cgroup")) / "labgrade",
                     Path("/sys/fs/cgroup/memory/labgrade"), Path("/sys/fs/cgroup/pids/labgrade")):
            try:
                children = [d for d in base.iterdir() if d.is_dir()]
            except OSError:
                continue
            for d in children:
                # only a cgroup whose judge (named in it: w<pid>-...) has ended: a new one is empty
                # until its worker joins it
                m = re.match(r"w(\d+)-", d.name)
                if not m or _alive(int(m.group(1))):
                    continue
                try:
                    if not (d / "cgroup.procs").read_text().strip():
                        d.rmdir()
                except OSError:
                    pass

    @classmethod
    def _v2(cls, name, memory, pids):
        root = Path(os.environ.get("LABGRADE_CGROUP_V2_ROOT", "/sys/fs/cgroup"))
        try:
            if "memory" not in (root / "cgroup.controllers").read_text().split():
                return None
            base = root / "labgrade"
            base.mkdir(exist_ok=True)
            (base / "cgroup.subtree_control").write_text("+memory +pids")
            d = base / name
            d.mkdir()
            (d / "memory.max").write_text(str(memory))
            if (d / "memory.swap.max").exists():
                (d / "memory.swap.max").write_text("0")
            (d / "pids.max").write_text(str(pids))
            return cls([d], 2)
        except OSError:
            return None

    @classmethod
    def _v1(cls, name, memory, pids):
        mem_root, pid_root = Path("/sys/fs/cgroup/memory"), Path("/sys/fs/cgroup/pids")
        made: list[Path] = []
        try:
            for r in (mem_root, pid_root):
                if not (r / "cgroup.procs").exists():
                    return None
                (r / "labgrade").mkdir(exist_ok=True)
                d = r / "labgrade" / name
                d.mkdir()
                made.append(d)
            mem, pid = made
            (mem / "memory.limit_in_bytes").write_text(str(memory))
            if (mem / "memory.memsw.limit_in_bytes").exists():
                try:
                    (mem / "memory.memsw.limit_in_bytes").write_text(str(memory))
                except OSError:
                    pass
            (pid / "pids.max").write_text(str(pids))
            return cls(made, 1)
        except OSError:
            cls(made, 1).remove()
            return None

    def peak_memory(self) -> int | None:
        for d in self.dirs:
            for f in ("memory.peak", "memory.max_usage_in_bytes"):
                try:
                    return int((d / f).read_text())
                except (OSError, ValueError):
                    continue
        return None

    def kill(self) -> None:
        """SIGKILL every process left in the cgroup (after the worker's own kill)."""

        for f in self.procs_files:
            try:
                pids = [int(x) for x in Path(f).read_text().split()]
            except OSError:
                continue
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass

    def remove(self) -> None:

        for d in self.dirs:
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    self.kill()
                    time.sleep(0.02)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def limits_available() -> dict:
    """Which kernel limits a worker started by this process gets (for docs, tests and preflight)."""
    cg = Cgroup.create(f"probe-{os.getpid()}-{_next_slot()}", memory_limit_bytes(), process_limit())
    version = cg.version if cg else 0
    if cg:
        cg.remove()
    return {"cgroup": version, "unprivileged_uid": True, "nproc_rlimit": os.geteuid() == 0}


# --- the command line ------------------------------------------------------------------------------------

def sandbox_command(python: str | None = None, *, extra_ro: list[str] = (), cgroup: Cgroup | None = None,
                    memory: int | None = None, slot: int | None = None) -> list[str]:
    """The command that starts the worker (:func:`labgrade.sandbox.worker.main`) in the sandbox (see the module doc)."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise RuntimeError("bubblewrap (bwrap) is not installed: apt-get install bubblewrap")
    python = python or sys.executable
    memory = memory or memory_limit_bytes()
    slot = _next_slot() if slot is None else slot
    root = os.geteuid() == 0
    lib = Path(__file__).resolve().parents[2]     # lib/
    ro = {"/usr", "/etc", sys.prefix, sys.base_prefix, os.path.realpath(sys.base_prefix),
          str(lib / "initlab"), str(lib / "labcheck"), str(lib / "labgrade"), *extra_ro}
    if root:
        # no user namespace: setpriv below needs real uids to switch to
        ns = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    else:
        ns = ["--unshare-all", "--unshare-user", "--disable-userns"]
    # the private /tmp first: a checkout or venv that itself lives under /tmp is bound on top of it
    cmd = [bwrap, *ns, "--die-with-parent", "--new-session",
           "--perms", "1777", "--size", str(memory), "--tmpfs", "/tmp"]
    present = sorted(p for p in ro if os.path.exists(p))
    # the folders leading to each bind, world-readable (bubblewrap would make them 0700 when run by root)
    parents = sorted({str(q) for p in present for q in Path(p).parents if str(q) != "/"} - set(present),
                     key=lambda q: (q.count("/"), q))
    for q in parents:
        if q != "/tmp":
            cmd += ["--perms", "0755", "--dir", q]
    for p in present:
        cmd += ["--ro-bind", p, p]
    for link in ("bin", "lib", "lib64", "sbin"):
        target = os.path.join("/", link)
        if os.path.islink(target):
            cmd += ["--symlink", os.readlink(target), target]
    cmd += ["--proc", "/proc", "--dev", "/dev", "--chdir", "/tmp", "--clearenv"]
    env = {"HOME": "/tmp", "PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1",
           "PYTHONPATH": str(lib), "PYTHONSAFEPATH": "1"}
    # what the student's notebook would see of the kernel's environment (NBGRADER_EXECUTION: a notebook
    # may skip its demos when graded), and nothing else of the grader's
    for k in (*PASSED_ENV, "LABGRADE_PROTECTED"):
        if k in os.environ:
            env[k] = os.environ[k]
    for k, v in env.items():
        cmd += ["--setenv", k, v]
    inner = [python, "-c", WORKER_MAIN]
    if root:
        uid = str(UID_BASE + slot)
        inner = ["/usr/bin/setpriv", "--reuid", uid, "--regid", uid, "--clear-groups", "--inh-caps=-all",
                 "--bounding-set=-all", "--no-new-privs", "--", *inner]
    cmd += ["--", *inner]
    nproc = (f"--nproc={process_limit()}",) if root else ()   # counts the worker's own uid (not enforced for root)
    cmd = limited(cmd, memory_bytes=memory, extra=nproc)
    if cgroup is not None:
        joins = "; ".join(f"echo $$ > {shlex.quote(f)} || exit 97" for f in cgroup.procs_files)
        cmd = ["/bin/sh", "-c", f'{joins}; exec "$@"', "sh", *cmd]
    return cmd
