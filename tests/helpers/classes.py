"""Build (part of) the sample class and grade it with labgrade: the helpers of the grading tests."""

from __future__ import annotations

import os
import pickle
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from helpers.require import unavailable
from labgrade.course.build import generate_release
from labgrade.course.config import load_settings
from labgrade.grading.gradebook import default_db_url
from labgrade.grading.runner import course_workspace
from labgrade.pipeline import run
from labgrade.variants.mutations import STUDENTS
from labgrade.variants.sample import build_class

# limits of the test runs: short enough to keep the suite fast, long enough for a loaded CI machine
TEST_LIMITS = {"cell_timeout": 30, "student_timeout": 300}


def sample_students(ids=None):
    return [s for s in STUDENTS if ids is None or s.id in ids]


def build_sample(workdir: Path, ids=None, notebooks=None, seed: int = 44):
    """Workspace (optionally a course view of some notebooks) with the sample class in submitted/."""
    ws = course_workspace(workdir, notebooks)
    release = workdir / ".grading" / "sample-release"
    generate_release(ws.root, release)
    manifest = build_class(release, ws.submitted, seed=seed, root=ws.root, students=sample_students(ids))
    return ws, manifest


def grade(ws, roster, db_url=None, jobs=2, feedback=True, report=True, **limits):
    settings = load_settings().with_overrides(**{**TEST_LIMITS, **limits})
    url = db_url or default_db_url(ws.workdir)
    result = run(ws, url, roster, settings, jobs=jobs, feedback=feedback, report=report, quiet=True,
                 resettable=set(roster))
    result["settings"] = settings
    return result


# ---- one grading run per class and test session, shared by the tests (and xdist workers) that read it ----

class SharedRuns:
    """Runs graded once per test session, whichever test (in whichever xdist worker) asks first.

    ``get(name, build)`` calls ``build(workdir)`` under a file lock the first time, keeps its
    (picklable) result beside the workdir, and hands the same result to every later caller:
    the pytest-xdist recipe for session-wide fixtures (a lock in the session's shared temp dir).
    """

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def get(self, name: str, build):
        from filelock import FileLock

        workdir = self.root / name
        done = self.root / f"{name}.pickle"
        with FileLock(str(self.root / f"{name}.lock")):
            if done.exists():
                return pickle.loads(done.read_bytes())
            workdir.mkdir(parents=True, exist_ok=True)
            result = build(workdir)
            done.write_bytes(pickle.dumps(result))
            return result


def grade_sample_class(workdir: Path, *extra: str, db_url: str | None = None) -> dict:
    """`labgrade demo` of the whole sample class into ``workdir`` (2 jobs, the test limits)."""
    import csv

    from labgrade.cli import main

    url = db_url or f"sqlite:///{workdir}/gradebook.db"
    rc = main(["demo", "--course-dir", str(workdir), "--db-url", url, "--jobs", "2",
               "--cell-timeout", str(TEST_LIMITS["cell_timeout"]),
               "--student-timeout", str(TEST_LIMITS["student_timeout"]), "--quiet", *extra])
    assert rc == 0
    rows = list(csv.DictReader(open(workdir / "reports" / "grades.csv", newline="")))
    students = {r["student"]: r for r in csv.DictReader(open(workdir / "reports" / "students.csv", newline=""))}
    return {"workdir": workdir, "url": url, "rows": rows, "students": students}


# ---- PostgreSQL: a fresh database on the server .ci/run starts (pytest-postgresql's janitor) ----

def pg_server_url() -> str:
    """$LABGRADE_TEST_PG_URL; the test skips without it, unless LABGRADE_REQUIRE_PG=1 (CI): it fails."""
    url = os.environ.get("LABGRADE_TEST_PG_URL")
    if not url:
        unavailable("LABGRADE_TEST_PG_URL is not set (no PostgreSQL server)", "LABGRADE_REQUIRE_PG")
    return url


@contextmanager
def pg_database(prefix: str = "labgrade_test"):
    """A new, empty database on that server (yields its URL), dropped afterwards."""
    from pytest_postgresql.janitor import DatabaseJanitor

    parts = urlsplit(pg_server_url())
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with DatabaseJanitor(user=parts.username, password=parts.password, host=parts.hostname,
                         port=parts.port or 5432, dbname=name, maintenance_dbname=parts.path.lstrip("/")):
        yield parts._replace(path="/" + name).geturl()
