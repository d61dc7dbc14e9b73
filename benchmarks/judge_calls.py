"""Benchmark: a call of a student's function through the judge, against the same call in-process.

The hidden tests of Part 2 call the student's samplers about 4,000 times (``labcheck``'s
distribution checks); in ``isolation = "judge"`` each call crosses to the sandboxed worker and
back (arguments, value, both global random states, Generators' states). This starts a worker
(:mod:`labgrade.sandbox.judge`), binds a student's ``orthogonal`` and times ``--calls`` calls
through the proxy and the same number of the same function run here. Prints milliseconds per
call and the ratio; asserts nothing.

    python -m benchmarks.judge_calls [--calls 2000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import numpy as np

from labgrade.sandbox import judge

STUDENT = """
import numpy as np


def orthogonal(shape, gain=1.0, *, rng=None):
    rng = np.random.default_rng(rng)
    n_out = shape[0]
    n_in = int(np.prod(shape[1:]))
    a = rng.standard_normal((max(n_out, n_in), min(n_out, n_in)))
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diag(r))
    w = q.T if n_out < n_in else q
    return gain * w.reshape(shape)
"""


def per_call(f, calls: int, rng) -> float:
    t0 = time.perf_counter()
    for _ in range(calls):
        f((30, 50), rng=rng)
    return (time.perf_counter() - t0) / calls


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.judge_calls", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3, help="rounds, alternating (medians)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="labgrade-judge-calls-") as tmp:
        os.environ[judge.FLAGS_ENV] = os.path.join(tmp, "flags.jsonl")
        judge._worker = judge.Worker(timeout=600)
        try:
            proxied: dict = {"np": np}
            judge.mirror("import numpy as np\n", "Cell [imports]")
            judge.run_student_cell(STUDENT, ["orthogonal"], proxied)
            local: dict = {}
            exec(compile(STUDENT, "student", "exec"), local)
            rng = np.random.default_rng(0)
            per_call(proxied["orthogonal"], 50, rng)                  # warm-up
            through, here = [], []
            for _ in range(args.repeat):
                through.append(per_call(proxied["orthogonal"], args.calls, rng))
                here.append(per_call(local["orthogonal"], args.calls, rng))
        finally:
            judge._worker.kill()
            judge._worker = None
    t, h = statistics.median(through), statistics.median(here)
    print(f"orthogonal((30, 50)), {args.calls} calls x {args.repeat} rounds, medians")
    print(f"  in this process        {h * 1e3:7.3f} ms a call")
    print(f"  through the judge      {t * 1e3:7.3f} ms a call   ({t / h:.1f} x; "
          f"the judge's cost {1e3 * (t - h):.3f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
