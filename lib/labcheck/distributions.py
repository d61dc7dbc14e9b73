"""Distribution checks for random initializers.

An answer is graded on the *distribution* of what it draws, at fixed seeds,
never on the exact numbers: ``rng.normal(0, s, shape)``,
``rng.standard_normal(shape) * s`` and a loop over rows all pass.

Design of the false-failure rate (the chance a correct answer fails), per check:

* mean within 6 standard errors, std within 6 standard errors
  (:math:`\\sigma/\\sqrt{2n}`): 2e-9 each (normal tails);
* Kolmogorov-Smirnov test against the exact distribution at level 1e-6;
* the largest magnitude of a uniform sample within a relative ``20/n`` of the
  bound: :math:`(1 - 20/n)^n < e^{-20} = 2\\times10^{-9}`;
* the tails of a normal sample: the number of values beyond 2 and beyond 3
  standard deviations, each an exact binomial test at level 1e-7 (a truncated
  normal with the right std passes the std and KS checks about half the time,
  the tail test never);
* the Haar test of orthogonal matrices: four statistics of independent draws,
  each a KS test at level 1e-8 (4e-8 for the four; over 20 seeds the catalogue's
  non-Haar samplers gave p-values below 1e-21): two entries and the
  projection on the all-ones directions against the exact Beta law of an entry
  of a Haar matrix, and the fourth moment of the first column (or row) against
  20,000 uniform random unit vectors (two-sample KS);
* the largest magnitude of a normal truncated at :math:`\\pm 2\\sigma` within ``180/n`` standard
  deviations of :math:`2\\sigma`: the truncated density is at least 0.0566 per
  :math:`\\sigma` near each end, so this fails with probability below
  :math:`e^{-0.113 \\cdot 180} = 1.4\\times10^{-9}`.

So a correct answer fails an item with probability below 1e-5 even when an
item runs several checks. The measured rates are printed by
``labgrade fairness``.
"""

from __future__ import annotations

import math

import numpy as np

from initlab import _guard

from .core import check_array

__all__ = ["check_normal_sampler", "check_uniform_sampler", "check_truncated_normal_sampler",
           "check_orthogonal_sampler", "check_rng_handling", "haar_statistics", "KS_ALPHA", "HAAR_ALPHA",
           "Z_SIGMAS", "TAIL_ALPHA"]

KS_ALPHA = 1e-6
HAAR_ALPHA = 1e-8
Z_SIGMAS = 6.0
TAIL_ALPHA = 1e-7


def _draw(sampler, shape, rng, forbidden, name):
    with _guard.forbid(*forbidden) as seen:
        try:
            W = sampler(shape, rng=rng)
        except _guard.ReferenceCalledError:
            W = None
    if seen:
        raise AssertionError(
            f"{name} calls initlab's reference implementation ({', '.join(sorted(set(seen)))}). "
            f"Write it yourself with numpy; no credit for calling initlab."
        )
    return W


def _ks_pvalue(sample, cdf) -> float:
    from scipy import stats

    return float(stats.kstest(np.ravel(sample), cdf).pvalue)


def _match_mistake(observed, mistakes, tolerance):
    """The mistake whose value ``observed`` matches; all of them if several match (a hint is a claim)."""
    matching = [description for description, value in (mistakes or {}).items()
                if value > 0 and abs(observed - value) <= tolerance * value]
    if len(matching) > 1:
        return "one of these happens: " + "; ".join(matching)
    return matching[0] if matching else None


