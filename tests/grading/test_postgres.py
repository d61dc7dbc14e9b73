"""Parallel grading against a real PostgreSQL server (started by .ci/run).

Set LABGRADE_TEST_PG_URL=postgresql://user:password@127.0.0.1:port/db to run it; the
test skips without it, unless LABGRADE_REQUIRE_PG=1 (CI), where it fails instead.
The test grades into a database of its own (created, then dropped) when the role may
create databases, else into a fresh schema of the given database.
"""

from __future__ import annotations

import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
from conftest import build_sample, grade
from sample_expectations import STUDENT_STATUS, expected_points, graded_items

from labgrade import ASSIGNMENT
from labgrade.gradebook import open_gradebook

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

STUDENTS = ["s01_correct", "s02_untouched", "s03_variance_as_std", "s05_original_lab", "s09_late",
            "s12_kernel_dies", "s14_no_submission"]
NOTEBOOKS = ["01", "04"]


@pytest.fixture
def pg_url():
    url = os.environ.get("LABGRADE_TEST_PG_URL")
    if not url:
        if os.environ.get("LABGRADE_REQUIRE_PG") == "1":
            pytest.fail("LABGRADE_REQUIRE_PG=1 but LABGRADE_TEST_PG_URL is not set")
        pytest.skip("LABGRADE_TEST_PG_URL is not set (no PostgreSQL server)")
    import psycopg2

    name = f"labgrade_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(url)
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        parts = urlsplit(url)
        yield urlunsplit(parts._replace(path="/" + name))
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except psycopg2.errors.InsufficientPrivilege:
        with admin.cursor() as cur:
            cur.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
        yield url
    finally:
        admin.close()


def test_parallel_grading_on_postgresql(tmp_path, pg_url, process_marker):
    ws, _ = build_sample(tmp_path, STUDENTS, NOTEBOOKS)
    res = grade(ws, STUDENTS, db_url=pg_url, jobs=3, report=True)
    url = res["url"]           # normalized: postgresql+psycopg2://
    assert url.startswith("postgresql")
    assert not (tmp_path / "gradebook.db").exists(), "graded into SQLite instead"
    items = graded_items(ws.root / "source" / ASSIGNMENT)
    assert {nb for nb, *_ in items} == {"01_mathematical_foundations", "04_activation_statistics"}
    with open_gradebook(url) as gb:
        assert gb.engine.dialect.name == "postgresql"
        assert gb.find_assignment(ASSIGNMENT).duedate is not None
        for student in STUDENTS:
            want = expected_points(student, items)
            if student == "s14_no_submission":
                continue
            sub = gb.find_submission(ASSIGNMENT, student)
            got = {(nb.name, g.name): float(g.score) for nb in sub.notebooks for g in nb.grades}
            assert got == want, student
    statuses = {s.student: s.status for s in res["summaries"]}
    assert statuses == {s: STUDENT_STATUS[s] for s in STUDENTS}
    assert (ws.reports / "item_analysis.html").exists()
    assert list((ws.feedback / "s03_variance_as_std" / ASSIGNMENT).glob("*.html"))
    assert not process_marker()

