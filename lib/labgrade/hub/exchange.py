"""``labgrade collect`` and ``labgrade release-feedback``: nbgrader's exchange, with labgrade's checks.

**Collect** runs nbgrader's own ``collect --update`` (the latest submission of each student counts,
as in nbgrader; a resubmission replaces the one collected before) with :class:`CheckedCollect` as the
exchange's collect class. It differs from nbgrader's in three ways, because everything in the
exchange's ``inbound/`` was written by students (the folder is world-writable, and a submission folder
is mode 0777):

* a submission folder counts only if it is a real directory owned by the Unix user it names
  (nbgrader only warns when ``alice+weight_init+...`` belongs to bob);
* it is copied as regular files and directories only: symbolic links (to the instructor's gradebook,
  source/, another student's notebook), devices and FIFOs are left out and reported;
* ``timestamp.txt`` in ``submitted/<student>/weight_init/`` is the **exchange's** time, not the student's:
  the latest status-change time (ctime, set by the kernel, which a student cannot set back) of the
  submission folder and everything in it. nbgrader would copy the ``timestamp.txt`` that the student's
  own ``nbgrader submit`` wrote (and the folder name's time, also the student's). Lateness
  (course.toml's due date, nbgrader's LateSubmissionPlugin) is computed from it by ``labgrade grade``.

What was collected, skipped and refused is appended to ``.grading/collect.jsonl`` and printed. The
collected submissions are then staged as ``labgrade grade`` stages them (labgrade.staging: notebooks
and timestamp.txt, regular files, size caps), and what staging would refuse is reported before grading.

**Release feedback** first renders the feedback again (``labgrade grade``'s generate_feedback: hidden
tests stripped, HTML sanitized), so manual grades and comments entered in formgrader after grading are
in it, puts the submission's ``submission_secret.txt`` beside it (nbgrader names the released file by a
hash of that secret: a student finds only their own feedback), then runs nbgrader's ``release_feedback``.
"""

from __future__ import annotations

import datetime
import glob
import json
import os
import pwd
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.utils import parse_utc

from labgrade.course.config import load_settings
from labgrade.course.paths import ASSIGNMENT, tool_env
from labgrade.grading.gradebook import default_db_url, normalize_db_url, source_notebook_ids, worker_db_url
from labgrade.grading.runner import FEEDBACK_OPTIONS, FEEDBACK_PREPROCESSORS, course_workspace, nbgrader_cmd
from labgrade.grading.staging import stage_submission

SECRET = re.compile(r"[A-Za-z0-9]{1,128}")


def exchange_time(path: str) -> datetime.datetime:
    """The latest ctime of ``path`` and everything under it (not following links), in UTC."""
    latest = os.lstat(path).st_ctime
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            try:
                latest = max(latest, os.lstat(os.path.join(dirpath, name)).st_ctime)
            except OSError:
                pass
    return datetime.datetime.fromtimestamp(latest, datetime.UTC)


def nbgrader_timestamp(dt: datetime.datetime) -> str:
    return dt.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S.%f %Z")