def check_normal_sampler(sampler, shape, std, *, seed, name, mistakes=None, forbidden=()):
    """Assert ``sampler(shape, rng=...)`` draws i.i.d. N(0, std**2) values of ``shape``.

    ``mistakes`` maps a description of a likely mistake ("fan_in and fan_out
    swapped") to the std it would produce; the failure message names it.
    """
    from scipy import stats

    W = check_array(_draw(sampler, shape, np.random.default_rng(seed), forbidden, name), name, shape)
    n = W.size
    mean, s = float(W.mean()), float(W.std())
    if abs(s - std) > Z_SIGMAS * std / math.sqrt(2 * n):
        mistake = _match_mistake(s, mistakes, Z_SIGMAS / math.sqrt(2 * n))
        ratio = s / std
        if mistake:
            raise AssertionError(
                f"{name}: the standard deviation of your weights is {ratio:.3g} times the "
                f"expected one. That is what you get when {mistake}."
            )
        raise AssertionError(
            f"{name}: the standard deviation of your weights is {ratio:.3g} times the expected "
            f"one. Check the formula of the std (and that you take the square root of the variance)."
        )
    if abs(mean) > Z_SIGMAS * std / math.sqrt(n):
        raise AssertionError(f"{name}: your weights do not have mean 0 (mean is {mean / std:.3g} std).")
    if _ks_pvalue(W, stats.norm(0, std).cdf) < KS_ALPHA:
        kurt = float(stats.kurtosis(W.ravel()))
        hint = " They look uniform: use a normal distribution here." if kurt < -0.9 else ""
        raise AssertionError(f"{name}: your weights have the right std but are not normally distributed.{hint}")
    _check_normal_tails(W, std, name)
    return W


def _check_normal_tails(W, std, name):
    """Exact binomial tests of the counts beyond 3 and 2 std (level TAIL_ALPHA each)."""
    from scipy import stats

    x = np.abs(np.ravel(W))
    n = x.size
    for k in (3.0, 2.0):                      # the far tail first: a truncation shows there
        p = float(2 * stats.norm.sf(k))
        count = int(np.count_nonzero(x > k * std))
        if stats.binomtest(count, n, p).pvalue < TAIL_ALPHA:
            if count == 0:
                raise AssertionError(
                    f"{name}: none of your {n} weights lies beyond {k:g} standard deviations, where a "
                    f"normal distribution puts about {n * p:.0f} of them: your distribution has no tails "
                    f"(a truncated normal, for example). This initializer is a plain normal, as PyTorch's; "
                    f"only variance_scaling(..., distribution='truncated_normal') truncates."
                )
            raise AssertionError(
                f"{name}: {count} of your {n} weights lie beyond {k:g} standard deviations, where a normal "
                f"distribution puts about {n * p:.0f} (your largest |weight| is {x.max() / std:.3g} standard "
                f"deviations): the tails of your distribution are not normal."
            )


def check_uniform_sampler(sampler, shape, bound, *, seed, name, mistakes=None, forbidden=()):
    """Assert ``sampler(shape, rng=...)`` draws i.i.d. U(-bound, bound) values of ``shape``.

    ``mistakes`` maps a description of a likely mistake to the bound it would produce.
    """
    from scipy import stats

    W = check_array(_draw(sampler, shape, np.random.default_rng(seed), forbidden, name), name, shape)
    n = W.size
    top = float(np.abs(W).max())
    if top > bound * (1 + 1e-12) or top < bound * (1 - 20.0 / n):
        mistake = _match_mistake(top, {k: v for k, v in (mistakes or {}).items()}, 20.0 / n)
        ratio = top / bound
        if mistake:
            raise AssertionError(
                f"{name}: the bound of your uniform distribution is {ratio:.3g} times the "
                f"expected one. That is what you get when {mistake}."
            )
        if abs(top / bound - 1 / math.sqrt(3)) < 0.05:
            raise AssertionError(
                f"{name}: the bound is {ratio:.3g} times the expected one, which is the std, not the bound. "
                f"For U(-a, a) the std is a/sqrt(3): the bound is sqrt(3) times the std."
            )
        if abs(top / bound - math.sqrt(3)) < 0.05:
            raise AssertionError(
                f"{name}: the bound is {ratio:.3g} (about sqrt(3)) times the expected one. The bound of "
                f"U(-a, a) is sqrt(3 * variance), i.e. sqrt(3) times the std, once."
            )
        raise AssertionError(
            f"{name}: the largest |weight| is {ratio:.3g} times the expected bound. Check the "
            f"formula of the bound."
        )
    if _ks_pvalue(W, stats.uniform(-bound, 2 * bound).cdf) < KS_ALPHA:
        raise AssertionError(
            f"{name}: your weights stay within the right bound but are not uniformly distributed "
            f"on it (use rng.uniform(-a, a, size=shape))."
        )
    return W


