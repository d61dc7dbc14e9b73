"""Settings every pytest run needs, whether started by ``make test`` or by plain ``pytest``.

This file sits at the repository root so that pytest imports it first, before any test
module, doctest module or plugin of ours imports numpy.

One BLAS thread per process: the lab's matrices are small, and the tests run several
kernels and grading processes in parallel (pytest-xdist, ``labgrade --jobs``), where more
threads only contend for the cores (plain ``pytest`` was about 18x slower than ``make test``
before). OpenBLAS and OpenMP read these variables once, when numpy loads its BLAS, so they
must be set before ``import numpy``; xdist workers, nbval kernels and grading processes
started by the tests inherit them from ``os.environ``. ``setdefault``: a value given on the
command line or by the Makefile wins.

Doctests (``--doctest-modules`` in pyproject.toml) cover ``lib/initlab`` and
``lib/labcheck`` only: ``lib/labgrade`` imports nbgrader, the sandbox and the gradebook at
module level, and ``nbgrader_config.py`` only runs inside nbgrader.
"""

import os
import sys
import warnings

_BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

for _var in _BLAS_THREAD_VARS:
    os.environ.setdefault(_var, "1")

if "numpy" in sys.modules:  # a plugin imported numpy first: its BLAS has already read the variables
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        warnings.warn("numpy was imported before conftest.py set one BLAS thread; "
                      "set OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 in the environment", stacklevel=1)
    else:
        threadpool_limits(limits=1)

collect_ignore = ["lib/labgrade", "nbgrader_config.py", ".ci"]



# --- the order of test files: the longest first -------------------------------------------------
# ``make test`` runs pytest-xdist with ``--dist loadfile``: each file goes whole to one worker, and a
# worker takes the next file when it is done. By default xdist queues the files by their number of tests
# (``--loadscope-reorder``), which put the 173 quick course.toml cases first and the longest files (the
# hostile catalogue, the differential, the rendered notebooks) late, so the run ended with one worker
# busy and the others idle. ``make test`` passes ``--no-loadscope-reorder``: the files go in the order
# collected, which this hook sets. Longest first (the classic LPT schedule) keeps them busy
# to the end. Seconds: the file's setups and calls in `bash .ci/run` at 0bb61b7 (--durations=25, 3
# workers on 2 cores); a file missing here keeps its place after these. Only the order changes: tests
# in a file keep theirs, and every file still runs.
LONGEST_FIRST = {
    "tests/labgrade/grading/test_sample_class.py": 385,
    "tests/labgrade/sandbox/test_hostile.py": 271,
    "tests/hub/test_course_cycle.py": 235,
    "tests/labgrade/variants/test_differential.py": 228,
    "tests/labgrade/grading/test_ahead.py": 183,
    "notebooks/06_training_comparison.ipynb": 152,
    "tests/labgrade/fairness/test_fairness.py": 135,
    "tests/labgrade/grading/test_dask.py": 131,
    "tests/labgrade/grading/test_retries.py": 117,
    "tests/bundle/test_student_bundle.py": 100,
    "tests/labgrade/grading/test_limits.py": 81,
    "tests/labgrade/grading/test_regrade.py": 43,
    "notebooks/07_performance_analysis.ipynb": 36,
}


def pytest_collection_modifyitems(session, config, items):
    root = str(config.rootpath)

    def weight(item) -> int:
        path = str(item.path)
        rel = path[len(root) + 1:] if path.startswith(root + os.sep) else path
        return -LONGEST_FIRST.get(rel.replace(os.sep, "/"), 0)

    items[:] = sorted(items, key=weight)     # stable: the rest keep the collected order
