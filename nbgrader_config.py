"""nbgrader configuration of the course (the repository root is the course directory).

One assignment, ``weight_init``: the ten notebooks of Lab 4.4 in source/weight_init/.
Grading limits (per-cell timeout, per-student time and memory) live in
``course.toml`` and are read by the grading tool (``labgrade``).
"""

import os

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "lab44-weight-init"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.db_url = os.environ.get("LABGRADE_DB_URL", "sqlite:///" + os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "gradebook.db"))

# What a student sees in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Notebooks always run on the course kernel, whatever a submission's metadata says.
c.OverwriteKernelspec.enabled = True
c.Execute.timeout = 120          # per cell, seconds
c.Execute.interrupt_on_timeout = True

# Isolated grading (docs/isolation.md): labgrade sets LABGRADE_ISOLATION=judge (course.toml's
# default) for the autograde it runs; the student's code then runs in a sandboxed worker
# process and the tests in nbgrader's kernel (labgrade/isolation.py). A bare
# `nbgrader autograde` without that variable grades as plain nbgrader.
if os.environ.get("LABGRADE_ISOLATION", "") == "judge":
    from labgrade.sandbox.isolation import configure as _configure_judge

    _configure_judge(c)

# The next notebook's kernel started while the current one runs (labgrade/grading/ahead.py), when
# labgrade's runner asks for it (LABGRADE_KERNELS_AHEAD: the notebooks it staged for this student).
if os.environ.get("LABGRADE_KERNELS_AHEAD", ""):
    from labgrade.grading.ahead import configure as _configure_ahead

    _configure_ahead(c)