def _match_distribution(sample, mistakes):
    """The first mistake whose distribution the sample is consistent with (KS), or None."""
    from scipy import stats

    for description, dist in (mistakes or {}).items():
        if not hasattr(dist, "cdf"):
            if not dist > 0:
                continue
            dist = stats.truncnorm(-2.0, 2.0, scale=float(dist))
        if _ks_pvalue(sample, dist.cdf) >= KS_ALPHA:
            return description
    return None


def check_truncated_normal_sampler(sampler, shape, sigma, *, seed, name, mistakes=None, forbidden=()):
    """Assert ``sampler(shape, rng=...)`` draws i.i.d. N(0, sigma**2) values truncated to [-2 sigma, 2 sigma].

    ``sigma`` is the std of the normal *before* truncation, so the sample is
    tested against ``scipy.stats.truncnorm(-2, 2, scale=sigma)``, whose std is
    ``0.8796... * sigma`` (Keras divides the target std by 0.8796... to get
    ``sigma``). Values beyond the cut must be redrawn, not clipped.

    ``mistakes`` maps a description of a likely mistake to the distribution
    it would produce: a frozen scipy distribution, or a number ``s`` standing
    for a normal of std ``s`` truncated at ``+-2 s``. The message names the
    first mistake the sample is consistent with (KS at the same level).
    """
    from scipy import stats

    W = check_array(_draw(sampler, shape, np.random.default_rng(seed), forbidden, name), name, shape)
    x = W.ravel()
    n = x.size
    expected = stats.truncnorm(-2.0, 2.0, scale=sigma)
    cut = 2.0 * sigma
    top = float(np.abs(x).max())
    too_far = top > cut * (1 + 1e-12)
    too_short = top < cut - min(180.0 / n, 2.0) * sigma
    # A continuous sampler never repeats its largest magnitude; clipping piles values there.
    clipped = int(np.count_nonzero(np.abs(x) >= top * (1 - 1e-12))) >= 3
    if not too_far and not too_short and not clipped and _ks_pvalue(x, expected.cdf) >= KS_ALPHA:
        return W
    ratio = float(x.std()) / float(expected.std())
    mistake = _match_distribution(x, mistakes)
    if mistake:
        raise AssertionError(
            f"{name}: your weights do not follow the expected truncated normal (their std is "
            f"{ratio:.3g} times the expected one). That is what you get when {mistake}."
        )
    at_edge = int(np.count_nonzero(np.abs(x) >= top * (1 - 1e-12)))
    if at_edge >= 3:
        raise AssertionError(
            f"{name}: {at_edge} of your weights sit exactly at the largest magnitude: you clipped the "
            f"values beyond the cut (np.clip) instead of redrawing them."
        )
    if too_far:
        if top > 3.0 * sigma:
            raise AssertionError(
                f"{name}: your weights are not truncated (the largest |weight| is {top / cut:.3g} times "
                f"the cut at 2 sigma). Redraw every value with |x| > 2 sigma until none is left."
            )
        raise AssertionError(
            f"{name}: some of your weights lie beyond the cut at 2 sigma (the largest |weight| is "
            f"{top / cut:.3g} times the cut). sigma, the std before truncation, is the target std "
            f"divided by 0.8796..."
        )
    if too_short:
        raise AssertionError(
            f"{name}: your largest |weight| is only {top / cut:.3g} times the expected cut at 2 sigma, "
            f"so you truncate too early. sigma, the std before truncation, is the target std divided "
            f"by 0.8796...; truncate at 2 sigma, not at 2 times the target std."
        )
    kurt = float(stats.kurtosis(x))
    hint = ""
    if kurt < -1.0:
        hint = " They look uniform: draw from a normal and redraw the values beyond 2 sigma."
    raise AssertionError(
        f"{name}: your weights stay within the cut at 2 sigma but are not distributed as a truncated "
        f"normal (their std is {ratio:.3g} times the expected one).{hint}"
    )