class CheckedCollect(ExchangeCollect):
    """nbgrader's collect, with the checks of the module docstring."""

    def _journal(self, **record) -> None:
        path = Path(self.coursedir.root) / ".grading" / "collect.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a") as fh:
            fh.write(json.dumps({"assignment": self.coursedir.assignment_id, **record}) + "\n")

    def _path_to_record(self, path):
        rec = super()._path_to_record(path)
        st = os.lstat(path)
        problem = None
        if not stat.S_ISDIR(st.st_mode):
            problem = "not a directory"
        else:
            try:
                owner = pwd.getpwuid(st.st_uid).pw_name
            except KeyError:
                owner = str(st.st_uid)
            if owner != rec["username"]:
                problem = f"names {rec['username']} but belongs to {owner}"
        rec["problem"] = problem
        return rec

    def init_src(self):
        super().init_src()
        # super() picked the latest record per student among all, the refused included: pick again
        # among the acceptable ones
        pattern = os.path.join(self.inbound_path, f"*+{self.coursedir.assignment_id}+*")
        records = [self._path_to_record(f) for f in glob.glob(pattern)]
        if self.coursedir.student_id not in ("", "*"):
            records = [r for r in records if r["username"] == self.coursedir.student_id]
        for r in records:
            if r["problem"]:
                self.log.warning("refused %s: %s", r["filename"], r["problem"])
                self._journal(event="refused", folder=r["filename"], why=r["problem"])
        best = {}
        for r in records:
            if r["problem"]:
                continue
            if self.before_duedate and self.duedate is not None and r["timestamp"] > self.duedate:
                continue
            if r["username"] not in best or r["timestamp"] > best[r["username"]]["timestamp"]:
                best[r["username"]] = r
        if self.before_duedate and self.duedate is not None:   # nbgrader: the latest if none is on time
            for r in records:
                if not r["problem"] and r["username"] not in best:
                    late = [x for x in records if x["username"] == r["username"] and not x["problem"]]
                    best[r["username"]] = max(late, key=lambda x: x["timestamp"])
        self.src_records = sorted(best.values(), key=lambda r: r["username"])
        # nbgrader's --update compares the folder name's time with submitted/'s timestamp.txt, which is
        # the exchange's time here: decide by the folder instead (another folder than the one collected
        # last time is a resubmission, and replaces it)
        last = self._last_collected()
        for r in self.src_records:
            dest = self.coursedir.format_path(self.coursedir.submitted_directory, r["username"],
                                              self.coursedir.assignment_id)
            if os.path.isdir(dest) and last.get(r["username"]) != r["filename"]:
                shutil.rmtree(dest)

    def _last_collected(self) -> dict[str, str]:
        path = Path(self.coursedir.root) / ".grading" / "collect.jsonl"
        last = {}
        if path.exists():
            for line in path.read_text().splitlines():
                r = json.loads(line)
                if r.get("event") == "collected" and r.get("assignment") == self.coursedir.assignment_id:
                    last[r["student"]] = r["folder"]
        return last

    def do_copy(self, src, dest):
        skipped = []
        os.makedirs(dest)
        for dirpath, dirnames, filenames in os.walk(src):
            rel = os.path.relpath(dirpath, src)
            keep = []
            for d in dirnames:
                if stat.S_ISDIR(os.lstat(os.path.join(dirpath, d)).st_mode) and d not in (".ipynb_checkpoints",):
                    keep.append(d)
                    os.makedirs(os.path.join(dest, rel, d), exist_ok=True)
                elif d != ".ipynb_checkpoints":
                    skipped.append(os.path.join(rel, d))
            dirnames[:] = keep
            for f in filenames:
                p = os.path.join(dirpath, f)
                if f == "timestamp.txt" and rel == ".":
                    continue
                st = os.lstat(p)
                if not stat.S_ISREG(st.st_mode):
                    skipped.append(os.path.join(rel, f))
                    continue
                fd = os.open(p, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
                with os.fdopen(fd, "rb") as fin, open(os.path.join(dest, rel, f), "wb") as fout:
                    shutil.copyfileobj(fin, fout)
        when = exchange_time(src)
        claimed = None
        try:
            with open(os.path.join(src, "timestamp.txt"), "rb") as fh:
                claimed = fh.read(64).decode("utf-8", "replace").strip()
        except OSError:
            pass
        with open(os.path.join(dest, "timestamp.txt"), "w") as fh:
            fh.write(nbgrader_timestamp(when))
        student = os.path.basename(os.path.dirname(dest))
        if skipped:
            self.log.warning("%s: left out (not regular files): %s", student, ", ".join(skipped[:10]))
        self._journal(event="collected", student=student, folder=os.path.basename(src),
                      exchange_time=nbgrader_timestamp(when), student_timestamp=claimed, skipped=skipped)


def run_collect(course: Path, *, exchange: Path | None = None, student: str | None = None,
                before_duedate: bool = False, configured: bool = False) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "nbgrader", "collect", ASSIGNMENT, "--update"]
    if not configured:      # nbgrader's file-system exchange, with labgrade's checks
        cmd.append("--ExchangeFactory.collect=labgrade.hub.exchange.CheckedCollect")
    if exchange:
        cmd.append(f"--Exchange.root={exchange}")
    if student:
        cmd.append(f"--student={student}")
    if before_duedate:
        cmd.append("--before-duedate")
    # nbgrader imports the collect class: the same labgrade as this process's, first on its path
    here = str(Path(__file__).resolve().parents[2])
    env = tool_env()
    env["PYTHONPATH"] = os.pathsep.join([here, *filter(None, [env.get("PYTHONPATH")])])
    return subprocess.run(cmd, cwd=course, env=env, capture_output=True, text=True)


def staging_report(course: Path, max_bytes: int) -> dict[str, list[str]]:
    """What ``labgrade grade``'s staging would refuse in each collected submission."""

    notebooks = source_notebook_ids(course)
    out = {}
    submitted = course / "submitted"
    with tempfile.TemporaryDirectory() as tmp:
        for entry in sorted(os.scandir(submitted), key=lambda e: e.name) if submitted.is_dir() else []:
            staged = stage_submission(submitted, entry.name, notebooks, Path(tmp), max_bytes=max_bytes)
            problems = ([staged.problem] if staged.problem else []) + \
                [f"{k}: {v}" for k, v in {**staged.refused, **staged.refused_notebooks}.items()]
            out[entry.name] = problems
    return out


