"""Helpers of the grading tests: build (part of) the sample class and grade it with labgrade."""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import psutil
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from labgrade.build import generate_release  # noqa: E402
from labgrade.cli import run  # noqa: E402
from labgrade.config import load_settings  # noqa: E402
from labgrade.gradebook import default_db_url  # noqa: E402
from labgrade.mutations import STUDENTS  # noqa: E402
from labgrade.runner import course_workspace  # noqa: E402
from labgrade.sample import build_class  # noqa: E402

# limits of the test runs: short enough to keep the suite fast, long enough for a loaded CI machine
TEST_LIMITS = {"cell_timeout": 20, "student_timeout": 300}


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


@pytest.fixture
def process_marker(monkeypatch):
    """An environment marker inherited by every process grading starts; yields a function
    returning the marked processes still alive (there must be none after grading)."""
    mark = uuid.uuid4().hex
    monkeypatch.setenv("LABGRADE_TEST_MARK", mark)

    def alive():
        found = []
        for p in psutil.process_iter(["pid", "name"]):
            if p.pid == os.getpid():
                continue
            try:
                if p.environ().get("LABGRADE_TEST_MARK") == mark and p.status() != psutil.STATUS_ZOMBIE:
                    found.append(p)
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
        return found

    return alive
