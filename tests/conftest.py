"""Settings every test run needs, whether started by `make test` or by plain `pytest`.

One BLAS thread per process: the lab's matrices are small, and the tests run several kernels
and grading processes in parallel (pytest-xdist, labgrade --jobs), where more threads only
contend for the cores. Set before numpy is first imported (conftest files load first), and
inherited by every kernel and worker the tests start.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
