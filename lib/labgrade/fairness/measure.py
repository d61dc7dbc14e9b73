"""Measure the false-failure rate and the catch rate of the statistical hidden tests.

Each statistical check of :mod:`labcheck` that the hidden tests use is run many
times with fresh seeds (independent draws):

* on a **correct** sampler (initlab's reference): every failure is a false
  failure, a correct student losing points by bad luck;
* on **wrong** samplers (the mistakes of the answer catalogue): every pass is a
  miss.

The checks were designed for a false-failure rate below 1e-6 per check (see
:mod:`labcheck.distributions`); with N draws and no failure observed, the data
only bound it by about 3/N (95 %), so the design bound is the stronger claim and
the measurement is the sanity check.

    labgrade fairness [--draws 1000]
"""

from __future__ import annotations

import math
import time

import numpy as np

import labcheck
from initlab import WeightInitializer as WI
from initlab.initializers import TRUNCATED_NORMAL_STD_CORRECTION as TN

SHAPE = (40, 360)            # strongly asymmetric fans, as in the hidden tests
FAN_IN, FAN_OUT = 360, 40
DESIGN = 1e-6


def _normal(std):
    return lambda shape, rng: np.random.default_rng(rng).standard_normal(shape) * std


def _uniform(bound):
    return lambda shape, rng: np.random.default_rng(rng).uniform(-bound, bound, size=shape)


def _truncated(sigma, cut_sigmas=2.0, clip=False):
    def draw(shape, rng):
        gen = np.random.default_rng(rng)
        z = gen.standard_normal(shape)
        if clip:
            return np.clip(z, -cut_sigmas, cut_sigmas) * sigma
        bad = np.abs(z) > cut_sigmas
        while bad.any():
            z[bad] = gen.standard_normal(int(bad.sum()))
            bad = np.abs(z) > cut_sigmas
        return z * sigma
    return draw


def _orth_uncorrected(shape, rng):
    gen = np.random.default_rng(rng)
    rows, cols = shape[0], math.prod(shape[1:])
    q, _ = np.linalg.qr(gen.standard_normal((max(rows, cols), min(rows, cols))))
    return (q.T if rows < cols else q).reshape(shape)


def _orth_qr_of(draw):
    """QR with the sign correction, of a non-Gaussian matrix drawn by ``draw(gen, shape)``."""
    def sampler(shape, rng):
        gen = np.random.default_rng(rng)
        rows, cols = shape[0], math.prod(shape[1:])
        q, r = np.linalg.qr(draw(gen, (max(rows, cols), min(rows, cols))))
        q = q * np.where(np.diag(r) < 0, -1.0, 1.0)
        return (q.T if rows < cols else q).reshape(shape)
    return sampler


def _orth_svd_original(shape, rng):
    """The original lab's initializer: u or v of an SVD, whichever has the shape (Haar only when wide)."""
    gen = np.random.default_rng(rng)
    flat = (shape[0], math.prod(shape[1:]))
    u, _, v = np.linalg.svd(gen.standard_normal(flat), full_matrices=False)
    return (u if u.shape == flat else v).reshape(shape)


def _stacked(draw):
    """k independent draws of a small weight, stacked to shape (k, *small), as the hidden test pools them."""
    return lambda shape, rng: np.stack([draw(shape[1:], rng) for _ in range(shape[0])])


HE = math.sqrt(2 / FAN_IN)
XAVIER = math.sqrt(2 / (FAN_IN + FAN_OUT))
SIGMA = HE / TN

