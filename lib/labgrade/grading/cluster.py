"""Grade a class on a Dask distributed cluster: one task per student.

``labgrade grade --scheduler tcp://HOST:PORT`` sends each student to a Dask
cluster instead of the local pool of threads. Each task is
:func:`labgrade.grading.runner.grade_student` run on a worker: the same staging,
sandbox, limits, salvage and feedback as a local run. The cluster must share
with the machine that starts the run:

* the course folder and the working folder (``submitted/``, ``autograded/``,
  ``feedback/``, ``.grading/``) at the **same paths** (a shared file system:
  NFS on a Slurm cluster, a ReadWriteMany volume on Kubernetes);
* the gradebook, which must be a **server database** (PostgreSQL): several
  machines cannot write one SQLite file safely, so a SQLite URL is refused;
* the course environment (labgrade, nbgrader, bubblewrap for the sandbox).

A worker that dies in the middle of a student (killed, out of memory, its node
lost) loses nothing and doubles nothing: its autograde process dies with it
(``setpriv --pdeathsig KILL``, see :func:`labgrade.grading.runner.autograde_cmd`), the
scheduler gives the task to another worker (Dask's ``allowed-failures``), and
that worker grades the student again from the submission with ``--force``:
nbgrader's gradebook keeps one submission per student and assignment and one
grade per cell, overwritten, never added. Tasks are not ``pure``: a student
graded twice in one run (a retry) is graded, not read from Dask's cache.
"""

from __future__ import annotations

import sys
import threading
import uuid

from labgrade.course.config import default_jobs
from labgrade.grading.runner import StudentRun, Workspace, grade_student, start_zygote
from labgrade.grading.warm import Zygote

_ZYGOTE: Zygote | None = None        # this worker process's zygote, started by its first task
_ZYGOTE_LOCK = threading.Lock()
_KEEPER = threading.Event()          # never set: the thread that started the zygote lives as long as the worker


def _worker_zygote(ws: Workspace, settings) -> Zygote | None:
    """The worker's zygote (labgrade.grading.warm), kept between tasks.

    It is started from a thread of its own that never ends: the zygote dies with the thread that
    started it (PR_SET_PDEATHSIG follows the thread), and a Dask worker may end its task threads.
    """
    global _ZYGOTE
    if not settings.warm:
        return None
    with _ZYGOTE_LOCK:
        if _ZYGOTE is None or _ZYGOTE.closed:
            box: list = []
            started = threading.Event()

            def keep():
                box.append(start_zygote(ws))
                started.set()
                _KEEPER.wait()

            threading.Thread(target=keep, name="labgrade-zygote", daemon=True).start()
            started.wait()
            _ZYGOTE = box[0]
        return _ZYGOTE


class ClusterError(RuntimeError):
    """The cluster cannot grade this run (no scheduler, a SQLite gradebook, ...)."""


def check_cluster_url(url: str) -> None:
    """Refuse a gradebook that workers on other machines cannot share."""
    if url.startswith("sqlite"):
        raise ClusterError(
            f"--scheduler grades on several machines, which cannot share a SQLite gradebook "
            f"(got {url.split('?')[0]!r}); use PostgreSQL: --db-url postgresql://USER:PASSWORD@HOST/DB")


def cluster_ahead(workers: dict, cores: dict) -> bool:
    """``kernels_ahead = "auto"`` on a cluster: on only if every machine keeps a core free beside the
    students its workers grade at once.

    ``workers``: the scheduler's view, address -> {"host", "nthreads"}; ``cores``: address -> the cores that
    worker may use (:func:`labgrade.course.config.default_jobs` run on it: affinity and cgroup quota). The
    threads of all workers on one host add up: eight one-thread workers on an 8-core node leave none free.
    """
    threads: dict[str, int] = {}
    free: dict[str, int] = {}
    for addr, info in workers.items():
        host = info.get("host") or addr
        threads[host] = threads.get(host, 0) + int(info.get("nthreads") or 1)
        free[host] = max(free.get(host, 0), int(cores.get(addr) or 1))
    return bool(threads) and all(threads[h] < free[h] for h in threads)


def _task(ws: Workspace, url: str, student: str, notebooks: list[str], settings, feedback: bool) -> StudentRun:
    """What one worker runs for one student (never raises for a broken submission)."""
    return grade_student(ws, url, student, notebooks, settings, feedback, _worker_zygote(ws, settings))


def grade_on_cluster(ws: Workspace, url: str, students: list[str], notebooks: list[str], settings, *,
                     scheduler: str, feedback: bool = True, progress: bool = True,
                     on_done=None, check=None) -> dict[str, StudentRun]:
    """Grade ``students`` (who have a submission) as one Dask task each; returns their runs.

    ``on_done(student, run)`` is called as each student finishes (the progress bar);
    ``check()`` runs once on every worker before anyone is graded (e.g. that its sandbox
    starts): an exception there stops the run before any grade is written.
    """
    check_cluster_url(url)
    try:
        from distributed import Client, as_completed  # optional: only a cluster run needs it
    except ImportError as exc:  # pragma: no cover - distributed is in the course environment
        raise ClusterError("--scheduler needs Dask distributed: pip install 'dask[distributed]'") from exc
    try:
        client = Client(scheduler, timeout="20s", set_as_default=False)
    except OSError as exc:
        raise ClusterError(f"--scheduler {scheduler}: no Dask scheduler answered there ({exc})") from None
    runs: dict[str, StudentRun] = {}
    futures: dict = {}
    try:
        if not client.scheduler_info().get("workers"):
            client.wait_for_workers(1, timeout=60)
        if check is not None:
            try:
                client.run(check)
            except Exception as exc:
                raise ClusterError(f"a worker of {scheduler} cannot grade: {exc}") from None
        if settings.kernels_ahead == "auto":     # resolved once, for the machines the cluster has now
            settings = settings.with_overrides(kernels_ahead=cluster_ahead(
                client.scheduler_info(n_workers=-1)["workers"], client.run(default_jobs)))
        # a readable key for the dashboard, unique across runs and clients sharing the scheduler (a key seen
        # before would be answered with the earlier run's result)
        run_id = uuid.uuid4().hex[:12]
        futures = {client.submit(_task, ws, url, s, notebooks, settings, feedback, pure=False,
                                 key=f"grade-{s}-{run_id}"): s for s in students}
        for fut in as_completed(futures, loop=client.loop):
            s = futures[fut]
            try:
                run = fut.result()
            except Exception as exc:  # the task failed on every worker it was given: recorded, not raised
                run = StudentRun(s, returncode=None, notebooks={nb: "failed" for nb in notebooks},
                                 errors={nb: f"grading error on the cluster: {exc!r}"[:300] for nb in notebooks})
            runs[s] = run
            if on_done:
                on_done(s, run)
    except KeyboardInterrupt:
        client.cancel(list(futures), force=True)
        raise
    finally:
        client.close()
    if progress:
        print(f"graded {len(runs)} students on the Dask cluster at {scheduler}", file=sys.stderr)
    return runs