def _small_like(shape):
    """A small shape of the same kind as ``shape``: square, tall or wide, with as many dimensions."""
    rows, cols = shape[0], math.prod(shape[1:])
    r, c = (5, 5) if rows == cols else (6, 4) if rows > cols else (4, 6)
    return (r, c) + (1,) * (len(shape) - 2)


_UNIT_FOURTH_MOMENT = {}


def _reference_fourth_moments(m: int) -> np.ndarray:
    """sum(u**4) of 20,000 uniform random unit vectors of R^m (fixed seed; the null of the 4th test)."""
    if m not in _UNIT_FOURTH_MOMENT:
        g = np.random.default_rng(2014 + m).standard_normal((20_000, m))
        u = g / np.linalg.norm(g, axis=1, keepdims=True)
        _UNIT_FOURTH_MOMENT[m] = (u**4).sum(axis=1)
    return _UNIT_FOURTH_MOMENT[m]


def haar_statistics(matrices, gain=1.0) -> np.ndarray:
    """Four statistics of each matrix (rows of the result) for the Haar test.

    For ``M`` of shape ``(r, c)`` drawn from the Haar measure on the matrices
    with orthonormal rows (``r <= c``) or columns (``r > c``), with
    ``m = max(r, c)``: ``M[0, 0]``, ``M[-1, -1]`` and ``u^T M v`` (``u``, ``v``
    the normalized all-ones vectors) are each distributed as an entry of a Haar
    ``m x m`` matrix, ``(q + 1) / 2 ~ Beta((m-1)/2, (m-1)/2)``; the first column
    (``r >= c``) or row (``r < c``), of length ``m``, is a uniform random unit
    vector, whose fourth moment ``sum(u**4)`` is the fourth statistic.
    """
    out = []
    for M in matrices:
        M = np.asarray(M, dtype=np.float64).reshape(np.shape(M)[0], -1) / gain
        r, c = M.shape
        u, v = np.full(r, 1 / math.sqrt(r)), np.full(c, 1 / math.sqrt(c))
        long = M[:, 0] if r >= c else M[0, :]
        out.append((M[0, 0], M[-1, -1], u @ M @ v, float((long**4).sum())))
    return np.array(out)