def collect(course: Path, *, exchange: Path | None = None, student: str | None = None,
            before_duedate: bool = False, configured: bool = False, out=None) -> int:

    out = out or sys.stdout
    journal = course / ".grading" / "collect.jsonl"
    start = journal.stat().st_size if journal.exists() else 0
    res = run_collect(course, exchange=exchange, student=student, before_duedate=before_duedate,
                      configured=configured)
    if res.returncode:
        print(f"nbgrader collect failed ({res.returncode}):\n{res.stdout}{res.stderr}", file=sys.stderr)
        return res.returncode
    for line in (res.stdout + res.stderr).splitlines():
        if "[CollectApp | INFO]" in line:
            print("  " + line.split("] ", 1)[-1], file=out)
    if journal.exists():
        with open(journal) as fh:
            fh.seek(start)
            for line in fh:
                r = json.loads(line)
                if r["event"] == "collected":
                    print(f"  {r['student']}: exchange time {r['exchange_time']} (the student's timestamp.txt "
                          f"said {r['student_timestamp']!r})" + (f"; left out {r['skipped']}" if r["skipped"] else ""),
                          file=out)
                else:
                    print(f"  refused {r['folder']}: {r['why']}", file=out)
    max_bytes = int(load_settings().max_notebook_mb * 1024 * 1024)
    for name, problems in staging_report(course, max_bytes).items():
        for p in problems:
            print(f"  {name}: staging will refuse {p}", file=out)
    print(f"collected into {course / 'submitted'}/<student>/{ASSIGNMENT}/; next: labgrade grade", file=out)
    return 0


def release_feedback(course: Path, *, exchange: Path | None = None, students: list[str] | None = None,
                     out=None) -> int:

    out = out or sys.stdout
    ws = course_workspace(course)
    url = normalize_db_url(os.environ.get("LABGRADE_DB_URL") or default_db_url(ws.workdir))
    autograded = course / "autograded"
    if students:
        names = list(students)
    else:
        names = sorted(e.name for e in os.scandir(autograded) if e.is_dir()) if autograded.is_dir() else []
    names = [s for s in names if (autograded / s / ASSIGNMENT).is_dir()]
    if not names:
        print("no feedback to release (run labgrade collect and labgrade grade first)", file=sys.stderr)
        return 1
    # the feedback of labgrade grade (hidden tests stripped, HTML sanitized), rendered again with the
    # gradebook as it is now; one nbgrader process for the class
    cmd = nbgrader_cmd(ws, worker_db_url(url), "generate_feedback", ASSIGNMENT, "--force", "--log-level=WARN",
                       f"--GenerateFeedback.preprocessors={FEEDBACK_PREPROCESSORS!r}", *FEEDBACK_OPTIONS)
    if students:
        cmd.append(f"--CourseDirectory.student_id={names[0]}" if len(names) == 1 else
                   f"--CourseDirectory.student_id_exclude={','.join(sorted(set(os.listdir(autograded)) - set(names)))}")
    res = subprocess.run(cmd, cwd=ws.root, env=tool_env(), capture_output=True, text=True)
    if res.returncode:
        print(f"nbgrader generate_feedback failed ({res.returncode}):\n{res.stdout}{res.stderr}", file=sys.stderr)
        return res.returncode
    released = []
    for s in names:
        secret_src = course / "submitted" / s / ASSIGNMENT / "submission_secret.txt"
        fb = ws.feedback / s / ASSIGNMENT
        try:
            st = os.lstat(secret_src)
            secret = secret_src.read_text()[:256].strip() if stat.S_ISREG(st.st_mode) and st.st_size < 256 else ""
        except OSError:
            secret = ""
        if not SECRET.fullmatch(secret) or not fb.is_dir():
            print(f"  {s}: no feedback or no valid submission_secret.txt in the submission: not released", file=out)
            continue
        (fb / "submission_secret.txt").write_text(secret)
        released.append(s)
    if not released:
        print("no feedback to release", file=sys.stderr)
        return 1
    cmd = [sys.executable, "-m", "nbgrader", "release_feedback", ASSIGNMENT]
    if exchange:
        cmd.append(f"--Exchange.root={exchange}")
    skip = sorted(set(os.listdir(ws.feedback)) - set(released)) if ws.feedback.is_dir() else []
    if skip:
        cmd.append(f"--CourseDirectory.student_id_exclude={','.join(skip)}")
    res = subprocess.run(cmd, cwd=course, env=tool_env(), capture_output=True, text=True)
    if res.returncode:
        print(f"nbgrader release_feedback failed ({res.returncode}):\n{res.stdout}{res.stderr}", file=sys.stderr)
        return res.returncode
    print(f"released feedback of {len(released)} students: {', '.join(released)}", file=out)
    return 0


__all__ = ["CheckedCollect", "collect", "exchange_time", "parse_utc", "release_feedback"]
