"""labgrade.course.schema: nbgrader's gradebook stamp read in process, and gradebooks made with it."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from labgrade.course.paths import tool_env
from labgrade.course.schema import alembic_head, create_gradebook
from labgrade.grading import gradebook as gbm


def test_the_inprocess_alembic_head_is_what_nbgrader_stamps():
    """nbgrader stamps a new gradebook with ``alembic heads``, run as a subprocess (3 s); labgrade
    reads the same revision through alembic's API. In a fresh process nbgrader's own function runs."""
    theirs = subprocess.run([sys.executable, "-c", "from nbgrader.api import get_alembic_version as v; print(v())"],
                            env=tool_env(), capture_output=True, text=True, check=True).stdout.strip()
    assert theirs and alembic_head() == theirs


def test_a_gradebook_made_by_labgrade_carries_nbgraders_schema_revision(tmp_path):
    url = gbm.default_db_url(tmp_path)
    with gbm.open_gradebook(url, "default_course") as gb:
        gb.update_or_create_student("s1")
    con = sqlite3.connect(gbm.sqlite_path(url))
    try:
        (stamp,) = con.execute("SELECT version_num FROM alembic_version").fetchone()
    finally:
        con.close()
    assert stamp == alembic_head()
    # and nbgrader's command line accepts it as current: `nbgrader db upgrade` has nothing to do
    res = subprocess.run([sys.executable, "-m", "nbgrader", "db", "upgrade", f"--db={url}"],
                         cwd=tmp_path, env=tool_env(), capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_create_gradebook_makes_what_nbgrader_makes(tmp_path):
    """The throwaway gradebook of ``generate_release``: same tables and stamp as nbgrader's own."""
    ours, theirs = tmp_path / "ours.db", tmp_path / "theirs.db"
    create_gradebook(f"sqlite:///{ours}")
    make = "import sys; from nbgrader.api import Gradebook; Gradebook(sys.argv[1]).close()"
    subprocess.run([sys.executable, "-c", make, f"sqlite:///{theirs}"], env=tool_env(), check=True)

    def schema(path):
        con = sqlite3.connect(path)
        try:
            return (sorted(con.execute("SELECT type, name, sql FROM sqlite_master")),
                    con.execute("SELECT version_num FROM alembic_version").fetchall())
        finally:
            con.close()

    assert schema(ours) == schema(theirs)
    create_gradebook(f"sqlite:///{ours}")        # there already: left as it is
    assert schema(ours) == schema(theirs)
