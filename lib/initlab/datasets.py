"""The synthetic data sets of Parts 4 and 6, standardized.

Introduced in ``source/weight_init/04_activation_statistics.ipynb``
(:func:`make_activation_data`) and ``06_training_comparison.ipynb``
(:func:`make_training_data`).

Both use scikit-learn's ``make_classification`` algorithm, as the lab does, in
a numpy port (:func:`make_classification`) that returns exactly scikit-learn's
arrays for the same seed but spares each notebook the 0.8 s import of
scikit-learn. The port is given an ``int`` seed drawn from ``rng``, so a seed
(or a generator) reproduces the data and numpy's global state is never used.

Difference from the lab, on purpose: the Part 4 features are standardized
(mean 0, std 1 per feature). The raw ``make_classification`` features have a
std of about 5, and with them He initialization shows pre-activation stds
around 9 that seem to "grow", the opposite of what the part teaches; the
variance analysis of Glorot & Bengio (2010) and He et al. (2015) assumes inputs
of unit variance.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._validation import check_random_state

__all__ = ["make_activation_data", "make_training_data", "standardize"]


def _check_count(value, *, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r} of type {type(value).__name__}.")
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}.")
    return int(value)


def _int_seed(gen: np.random.Generator) -> int:
    return int(gen.integers(0, 2**31 - 1))


def standardize(X, mean=None, std=None):
    """Standardize the rows (features) of ``X`` of shape ``(features, samples)``.

    Parameters
    ----------
    X : array of shape (n_features, n_samples)
    mean, std : arrays of shape (n_features, 1), optional
        Statistics to use (for a test set: those of the training set). By
        default they are computed from ``X`` (population std); a feature with
        std 0 is only centred.

    Returns
    -------
    X_std, mean, std

    Examples
    --------
    >>> Xs, mu, sd = standardize(np.array([[1.0, 3.0], [2.0, 2.0]]))
    >>> Xs
    array([[-1.,  1.],
           [ 0.,  0.]])
    """
    X = np.asarray(X, dtype=np.float64)
    if mean is None:
        mean = X.mean(axis=1, keepdims=True)
    if std is None:
        std = X.std(axis=1, keepdims=True)
        std = np.where(std > 0, std, 1.0)
    return (X - mean) / std, mean, std


def _hypercube_vertices(n_vertices: int, n_dims: int, state: np.random.RandomState) -> np.ndarray:
    """Distinct vertices of {0, 1}^n_dims, drawn as scikit-learn's ``_generate_hypercube``."""
    if n_dims > 30:
        return np.hstack([state.randint(2, size=(n_vertices, n_dims - 30)),
                          _hypercube_vertices(n_vertices, 30, state)])
    population = 2**n_dims
    if n_vertices / population < 0.01:  # scikit-learn's "tracking selection"
        chosen, out = set(), np.empty(n_vertices, dtype=np.int64)
        for i in range(n_vertices):
            j = state.randint(population)
            while j in chosen:
                j = state.randint(population)
            chosen.add(j)
            out[i] = j
    else:  # scikit-learn's "pool" method is a permutation prefix
        out = state.permutation(population)[:n_vertices]
    out = out.astype(">u4")
    return np.unpackbits(out.view(">u1")).reshape((-1, 32))[:, -n_dims:]


def make_classification(n_samples, n_features, n_informative, n_redundant, n_clusters_per_class=2, *,
                        random_state: int, flip_y: float = 0.01, class_sep: float = 1.0):
    """scikit-learn's ``make_classification`` (Guyon 2003), two classes, ported to numpy.

    Draws the same numbers in the same order from ``numpy.random.RandomState(random_state)``,
    so it returns exactly what ``sklearn.datasets.make_classification(..., random_state=...)``
    returns with its defaults (checked in ``tests/test_datasets_plotting.py``), without
    the 0.8 s import of scikit-learn in every notebook that needs data.
    """
    state = np.random.RandomState(random_state)
    n_classes = 2
    n_clusters = n_classes * n_clusters_per_class
    per_cluster = [int(n_samples * (1.0 / n_classes) / n_clusters_per_class) for _ in range(n_clusters)]
    for i in range(n_samples - sum(per_cluster)):
        per_cluster[i % n_clusters] += 1
    X = np.zeros((n_samples, n_features))
    y = np.zeros(n_samples, dtype=int)
    centroids = _hypercube_vertices(n_clusters, n_informative, state).astype(float)
    centroids *= 2 * class_sep
    centroids -= class_sep
    X[:, :n_informative] = state.standard_normal(size=(n_samples, n_informative))
    stop = 0
    for k, centroid in enumerate(centroids):
        start, stop = stop, stop + per_cluster[k]
        y[start:stop] = k % n_classes
        X_k = X[start:stop, :n_informative]
        A = 2 * state.uniform(size=(n_informative, n_informative)) - 1
        X_k[...] = np.dot(X_k, A)
        X_k += centroid
    if n_redundant > 0:
        B = 2 * state.uniform(size=(n_informative, n_redundant)) - 1
        X[:, n_informative:n_informative + n_redundant] = np.dot(X[:, :n_informative], B)
    n_random = n_features - n_informative - n_redundant
    if n_random > 0:
        X[:, -n_random:] = state.standard_normal(size=(n_samples, n_random))
    if flip_y >= 0.0:
        flip = state.uniform(size=n_samples) < flip_y
        y[flip] = state.randint(n_classes, size=flip.sum())
    rows = np.arange(n_samples)
    state.shuffle(rows)
    X, y = X[rows], y[rows]
    cols = np.arange(n_features)
    state.shuffle(cols)
    X[:, :] = X[:, cols]
    return X, y


