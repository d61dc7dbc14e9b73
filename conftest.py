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

