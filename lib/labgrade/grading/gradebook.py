"""The nbgrader gradebook: URL, set-up before grading (assignment, notebooks, students).

Everything goes through nbgrader's :class:`nbgrader.api.Gradebook` and its
``generate_assignment`` (which records the notebooks, grade cells and source
cells the autograder needs); nothing here writes grades.

SQLite and concurrent workers: the gradebook file is created, and every row the
workers would otherwise race to create (course rows, assignment, notebooks,
students) is written by the parent before any worker starts; the database is put
in WAL mode (readers never block the writer) and each worker's URL carries a
busy timeout (``?timeout=``), so a worker waits for the write lock instead of
failing with "database is locked". See ``docs/grading.md`` for the measurement.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from labgrade.course.config import Settings
from labgrade.course.paths import ASSIGNMENT, course_root, tool_env
from labgrade.course.schema import use_inprocess_alembic
from labgrade.grading.staging import student_id_problem
from labgrade.grading.warm import ZygoteError

SQLITE_BUSY_TIMEOUT = 120  # seconds a worker waits for SQLite's write lock


class GradebookError(RuntimeError):
    pass


def course_id(root: Path | None = None) -> str:
    """CourseDirectory.course_id from nbgrader_config.py."""
    from traitlets.config.loader import PyFileConfigLoader  # only when nbgrader_config.py is read

    root = root or course_root()
    try:
        cfg = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
        cid = cfg.CourseDirectory.course_id
        if isinstance(cid, str) and cid:
            return cid
    except Exception:  # pragma: no cover (no or broken config: nbgrader's default)
        pass
    return "default_course"


def default_db_url(workdir: Path) -> str:
    return f"sqlite:///{Path(workdir).resolve() / 'gradebook.db'}"


def normalize_db_url(url: str) -> str:
    """``postgresql://`` means psycopg (v3) to SQLAlchemy 2.1; the course installs psycopg2."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):

            if importlib.util.find_spec("psycopg") is None:
                return "postgresql+psycopg2://" + url[len(prefix):]
            return "postgresql://" + url[len(prefix):]
    return url


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sqlite_path(url: str) -> Path | None:
    if not is_sqlite(url):
        return None
    rest = url.split("://", 1)[1].split("?", 1)[0]   # "/relative.db" or "//abs/path.db"
    if rest in ("", "/:memory:"):
        return None
    return Path(rest[1:]).resolve()


def worker_db_url(url: str, busy_timeout: float = SQLITE_BUSY_TIMEOUT) -> str:
    """The URL given to the autograde workers: SQLite gets a busy timeout."""
    if not is_sqlite(url):
        return url
    base, _, query = url.partition("?")
    params = dict(parse_qsl(query))
    params.setdefault("timeout", f"{busy_timeout:g}")
    return base + "?" + urlencode(params)


def redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


@contextlib.contextmanager
def open_gradebook(url: str, cid: str | None = None):
    from nbgrader.api import Gradebook  # nbgrader.api loads SQLAlchemy: only when the gradebook is opened

    use_inprocess_alembic()
    with contextlib.ExitStack() as stack:
        gb = Gradebook(url, cid or course_id())
        stack.callback(gb.close)
        yield gb


def _sqlite_wal(url: str) -> None:
    path = sqlite_path(url)
    if path is None:
        return
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA journal_mode=WAL")
    finally:
        con.close()


def sqlite_journal_default(url: str) -> None:
    """Back to SQLite's default journal after grading: no -wal/-shm files are left beside
    gradebook.db, and formgrader finds the gradebook as nbgrader made it."""
    path = sqlite_path(url)
    if path is None or not path.exists():
        return
    con = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT)
    try:
        con.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.OperationalError:
        pass   # still in use by someone else: leave it in WAL mode
    finally:
        con.close()


def source_notebook_ids(root: Path) -> list[str]:
    return sorted(p.stem for p in (root / "source" / ASSIGNMENT).glob("[0-9][0-9]_*.ipynb"))


def generate_assignment(root: Path, workdir: Path, url: str, zygote=None) -> None:
    """``nbgrader generate_assignment`` into the gradebook (release copy into .grading/).

    ``zygote``: a :class:`labgrade.grading.warm.Zygote` to fork nbgrader from (no 2 s start)."""
    args = [
        "generate_assignment", ASSIGNMENT, "--force",
        f"--CourseDirectory.root={workdir}",
        f"--CourseDirectory.source_directory={root / 'source'}",
        f"--CourseDirectory.release_directory={workdir / '.grading' / 'release'}",
        f"--CourseDirectory.db_url={url}",
        "--log-level=WARN",
    ]
    if zygote is not None and not zygote.closed:
        log = Path(workdir) / ".grading" / "generate_assignment.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("")
        try:
            rc = zygote.spawn(args, cwd=root, env=tool_env(), log=log).wait()
        except ZygoteError:
            rc = None       # the zygote is gone: start nbgrader as a command below
        if rc == 0:
            return
        if rc is not None:
            raise GradebookError("nbgrader generate_assignment failed:\n" + log.read_text(errors="replace"))
    res = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root, env=tool_env(),
                         capture_output=True, text=True)
    if res.returncode != 0:
        raise GradebookError("nbgrader generate_assignment failed:\n" + res.stdout + res.stderr)


def prepare(url: str, workdir: Path, roster: list[str], settings: Settings, *,
            root: Path | None = None, resettable: set[str] = frozenset(), zygote=None) -> None:
    """:func:`prepare_rows`, then :func:`generate_assignment` (forked from ``zygote`` if given)."""
    root = root or course_root()
    prepare_rows(url, roster, settings, root=root, resettable=resettable)
    generate_assignment(root, Path(workdir), worker_db_url(url), zygote=zygote)


def prepare_rows(url: str, roster: list[str], settings: Settings, *,
                 root: Path | None = None, resettable: set[str] = frozenset()) -> None:
    """Create/update the assignment (due date) and the students; SQLite in WAL mode.

    If the notebooks of source/ differ from those in the gradebook, nbgrader
    refuses to change an assignment that has submissions. The submissions of
    ``resettable`` students (the generated sample class) are then removed from
    the gradebook first; any other submission stops grading with an explanation.
    :func:`generate_assignment` then records the notebooks.
    """
    root = root or course_root()
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    cid = course_id(root)
    with open_gradebook(url, cid) as gb:
        gb.update_or_create_assignment(ASSIGNMENT, duedate=settings.due_datetime)
        assignment = gb.find_assignment(ASSIGNMENT)
        have = sorted(nb.name for nb in assignment.notebooks)
        want = source_notebook_ids(root)
        if have and have != want and assignment.submissions:
            others = sorted(s.student.id for s in assignment.submissions if s.student.id not in resettable)
            if others:
                raise GradebookError(
                    f"The notebooks of {ASSIGNMENT} changed ({', '.join(have)} in the gradebook, "
                    f"{', '.join(want)} in source/) and nbgrader cannot change an assignment with "
                    f"submissions ({len(others)} students, e.g. {others[0]}). Back up the gradebook, "
                    f"then remove it (or those submissions) to grade with the new notebooks.")
            for s in list(assignment.submissions):
                gb.remove_submission(ASSIGNMENT, s.student.id)
        for student in roster:
            if student_id_problem(student):
                continue    # refused and reported by labgrade (staging.STUDENT_ID), never in the gradebook
            gb.update_or_create_student(student)
    # autograde's SaveAutoGrades opens the gradebook with nbgrader's default course id:
    # create that row now rather than in racing workers
    with open_gradebook(url, "default_course"):
        pass
    _sqlite_wal(url)