def make_activation_data(n_samples: int = 1000, n_features: int = 50, *, rng=None) -> np.ndarray:
    """Inputs for the activation-statistics experiments of Part 4.

    ``make_classification`` with 30 informative and 10 redundant features (as
    the lab; fewer when ``n_features < 40``), transposed to
    ``(features, samples)`` and standardized per feature. The labels are not
    returned: Part 4 only propagates the inputs.

    Parameters
    ----------
    n_samples : int, at least 2
    n_features : int, at least 2
    rng : None, int or numpy.random.Generator

    Returns
    -------
    X : ndarray of shape (n_features, n_samples), float64
        Every row has mean 0 and std 1.

    Examples
    --------
    >>> X = make_activation_data(rng=0)
    >>> X.shape, bool(np.allclose(X.std(axis=1), 1.0))
    ((50, 1000), True)
    """
    n_samples = _check_count(n_samples, name="n_samples", minimum=2)
    n_features = _check_count(n_features, name="n_features", minimum=2)
    gen = check_random_state(rng)
    n_informative = min(30, n_features)
    n_redundant = min(10, n_features - n_informative)
    X, _ = make_classification(n_samples=n_samples, n_features=n_features,
                               n_informative=n_informative, n_redundant=n_redundant,
                               random_state=_int_seed(gen))
    return standardize(X.T)[0]


def make_training_data(n_samples: int = 2000, n_features: int = 20, test_size: float = 0.2, *, rng=None):
    """The binary classification task of Part 6, split and standardized.

    ``make_classification`` with 15 informative and 5 redundant features and
    two clusters per class (as the lab; fewer features when
    ``n_features < 20``). The samples are shuffled with ``rng`` and the last
    ``ceil(test_size * n_samples)`` of the permutation form the test set (as
    ``train_test_split`` sizes it). Both sets are standardized with the mean
    and std of the *training* set only, so nothing of the test set leaks into
    the preprocessing.

    Parameters
    ----------
    n_samples : int, at least 4
    n_features : int, at least 2
    test_size : float in (0, 1)
        Fraction of the samples held out.
    rng : None, int or numpy.random.Generator

    Returns
    -------
    X_train : ndarray of shape (n_features, n_train)
    X_test : ndarray of shape (n_features, n_test)
    y_train : ndarray of shape (1, n_train), float64 labels in {0, 1}
    y_test : ndarray of shape (1, n_test)

    Examples
    --------
    >>> X_tr, X_te, y_tr, y_te = make_training_data(rng=0)
    >>> X_tr.shape, X_te.shape, y_tr.shape, y_te.shape
    ((20, 1600), (20, 400), (1, 1600), (1, 400))
    """
    n_samples = _check_count(n_samples, name="n_samples", minimum=4)
    n_features = _check_count(n_features, name="n_features", minimum=2)
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real):
        raise TypeError(
            f"test_size must be a float in (0, 1), got {test_size!r} of type {type(test_size).__name__}."
        )
    if not 0.0 < float(test_size) < 1.0:
        raise ValueError(f"test_size must be a float in (0, 1), got {test_size!r}.")
    n_test = math.ceil(float(test_size) * n_samples)
    if n_test >= n_samples - 1:
        raise ValueError(
            f"test_size={test_size!r} leaves {n_samples - n_test} training sample(s) out of "
            f"n_samples={n_samples}; at least 2 are needed to standardize."
        )
    gen = check_random_state(rng)
    n_informative = min(15, n_features)
    n_redundant = min(5, n_features - n_informative)
    X, y = make_classification(n_samples=n_samples, n_features=n_features,
                               n_informative=n_informative, n_redundant=n_redundant,
                               n_clusters_per_class=2, random_state=_int_seed(gen))
    X = X.T.astype(np.float64)
    y = y.reshape(1, -1).astype(np.float64)
    order = gen.permutation(n_samples)
    train, test = order[: n_samples - n_test], order[n_samples - n_test:]
    X_train, mean, std = standardize(X[:, train])
    X_test, _, _ = standardize(X[:, test], mean, std)
    return X_train, X_test, y[:, train], y[:, test]
