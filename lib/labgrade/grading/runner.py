"""Grade a class in parallel with nbgrader's own ``autograde`` and ``generate_feedback``.

nbgrader grades one student after another in one process (no parallel
autograde, nbgrader issue #174), and one broken submission can stop the run
(issue #1083). Here each student is one ``nbgrader autograde weight_init
--student <id>`` subprocess, run by a pool of ``jobs`` worker threads:

* the subprocess starts in its own session (process group) under
  ``prlimit`` (:func:`labgrade.sandbox.limits.limited`), which sets ``RLIMIT_AS`` (memory) before
  exec'ing nbgrader; kernels inherit the limit;
* nbgrader's ``Execute.timeout`` interrupts a cell that runs too long (the
  cell fails, grading goes on): the notebook's status is ``timed_out``;
* at the per-student time limit the process group and every descendant
  (kernels start in sessions of their own) are killed; notebooks that did not
  finish are ``timed_out`` and score 0;
* when autograde fails (a kernel died, a notebook is not JSON, ...), nbgrader
  drops the whole student; the worker then grades the student's notebooks one
  by one (``--notebook``) so that only the broken notebook is ``failed``;
* notebooks that could not be graded get ``auto_score = 0`` in the gradebook
  (as nbgrader does for missing notebooks), so that re-grading never leaves a
  stale score behind; manual scores are never touched;
* finally ``nbgrader generate_feedback`` renders the student's feedback with
  :class:`labgrade.reports.feedback.HideHiddenTests` (no hidden test shown) and
  :class:`labgrade.reports.feedback.SanitizeFeedback` (no active HTML from the notebook).

nbgrader never sees ``submitted/``: each submission is first *staged*
(:mod:`labgrade.grading.staging`): its notebooks and timestamp.txt are copied as regular
files (no links, devices, FIFOs; size-capped) into ``.grading/staged/``, and
autograde's ``submitted_directory`` is that copy. Refused files are reported.
Student ids that are not plain names are refused before anything uses them.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from labgrade.course.config import Settings
from labgrade.course.paths import ASSIGNMENT, course_root, tool_env
from labgrade.grading import ahead
from labgrade.grading.errors import notebook_errors
from labgrade.grading.gradebook import open_gradebook, worker_db_url
from labgrade.grading.staging import stage_submission, staging_root, student_id_problem
from labgrade.grading.warm import Zygote, ZygoteError
from labgrade.sandbox.bwrap import Cgroup
from labgrade.sandbox.isolation import FLAGS_DIR_ENV
from labgrade.sandbox.limits import limited

# timestamps in the autograde logs (benchmarks.grading reads the time per notebook from them)
LOG_FORMAT = "%(asctime)s.%(msecs)03d [%(name)s | %(levelname)s] %(message)s"

FEEDBACK_PREPROCESSORS = [
    "nbgrader.preprocessors.GetGrades",
    "labgrade.reports.feedback.HideHiddenTests",
    "labgrade.reports.feedback.SanitizeFeedback",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
# the HTML of markdown cells, raw cells and outputs goes through labgrade.reports.feedback's allow-list cleaner
# (nbgrader's feedback template renders markdown without nbconvert's clean_html)
FEEDBACK_OPTIONS = [
    "--GenerateFeedback.exporter_class=labgrade.reports.feedback.FeedbackHTMLExporter",
    "--HTMLExporter.sanitize_html=True",
    "--HTMLExporter.filters=markdown2html=labgrade.reports.feedback.markdown2html",
    "--HTMLExporter.filters=clean_html=labgrade.reports.feedback.clean_html",
]


@dataclass
class StudentRun:
    """What happened when one student was graded."""

    student: str
    submitted: bool = True
    seconds: float = 0.0
    returncode: int | None = None
    killed: bool = False                     # per-student time limit reached
    salvaged: bool = False                   # graded notebook by notebook after a failure
    notebooks: dict[str, str] = field(default_factory=dict)   # nb -> ok|missing|failed|timed_out
    errors: dict[str, str] = field(default_factory=dict)      # nb -> why it failed
    feedback: bool = False
    log: str = ""
    refused: dict[str, str] = field(default_factory=dict)     # file (display name) -> why it was not staged
    ignored: list[str] = field(default_factory=list)          # other files of the submission (never copied)


@dataclass
class Workspace:
    """The folders of one grading run (nbgrader's course directory layout)."""

    root: Path                 # the course repository (source/, nbgrader_config.py)
    workdir: Path              # where submitted/, autograded/, feedback/, reports/ live

    @property
    def submitted(self) -> Path:
        return self.workdir / "submitted"

    @property
    def autograded(self) -> Path:
        return self.workdir / "autograded"

    @property
    def feedback(self) -> Path:
        return self.workdir / "feedback"

    @property
    def reports(self) -> Path:
        return self.workdir / "reports"

    @property
    def logs(self) -> Path:
        return self.workdir / ".grading" / "logs"

    def submission(self, student: str) -> Path:
        return self.submitted / student / ASSIGNMENT

    @property
    def staged_root(self) -> Path:
        """Where submissions are staged for nbgrader (labgrade.grading.staging); nbgrader's submitted_directory."""
        return self.workdir / ".grading" / "staged"

    def staged(self, student: str) -> Path:
        return self.staged_root / student / ASSIGNMENT

    def flags_dir(self, student: str) -> Path:
        """Where isolated grading leaves the flags of notebooks whose kernel died (isolation.py)."""
        return self.workdir / ".grading" / "flags" / student

    def autograded_dir(self, student: str) -> Path:
        return self.autograded / student / ASSIGNMENT


def nbgrader_cmd(ws: Workspace, url: str, *args: str) -> list[str]:
    return [
        sys.executable, "-m", "nbgrader", *args,
        f"--CourseDirectory.root={ws.workdir}",
        f"--CourseDirectory.source_directory={ws.root / 'source'}",
        f"--CourseDirectory.db_url={url}",
    ]


def autograde_args(ws: Workspace, url: str, student: str, settings: Settings, submitted: Path | None = None):
    """nbgrader's command line (after ``nbgrader``) that autogrades one student."""
    # shutdown_kernel=immediate: the outputs are all in once the last cell is idle; a graceful shutdown
    # only waits for the kernel to exit (jupyter_client polls every 0.1 s): 0.1 s a notebook. The judge's
    # worker dies with its kernel (bubblewrap --die-with-parent); its cgroup is swept after the student.
    args = nbgrader_cmd(ws, url, "autograde", ASSIGNMENT, "--student", student, "--force",
                        f"--Execute.timeout={settings.cell_timeout}", "--Execute.shutdown_kernel=immediate",
                        "--log-level=INFO",
                        f"--Application.log_format={LOG_FORMAT}", "--Application.log_datefmt=%H:%M:%S")[3:]
    if submitted is not None:
        args.append(f"--CourseDirectory.submitted_directory={submitted}")
    return args


def autograde_cmd(ws: Workspace, url: str, student: str, settings: Settings, submitted: Path | None = None):
    """The same as a command of its own (no zygote): ``python -m nbgrader autograde ...`` under limits."""
    return exec_cmd(autograde_args(ws, url, student, settings, submitted), settings.memory_mb)


def exec_cmd(args: list[str], memory_mb: int) -> list[str]:
    """``python -m nbgrader <args>`` under the memory limit, dying with the process that starts it.

    setpriv --pdeathsig: a grading process dies with its parent (a Dask worker killed in the middle
    of a student must not leave an autograde writing beside the retry on another worker)."""
    return ["setpriv", "--pdeathsig", "KILL", "--",
            *limited([sys.executable, "-m", "nbgrader", *args], memory_mb=memory_mb)]


def kill_tree(proc: subprocess.Popen) -> None:
    """Kill ``proc``, its process group and all its descendants (kernels have their own sessions)."""
    import psutil  # psutil: only when a process tree is killed

    try:
        parent = psutil.Process(proc.pid)
        family = parent.children(recursive=True)
    except psutil.NoSuchProcess:
        family = []
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    for p in family:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(family, timeout=10)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover
        pass


_ACTIVE: set[subprocess.Popen] = set()    # running autograde processes (killed on Ctrl-C)
_ACTIVE_LOCK = threading.Lock()
_STOP = threading.Event()                  # set on Ctrl-C: workers start nothing new


def kill_active() -> None:
    _STOP.set()
    with _ACTIVE_LOCK:
        procs = list(_ACTIVE)
    for proc in procs:
        kill_tree(proc)


def run_limited(args: list[str], cwd: Path, log: Path, timeout: float, env: dict | None = None, *,
                memory_mb: int = 0, zygote: Zygote | None = None) -> tuple[int | None, bool]:
    """Run ``nbgrader <args>`` in its own session, output appended to ``log``. Returns (returncode, killed).

    Forked from ``zygote`` when given (nbgrader already imported, labgrade.grading.warm), else a new
    ``python -m nbgrader`` process; the same limits, session and output either way."""
    if timeout <= 0 or _STOP.is_set():
        return None, True
    full_env = tool_env(**(env or {}))
    with open(log, "a") as fh:
        fh.write("$ " + " ".join(exec_cmd(args, memory_mb)) + (" (forked warm)" if zygote else "") + "\n")
        fh.flush()
        if zygote is not None:
            try:
                proc = zygote.spawn(args, cwd=cwd, env=full_env, log=log, memory_mb=memory_mb)
            except ZygoteError as exc:
                fh.write(f"[labgrade] {exc}; starting nbgrader without it\n")
                fh.flush()
                zygote = None
        if zygote is None:
            proc = subprocess.Popen(exec_cmd(args, memory_mb), cwd=cwd, env=full_env, stdout=fh,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        with _ACTIVE_LOCK:
            _ACTIVE.add(proc)
        try:
            return proc.wait(timeout=timeout), False
        except subprocess.TimeoutExpired:
            kill_tree(proc)
            with open(log, "a") as out:
                out.write(f"\n[labgrade] killed at the time limit ({timeout:.0f} s left)\n")
            return proc.returncode, True
        except BaseException:
            kill_tree(proc)
            raise
        finally:
            with _ACTIVE_LOCK:
                _ACTIVE.discard(proc)


def classify_failure(text: str) -> str:
    """Why an autograde run failed, from its log (one line for grades.csv)."""
    if "DeadKernelError" in text or "Kernel died" in text:
        return "the kernel died while running this notebook (it exited, was killed or ran out of memory)"
    if "UnresponsiveKernelError" in text:
        return "the kernel stopped responding and could not be interrupted"
    if "NotJSONError" in text or "does not appear to be JSON" in text:
        return "the submitted file is not a valid notebook (not JSON)"
    if "NotebookValidationError" in text or "ValidationError" in text:
        return "the submitted notebook does not validate against the notebook format"
    errors = [ln for ln in text.splitlines() if "Error" in ln and not ln.startswith("$ ")]
    tail = errors[-1].strip() if errors else "nbgrader autograde failed"
    return "autograde error: " + tail[:200]


DB_ERROR = re.compile(r"database is locked|sqlalchemy\.exc\.OperationalError|error accessing the nbgrader database")
# a kernel that did not start: before any cell ran, so never the submission's doing. jupyter_client picks
# its TCP ports free and the kernel binds them a moment later; on a busy machine another process can take
# one in between ("Address already in use", then "Kernel died before replying to kernel_info")
KERNEL_START_ERROR = re.compile(r"Kernel died before replying to kernel_info|"
                                r"Error occurred while starting new kernel client|ZMQError: Address already in use")


def grading_failure(text: str) -> bool:
    """True if an autograde run failed for a reason of the grading machine's (the gradebook, a kernel
    that did not start), not of the notebook it was on: the student is graded again, not given 0.

    nbgrader stops a student's run at the first notebook that fails, so a kernel's start failed the run
    only if it is in that notebook's part of the log (after its ``Autograding`` line) and that notebook's
    kernel never came up: a start error after :data:`ahead.KERNEL_READY` is a kernel started ahead for a
    later notebook, which that notebook would have replaced."""
    if DB_ERROR.search(text):
        return True
    starts = list(AUTOGRADING.finditer(text))
    last = text[starts[-1].end():] if starts else text
    return bool(KERNEL_START_ERROR.search(last)) and ahead.KERNEL_READY not in last


AUTOGRADING = re.compile(r"Autograding .*\.ipynb\s*$", re.M)


FAILED_ON = re.compile(r"(?:Sanitizing|Autograding) (.*?)([^/\\]+)\.ipynb\s*$", re.M)


def failed_notebook(text: str) -> str | None:
    """The notebook autograde was working on when it failed (last Sanitizing/Autograding line)."""
    found = FAILED_ON.findall(text)
    return found[-1][1] if found else None


def salvage(ws: Workspace, url: str, student: str, settings: Settings, run: StudentRun, log: Path,
            deadline: float, env: dict, zygote: Zygote | None = None) -> None:
    """After a failed autograde: re-grade without the notebook that broke it, until it passes.

    nbgrader drops every notebook of a student when one fails (a dead kernel, a file
    that is not JSON). The broken notebook is found in the log; the student is graded
    again from a *shadow* submission (links to the other notebooks and timestamp.txt
    in ``.grading/shadow/``), in which nbgrader sees the broken notebook as missing
    and scores it 0; it is reported as ``failed`` with the reason.
    """
    run.salvaged = True
    sub = ws.staged(student)
    shadow_root = ws.workdir / ".grading" / "shadow"
    shadow = shadow_root / student / ASSIGNMENT
    text_from = 0
    retries = 0
    try:
        while True:
            with open(log, errors="replace") as fh:
                fh.seek(text_from)
                text = fh.read()
            if grading_failure(text) and retries < 2:
                retries += 1            # the gradebook or a kernel's start, not the notebook: grade the same again
            else:
                broken = failed_notebook(text)
                if broken is None or run.notebooks.get(broken) != "ok":
                    # not a notebook's fault (or no progress): every remaining notebook fails
                    why = classify_failure(text)
                    for nb, st in run.notebooks.items():
                        if st == "ok":
                            run.notebooks[nb] = "failed"
                            run.errors[nb] = why
                    return
                run.notebooks[broken] = "failed"
                run.errors[broken] = classify_failure(text)
            left = [nb for nb, st in run.notebooks.items() if st == "ok"]
            if not left:
                return
            if shadow.exists():
                shutil.rmtree(shadow)
            shadow.mkdir(parents=True)
            for item in sub.iterdir():
                if item.suffix == ".ipynb" and item.stem not in left:
                    continue
                (shadow / item.name).symlink_to(item.resolve())
            text_from = log.stat().st_size
            if ahead.AHEAD_ENV in env:
                env = {**env, ahead.AHEAD_ENV: ahead.grading_order(left)}
            rc, killed = run_limited(autograde_args(ws, url, student, settings, submitted=shadow_root),
                                     ws.root, log, deadline - time.monotonic(), env, memory_mb=settings.memory_mb,
                                     zygote=zygote)
            if killed:
                run.killed = True
                mark_unfinished(ws, student, run, settings)
                return
            if rc == 0:
                return
    finally:
        if shadow.exists():
            shutil.rmtree(shadow.parent)


def mark_unfinished(ws: Workspace, student: str, run: StudentRun, settings: Settings) -> None:
    """After a kill at the per-student limit: notebooks without an executed copy are timed_out."""
    dest = ws.autograded_dir(student)
    for nb, st in run.notebooks.items():
        if st != "ok":
            continue
        path = dest / f"{nb}.ipynb"
        if not notebook_executed(path):
            path.unlink(missing_ok=True)
            run.notebooks[nb] = "timed_out"
            run.errors[nb] = (f"not graded: the student's grading was stopped at the per-student "
                              f"time limit ({settings.student_timeout} s)")


def notebook_executed(path: Path) -> bool:
    """True if ``path`` is an autograded notebook that ran (not just the sanitized copy)."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:
        return False
    return any(c.get("execution_count") for c in nb.cells if c.cell_type == "code")


def zero_ungraded(url: str, student: str, notebooks: list[str]) -> None:
    """auto_score = 0 for the grades of notebooks that could not be graded (manual scores kept)."""
    if not notebooks:
        return
    from nbgrader.api import MissingEntry  # nbgrader.api loads SQLAlchemy: only when the gradebook is opened

    with open_gradebook(url) as gb:
        for nb in notebooks:
            try:
                sub = gb.find_submission_notebook(nb, ASSIGNMENT, student)
            except MissingEntry:
                continue
            for grade in sub.grades:
                grade.auto_score = 0.0
                grade.needs_manual_grade = grade.manual_score is not None
        gb.db.commit()


def refused_run(student: str, notebooks: list[str], why: str) -> StudentRun:
    """The run of a student who is not graded at all (invalid id, submission folder refused)."""
    return StudentRun(student, submitted=False, returncode=None, notebooks={nb: "failed" for nb in notebooks},
                      errors={"*": why, **{nb: why for nb in notebooks}})


def submission_exists(ws: Workspace, student: str) -> bool:
    """Something is at submitted/<student>/weight_init (a link counts: it is refused, not 'missing')."""
    if student_id_problem(student):
        return False
    return os.path.lexists(ws.submitted / student) and (
        os.path.islink(ws.submitted / student) or os.path.lexists(ws.submission(student)))


def grade_student(ws: Workspace, url: str, student: str, notebooks: list[str], settings: Settings,
                  feedback: bool = True, zygote: Zygote | None = None) -> StudentRun:
    """Stage, autograde (and feedback) one student; never raises for a broken submission.

    ``zygote``: fork nbgrader from it (labgrade.grading.warm) instead of starting ``python -m nbgrader``."""
    problem = student_id_problem(student)
    if problem:
        return refused_run(student, notebooks, f"refused: {problem}")
    run = StudentRun(student)
    start = time.monotonic()
    if not submission_exists(ws, student):
        run.submitted = False
        run.notebooks = {nb: "missing" for nb in notebooks}
        return run
    staged = stage_submission(ws.submitted, student, notebooks, staging_root(ws.workdir),
                              max_bytes=settings.max_notebook_bytes)
    try:
        return _grade_staged(ws, url, student, notebooks, settings, feedback, run, staged, start, zygote)
    finally:
        if (ws.staged_root / student).exists():
            shutil.rmtree(ws.staged_root / student)


def _grade_staged(ws: Workspace, url: str, student: str, notebooks: list[str], settings: Settings,
                  feedback: bool, run: StudentRun, staged, start: float, zygote: Zygote | None) -> StudentRun:
    run.refused = dict(staged.refused)
    run.ignored = list(staged.ignored)
    wurl = worker_db_url(url)
    if staged.problem == "no submission":       # gone between listing and staging
        run.submitted = False
        run.notebooks = {nb: "missing" for nb in notebooks}
    elif staged.problem:
        why = staged.problem
        run.notebooks = {nb: "failed" for nb in notebooks}
        run.errors = {"*": why, **{nb: why for nb in notebooks}}
    else:
        for nb in notebooks:
            if nb in staged.notebooks:
                run.notebooks[nb] = "ok"
            elif nb in staged.refused_notebooks:
                run.notebooks[nb] = "failed"
                run.errors[nb] = f"refused: {nb}.ipynb {staged.refused_notebooks[nb]}"
            else:
                run.notebooks[nb] = "missing"
    if not staged.notebooks:
        # nothing nbgrader could grade: no autograde run; old results of this student go
        clean_student_outputs(ws, student)
        zero_ungraded(wurl, student, notebooks)
        run.seconds = time.monotonic() - start
        return run
    ws.logs.mkdir(parents=True, exist_ok=True)
    log = ws.logs / f"{student}.log"
    log.write_text("")
    run.log = str(log)
    deadline = start + settings.student_timeout

    fdir = ws.flags_dir(student)
    if fdir.exists():
        shutil.rmtree(fdir)
    kenv = {**settings.kernel_env(), FLAGS_DIR_ENV: str(fdir)}
    if settings.ahead_for(1):     # grade_all and the cluster's task resolve "auto" for their jobs first
        kenv[ahead.AHEAD_ENV] = ahead.grading_order(staged.notebooks)
    rc, killed = run_limited(autograde_args(ws, wurl, student, settings, submitted=ws.staged_root), ws.root, log,
                             deadline - time.monotonic(), kenv, memory_mb=settings.memory_mb, zygote=zygote)
    run.returncode = rc
    dest = ws.autograded_dir(student)
    if killed:
        run.killed = True
        mark_unfinished(ws, student, run, settings)
    elif rc != 0:
        salvage(ws, wurl, student, settings, run, log, deadline, kenv, zygote)
    if _STOP.is_set():      # interrupted (Ctrl-C): record nothing for this student
        return run
    Cgroup.sweep()          # the cgroups of this student's sandboxes, whose kernels were killed
    bad = [nb for nb, st in run.notebooks.items() if st != "ok"]
    zero_ungraded(wurl, student, bad)

    fb_dir = ws.feedback / student / ASSIGNMENT
    if feedback and dest.is_dir() and any(dest.glob("*.ipynb")):
        run.feedback = generate_feedback(ws, wurl, student, settings, zygote)
    elif fb_dir.exists():
        shutil.rmtree(fb_dir)   # nothing graded this time: no stale feedback
    run.seconds = time.monotonic() - start
    return run


def generate_feedback(ws: Workspace, url: str, student: str, settings: Settings,
                      zygote: Zygote | None = None) -> bool:
    """``nbgrader generate_feedback`` for one student, hidden tests stripped. True if it worked."""
    fb_log = ws.logs / f"{student}.feedback.log"
    fb_log.write_text("")
    args = nbgrader_cmd(ws, url, "generate_feedback", ASSIGNMENT, "--student", student, "--force",
                        "--log-level=WARN", f"--GenerateFeedback.preprocessors={FEEDBACK_PREPROCESSORS!r}",
                        *FEEDBACK_OPTIONS)[3:]
    rc, killed = run_limited(args, ws.root, fb_log, max(120, settings.student_timeout), zygote=zygote,
                             memory_mb=settings.memory_mb)
    return rc == 0 and not killed


def grade_all(ws: Workspace, url: str, students: list[str], notebooks: list[str], settings: Settings, *,
              jobs: int, feedback: bool = True, progress: bool = True, engine=None,
              zygote: Zygote | None = None) -> dict[str, StudentRun]:
    """Grade ``students`` with ``jobs`` parallel workers; a progress bar on stderr.

    ``engine``: grade elsewhere instead of the local pool, e.g. a Dask cluster
    (:func:`labgrade.grading.cluster.grade_on_cluster` with its scheduler bound): called as
    ``engine(ws, url, todo, notebooks, settings, feedback=..., progress=..., on_done=...)``
    with the students who have a submission; it returns their runs.
    ``zygote``: fork nbgrader from this one (the caller closes it); without it, ``settings.warm``
    starts one for this call.
    """
    from tqdm import tqdm  # the progress bar: imported by the runs that show one

    results: dict[str, StudentRun] = {}
    lock = threading.Lock()
    _STOP.clear()
    todo = [s for s in students if submission_exists(ws, s)]
    for s in students:
        if student_id_problem(s):
            results[s] = refused_run(s, notebooks, f"refused: {student_id_problem(s)}")
        elif s not in todo:
            results[s] = StudentRun(s, submitted=False, notebooks={nb: "missing" for nb in notebooks})
    bar = tqdm(total=len(todo), desc="grading", unit="student", disable=not progress, file=sys.stderr,
               dynamic_ncols=True)
    if engine is not None:
        def done(s, run):
            bar.set_postfix_str(f"{s} {_short(run, ws)}", refresh=False)
            bar.update(1)

        try:
            results.update(engine(ws, url, todo, notebooks, settings, feedback=feedback, progress=progress,
                                  on_done=done))
        finally:
            bar.close()
        return {s: results[s] for s in students}
    settings = settings.with_overrides(kernels_ahead=settings.ahead_for(min(jobs, max(1, len(todo)))))
    own_zygote = zygote is None and settings.warm and bool(todo)
    if own_zygote:
        zygote = start_zygote(ws)
    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="grade") as pool:
        futures = {pool.submit(grade_student, ws, url, s, notebooks, settings, feedback, zygote): s for s in todo}
        try:
            for fut in as_completed(futures):
                s = futures[fut]
                try:
                    run = fut.result()
                except Exception as exc:  # a bug of ours, not the student's: record, keep going
                    run = StudentRun(s, returncode=None,
                                     notebooks={nb: "failed" for nb in notebooks},
                                     errors={nb: f"grading error: {exc!r}" for nb in notebooks})
                with lock:
                    results[s] = run
                bar.set_postfix_str(f"{s} {_short(run, ws)}", refresh=False)
                bar.update(1)
        except KeyboardInterrupt:
            for f in futures:
                f.cancel()
            kill_active()     # the workers' subprocesses are in sessions of their own: no SIGINT
            raise
        finally:
            bar.close()
            if own_zygote and zygote is not None:
                zygote.close()
    return {s: results[s] for s in students}


def start_zygote(ws: Workspace, *, wait: bool = True) -> Zygote | None:
    """A zygote for this run (labgrade.grading.warm), or None (then nbgrader starts as a command) if it fails.

    ``wait=False``: return while it starts; :func:`zygote_ready` waits for it."""
    try:
        zygote = Zygote(env=tool_env(PYTHONSAFEPATH="1"), cwd=ws.root, wait=False)
    except OSError as exc:
        print(f"labgrade: warm start unavailable ({exc}); starting nbgrader for each run", file=sys.stderr)
        return None
    return zygote_ready(zygote) if wait else zygote


def zygote_ready(zygote: Zygote | None) -> Zygote | None:
    """``zygote`` once it has started, or None (said on stderr) if it did not."""
    if zygote is None:
        return None
    try:
        zygote.wait_ready()
        return zygote
    except ZygoteError as exc:
        zygote.close()
        print(f"labgrade: warm start unavailable ({exc}); starting nbgrader for each run", file=sys.stderr)
        return None


def _short(run: StudentRun, ws: Workspace | None = None) -> str:
    """The progress bar's word for a student: ok, or the notebook states that are not ok
    (a cell past the per-cell timeout counts as timed_out, as in grades.csv)."""
    states = set(run.notebooks.values()) - {"ok"}
    if ws is not None:
        for nb, st in run.notebooks.items():
            if st == "ok" and notebook_errors(ws.autograded_dir(run.student) / f"{nb}.ipynb")[1]:
                states.add("timed_out")
    return ",".join(sorted(states)) if states else "ok"


def clean_student_outputs(ws: Workspace, student: str) -> None:
    for d in (ws.autograded / student, ws.feedback / student):
        if d.exists():
            shutil.rmtree(d)


def course_workspace(workdir: Path | None = None, notebooks: list[str] | None = None) -> Workspace:
    """The workspace of a run; ``notebooks`` (stems or their 2-digit prefixes) grades only those.

    A subset is graded through a *course view*: ``<workdir>/.grading/course-view/`` with
    ``source/weight_init/`` holding links to the chosen source notebooks, and a link
    to nbgrader_config.py; nbgrader then sees an assignment of those notebooks only.
    """
    root = course_root()
    workdir = Path(workdir).resolve() if workdir else root
    if not notebooks:
        return Workspace(root=root, workdir=workdir)
    available = sorted((root / "source" / ASSIGNMENT).glob("[0-9][0-9]_*.ipynb"))
    chosen = []
    for want in notebooks:
        match = [p for p in available if p.stem == want or p.stem[:2] == want.zfill(2)]
        if len(match) != 1:
            raise ValueError(f"--notebooks: {want!r} matches {len(match)} notebooks of source/{ASSIGNMENT}")
        chosen.append(match[0])
    view = workdir / ".grading" / "course-view"
    if view.exists():
        shutil.rmtree(view)
    (view / "source" / ASSIGNMENT).mkdir(parents=True)
    for p in sorted(set(chosen)):
        (view / "source" / ASSIGNMENT / p.name).symlink_to(p)
    (view / "nbgrader_config.py").symlink_to(root / "nbgrader_config.py")
    return Workspace(root=view, workdir=workdir)