def check_orthogonal_sampler(sampler, shape, gain=1.0, *, seed, name, forbidden=(), haar_draws=1000):
    """Assert ``sampler`` returns (semi-)orthogonal matrices times ``gain``, Haar-distributed.

    Orthonormal rows when ``n_out <= n_in`` (columns otherwise). The Haar test
    draws ``haar_draws`` small matrices of the same kind as ``shape`` (square,
    tall or wide, as many dimensions) and tests four statistics of the whole
    distribution (:func:`haar_statistics`), each at level ``HAAR_ALPHA``.
    """
    from scipy import stats

    rng = np.random.default_rng(seed)
    W = check_array(_draw(sampler, shape, rng, forbidden, name), name, shape)
    M = W.reshape(shape[0], -1)
    rows = M.shape[0] <= M.shape[1]
    gram = M @ M.T if rows else M.T @ M
    err = float(np.abs(gram - gain**2 * np.eye(gram.shape[0])).max())
    if err > 1e-8 * max(1.0, gain**2):
        which = "rows" if rows else "columns"
        diag = np.diag(gram)
        if np.allclose(gram, np.diag(diag), atol=1e-8 * max(1.0, gain**2)):
            raise AssertionError(
                f"{name}: the {which} are orthogonal but their norms are not {gain:g} "
                f"(norms range {math.sqrt(diag.min()):.3g} to {math.sqrt(diag.max()):.3g}): normalize "
                f"them and multiply by gain."
            )
        raise AssertionError(
            f"{name}: the {which} of your matrix are not orthonormal (W W^T should be gain^2 I "
            f"when n_out <= n_in, W^T W otherwise). Use the Q factor of a QR decomposition."
        )
    small = _small_like(shape)
    m = max(small[0], math.prod(small[1:]))
    draws = []
    for _ in range(haar_draws):
        draws.append(check_array(_draw(sampler, small, rng, forbidden, name), name, small))
    T = haar_statistics(draws, gain)
    kind = "square" if small[0] == m == math.prod(small[1:]) else "tall" if small[0] == m else "wide"
    where = f"(tested on {haar_draws} draws of shape {small}, a {kind} one)"
    if np.all(T[:, 0] < 0) or np.all(T[:, 0] > 0):
        raise AssertionError(
            f"{name}: W[0, 0] has the same sign in every draw {where}, so the matrices are not "
            f"uniformly (Haar) distributed. The Q factor of the QR decomposition of a standard normal "
            f"matrix is Haar once its columns are multiplied by sign(diag(R)) (Mezzadri 2007); without "
            f"that correction, or from a matrix with non-negative entries, one sign is favoured."
        )
    beta = stats.beta((m - 1) / 2, (m - 1) / 2)
    if min(_ks_pvalue((T[:, k] + 1) / 2, beta.cdf) for k in range(3)) < HAAR_ALPHA:
        raise AssertionError(
            f"{name}: your orthogonal matrices are orthonormal but not uniformly (Haar) distributed "
            f"{where}: the law of their entries differs from a Haar matrix's. Start from a standard normal "
            f"matrix, take Q from its QR decomposition and multiply Q's columns by sign(diag(R))."
        )
    if float(stats.ks_2samp(T[:, 3], _reference_fourth_moments(m)).pvalue) < HAAR_ALPHA:
        raise AssertionError(
            f"{name}: your orthogonal matrices are orthonormal but not uniformly (Haar) distributed "
            f"{where}: their rows (or columns) are not uniformly distributed directions. Haar matrices "
            f"come from the QR decomposition of a matrix with standard normal entries (another "
            f"distribution of the entries, uniform for example, favours some directions), with Q's "
            f"columns multiplied by sign(diag(R))."
        )
    return W


def check_rng_handling(sampler, shape, *, name, forbidden=()):
    """Assert ``sampler`` draws from its ``rng`` argument, and only from it.

    Equal int seeds give equal results, a Generator's stream continues from
    call to call, and numpy's global random state is neither used nor changed.
    """
    state = np.random.get_state()
    try:
        np.random.seed(12345)
        a = check_array(_draw(sampler, shape, 2024, forbidden, name), name, shape)
        np.random.seed(54321)
        b = check_array(_draw(sampler, shape, 2024, forbidden, name), name, shape)
        if not np.array_equal(a, b):
            raise AssertionError(
                f"{name}: two calls with rng=2024 gave different weights, so your function "
                f"draws from numpy's global random state. Draw with "
                f"rng = np.random.default_rng(rng), then rng.standard_normal(...) or rng.uniform(...)."
            )
        np.random.seed(7)
        before = np.random.get_state()[1].copy()
        gen = np.random.default_rng(99)
        c = _draw(sampler, shape, gen, forbidden, name)
        d = _draw(sampler, shape, gen, forbidden, name)
        if not np.array_equal(np.random.get_state()[1], before):
            raise AssertionError(f"{name}: your function changes numpy's global random state; use rng only.")
        if np.array_equal(c, d):
            raise AssertionError(
                f"{name}: two calls with the same Generator returned the same weights. Pass the "
                f"Generator through (np.random.default_rng(rng) returns it unchanged) instead of "
                f"re-seeding."
            )
    finally:
        np.random.set_state(state)
