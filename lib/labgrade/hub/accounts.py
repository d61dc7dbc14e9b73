"""The hub's users: one local Unix user each, created (idempotently) by ``labgrade hub``.

The instructor and every student are separate Unix users with home directories of mode 0700:
a student's server runs with the student's uid (JupyterHub's LocalProcessSpawner setuids), so it
cannot read another student's home, the instructor's copy of the course (source/, the gradebook,
submitted/) or the hub's state. Each user gets a generated password (``chpasswd``); the hub logs
users in with PAM against those passwords (docs/hub.md says why not a shared password).
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from labgrade.grading.staging import student_id_problem


@dataclass(frozen=True)
class Account:
    name: str
    role: str           # "instructor" or "student"
    password: str

    @property
    def home(self) -> Path:
        return Path(pwd.getpwnam(self.name).pw_dir)

    @property
    def uid(self) -> int:
        return pwd.getpwnam(self.name).pw_uid

    @property
    def gid(self) -> int:
        return pwd.getpwnam(self.name).pw_gid


def roster_names(prefix: str, students: int | None = None, roster: Path | None = None) -> tuple[str, list[str]]:
    """(instructor, students): ``<prefix>instructor`` and ``<prefix>s01`` ... or the names of a roster file
    (one user name a line, ``#`` comments)."""
    if roster is not None:
        names = [ln.split("#")[0].strip() for ln in Path(roster).read_text().splitlines()]
        names = [n for n in names if n]
    else:
        names = [f"{prefix}s{i:02d}" for i in range(1, (students or 0) + 1)]
    instructor = f"{prefix}instructor"
    for n in [instructor, *names]:
        problem = student_id_problem(n)
        if problem or n != n.lower() or len(n) > 32:
            raise ValueError(f"{n!r} cannot be a hub and Unix user name: lower case, at most 32 characters; "
                             f"{problem or ''}")
    if len(set(names)) != len(names) or instructor in names:
        raise ValueError("the roster repeats a name (or names the instructor)")
    return instructor, names


def user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def ensure_user(name: str, home_base: Path = Path("/home")) -> bool:
    """Create the Unix user ``name`` (own group, home ``home_base/name``, bash) unless it exists;
    the home is made 0700 either way. True if it was created."""
    created = False
    if not user_exists(name):
        subprocess.run(["useradd", "--create-home", "--base-dir", str(home_base), "--shell", "/bin/bash",
                        "--user-group", name], check=True, capture_output=True, text=True)
        created = True
    home = Path(pwd.getpwnam(name).pw_dir)
    home.mkdir(mode=0o700, exist_ok=True)
    os.chown(home, pwd.getpwnam(name).pw_uid, pwd.getpwnam(name).pw_gid)
    os.chmod(home, 0o700)
    return created


def set_passwords(passwords: dict[str, str]) -> None:
    lines = "".join(f"{n}:{p}\n" for n, p in passwords.items())
    subprocess.run(["chpasswd"], input=lines, check=True, capture_output=True, text=True)


def ensure_accounts(state: Path, instructor: str, students: list[str], *,
                    home_base: Path = Path("/home")) -> list[Account]:
    """Create the users that are missing and (re)use their passwords from ``state/accounts.json``
    (mode 0600, root): a second start keeps the passwords of the first."""
    path = Path(state) / "accounts.json"
    known = json.loads(path.read_text()) if path.exists() else {}
    accounts = []
    for name, role in [(instructor, "instructor")] + [(s, "student") for s in students]:
        ensure_user(name, home_base)
        pw = known.get(name) or secrets.token_urlsafe(9)
        accounts.append(Account(name, role, pw))
    set_passwords({a.name: a.password for a in accounts})
    known.update({a.name: a.password for a in accounts})
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(known, fh, indent=1)
    os.chmod(path, 0o600)
    return accounts


def processes_of(uids: set[int]) -> list[int]:
    """Process ids (from /proc) whose real uid is in ``uids``."""
    out = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status") as fh:
                for line in fh:
                    if line.startswith("Uid:"):
                        if int(line.split()[1]) in uids:
                            out.append(int(entry.name))
                        break
        except OSError:
            continue
    return out


def end_processes(uids: set[int], grace: float = 5.0) -> list[int]:
    """SIGTERM, then SIGKILL, every process of the hub's users (their servers, kernels, terminals)
    still running after the hub stopped. Returns the pids that had to be ended."""
    pids = processes_of(uids)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and processes_of(uids):
        time.sleep(0.2)
    for pid in processes_of(uids):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return pids


def remove_users(names: list[str]) -> None:
    """Remove the Unix users and their homes (the test's clean-up)."""
    uids = {pwd.getpwnam(n).pw_uid for n in names if user_exists(n)}
    end_processes(uids, grace=2.0)
    for n in names:
        if user_exists(n):
            subprocess.run(["userdel", "--remove", n], capture_output=True, text=True)