# name -> (check, correct sampler, {mistake: wrong sampler})
CHECKS = {
    "normal (He normal)": (
        lambda s, seed: labcheck.check_normal_sampler(s, SHAPE, HE, seed=seed, name="he_normal"),
        lambda shape, rng: WI.he_normal(shape, rng=rng),
        {"fan_out instead of fan_in": _normal(math.sqrt(2 / FAN_OUT)),
         "variance used as std (Xavier)": _normal(XAVIER**2),
         "uniform with the right std": _uniform(math.sqrt(3) * HE)},
    ),
    "normal tails (He normal)": (
        lambda s, seed: labcheck.check_normal_sampler(s, SHAPE, HE, seed=seed, name="he_normal"),
        lambda shape, rng: WI.he_normal(shape, rng=rng),
        {"truncated at 2 std, std corrected (Keras)": _truncated(SIGMA)},
    ),
    "uniform (He uniform)": (
        lambda s, seed: labcheck.check_uniform_sampler(s, SHAPE, math.sqrt(3) * HE, seed=seed, name="he_uniform"),
        lambda shape, rng: WI.he_uniform(shape, rng=rng),
        {"bound sqrt(3/n) instead of sqrt(6/n)": _uniform(math.sqrt(3 / FAN_IN)),
         "bound = std": _uniform(HE),
         "normal with the right std": _normal(HE)},
    ),
    "truncated normal (variance scaling)": (
        lambda s, seed: labcheck.check_truncated_normal_sampler(s, SHAPE, SIGMA, seed=seed, name="vs"),
        lambda shape, rng: WI.variance_scaling(shape, 2.0, "fan_in", "truncated_normal", rng=rng),
        {"no 0.8796 correction": _truncated(HE),
         "clipped instead of redrawn": _truncated(SIGMA, clip=True),
         "not truncated": _normal(SIGMA)},
    ),
    "orthogonal (Haar)": (
        lambda s, seed: labcheck.check_orthogonal_sampler(s, (30, 50), seed=seed, name="orthogonal"),
        lambda shape, rng: WI.orthogonal(shape, rng=rng),
        {"QR without sign(diag(R))": _orth_uncorrected,
         "QR of a U(-1, 1) matrix": _orth_qr_of(lambda g, sh: g.uniform(-1, 1, sh)),
         "QR of a U(0, 1) matrix": _orth_qr_of(lambda g, sh: g.random(sh))},
    ),
    "fan_avg, odd fan sum (normal)": (
        lambda s, seed: labcheck.check_normal_sampler(s, (1000, 2, 3), math.sqrt(1 / 2.5), seed=seed, name="vs"),
        _stacked(lambda shape, rng: WI.variance_scaling(shape, 1.0, "fan_avg", "normal", rng=rng)),
        {"integer division (fan_in + fan_out) // 2": _stacked(_normal(math.sqrt(1 / 2)))},
    ),
    "fan_avg, odd fan sum (uniform)": (
        lambda s, seed: labcheck.check_uniform_sampler(s, (200, 3, 4), math.sqrt(9 / 3.5), seed=seed, name="vs"),
        _stacked(lambda shape, rng: WI.variance_scaling(shape, 3.0, "fan_avg", "uniform", rng=rng)),
        {"integer division (fan_in + fan_out) // 2": _stacked(_uniform(math.sqrt(9 / 3)))},
    ),
    "orthogonal (Haar), square": (
        lambda s, seed: labcheck.check_orthogonal_sampler(s, (40, 40), seed=seed, name="orthogonal"),
        lambda shape, rng: WI.orthogonal(shape, rng=rng),
        {"the original lab's SVD (u or v)": _orth_svd_original,
         "QR of a U(-1, 1) matrix": _orth_qr_of(lambda g, sh: g.uniform(-1, 1, sh))},
    ),
    "orthogonal (Haar), tall": (
        lambda s, seed: labcheck.check_orthogonal_sampler(s, (50, 30), seed=seed, name="orthogonal"),
        lambda shape, rng: WI.orthogonal(shape, rng=rng),
        {"the original lab's SVD (u or v)": _orth_svd_original,
         "QR without sign(diag(R))": _orth_uncorrected,
         "QR of a U(-1, 1) matrix": _orth_qr_of(lambda g, sh: g.uniform(-1, 1, sh))},
    ),
}


def rate(check, sampler, draws: int, offset: int = 0) -> int:
    """Number of draws (seeds offset..offset+draws-1) on which ``check`` fails ``sampler``."""
    fails = 0
    for seed in range(offset, offset + draws):
        try:
            check(sampler, seed)
        except AssertionError:
            fails += 1
    return fails


def measure(draws: int = 1000, only: str | None = None, wrong_draws: int | None = None):
    """Return rows (check, sampler, kind, draws, failures).

    ``draws`` independent draws of the correct sampler (its false-failure rate) and ``wrong_draws``
    (default: ``draws``) of each mistaken one (its catch rate)."""
    rows = []
    m = draws if wrong_draws is None else wrong_draws
    for name, (check, correct, wrongs) in CHECKS.items():
        if only and name != only:
            continue
        rows.append((name, "correct (reference)", "correct", draws, rate(check, correct, draws)))
        for mistake, sampler in wrongs.items():
            rows.append((name, mistake, "wrong", m, rate(check, sampler, m, offset=10_000)))
    return rows



def add_arguments(parser) -> None:
    """The options of this module's ``labgrade`` subcommand."""
    parser.add_argument("--draws", type=int, default=1000)


def command(args) -> int:
    start = time.perf_counter()
    rows = measure(args.draws)
    print(f"{'check':<38} {'sampler':<36} {'draws':>6} {'result':>28}")
    ok = True
    for name, sampler, kind, n, fails in rows:
        if kind == "correct":
            upper = 3.0 / n if fails == 0 else fails / n
            res = f"false failures {fails}/{n} (<{upper:.1e})"
            ok &= fails == 0
        else:
            res = f"caught {fails}/{n} ({fails / n:.1%})"
            ok &= fails == n
        print(f"{name:<38} {sampler:<36} {n:>6} {res:>28}")
    def near(sampler, seed):
        return labcheck.check_normal_sampler(sampler, SHAPE, HE, seed=seed, name="he_normal")

    for pct in (2, 4, 6):
        fails = rate(near, _normal((1 + pct / 100) * HE), args.draws, offset=20_000)
        print(f"{'power: normal, std off by ' + str(pct) + '%':<38} {'(not a catalogue mistake)':<36} "
              f"{args.draws:>6} {'caught ' + str(fails) + '/' + str(args.draws):>28}")
    fails = rate(near, _truncated(HE / 0.9865783925581086, cut_sigmas=3.0), args.draws, offset=30_000)
    print(f"{'power: normal truncated at 3 std':<38} {'(not a catalogue mistake)':<36} "
          f"{args.draws:>6} {'caught ' + str(fails) + '/' + str(args.draws):>28}")
    print(f"design bound of each check's false-failure rate: {DESIGN:g}; "
          f"measured in {time.perf_counter() - start:.0f} s")
    return 0 if ok else 1
