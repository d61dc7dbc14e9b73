"""Fixtures of the grading tests."""

from __future__ import annotations

import os
import uuid

import psutil
import pytest

from helpers.classes import SharedRuns, grade_sample_class


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


@pytest.fixture(scope="session")
def shared_runs(tmp_path_factory, worker_id):
    base = tmp_path_factory.getbasetemp()
    return SharedRuns((base if worker_id == "master" else base.parent) / "shared-runs")


@pytest.fixture(scope="session")
def sample_class_run(shared_runs):
    """The sample class graded once per session (SQLite gradebook, 2 jobs, judge isolation)."""
    return shared_runs.get("sample-class", grade_sample_class)
