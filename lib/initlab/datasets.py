"""The synthetic data sets of Parts 4 and 6, standardized.

Introduced in ``source/weight_init/04_activation_statistics.ipynb``
(:func:`make_activation_data`) and ``06_training_comparison.ipynb``
(:func:`make_training_data`).

Both call scikit-learn's ``sklearn.datasets.make_classification``, as the lab
does. scikit-learn is imported inside the functions, on first use, so
``import initlab`` (and ``import initlab.datasets``) stays numpy-only and only
the notebooks that draw data pay for the import. scikit-learn takes a
``random_state`` (an ``int`` or a legacy ``numpy.random.RandomState``); it is
given an ``int`` seed drawn from ``rng`` with ``rng.integers(0, 2**31 - 1)``,
so the same seed (or the same generator state) reproduces the same data and
numpy's global state is never used.

Difference from the lab, on purpose: the Part 4 features are standardized
(mean 0, std 1 per feature). The raw ``make_classification`` features have a
std of about 5, and with them He initialization shows pre-activation stds
around 9 that seem to "grow", the opposite of what the part teaches; the
variance analysis of Glorot & Bengio (2010) and He et al. (2015) assumes inputs
of unit variance.
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import check_fraction, check_int, check_random_state

__all__ = ["make_activation_data", "make_training_data", "standardize"]


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
    X_std : ndarray of shape (n_features, n_samples)
    mean, std : ndarray of shape (n_features, 1)
        The statistics used (to standardize a test set the same way).

    Raises
    ------
    ValueError
        If ``X`` (or ``mean``, ``std``) cannot be converted to a float array or
        the shapes do not broadcast.

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


def _sklearn_make_classification():
    """scikit-learn's ``make_classification``, imported on first use (about 0.8 s)."""
    try:
        from sklearn.datasets import make_classification
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "initlab.datasets needs scikit-learn for make_classification, and it is not installed. "
            "Install it with: pip install scikit-learn"
        ) from exc
    return make_classification


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
        An ``int`` seed is drawn from it for scikit-learn's ``random_state``,
        so the same seed (or generator state) gives the same data.

    Returns
    -------
    X : ndarray of shape (n_features, n_samples), float64
        Every row has mean 0 and std 1.

    Raises
    ------
    TypeError
        If ``n_samples`` or ``n_features`` is not an int, or ``rng`` is not
        ``None``, an int or a ``numpy.random.Generator``.
    ValueError
        If ``n_samples`` or ``n_features`` is below 2, or ``rng`` is a negative int.
    ImportError
        If scikit-learn is not installed (``pip install scikit-learn``).

    Examples
    --------
    >>> X = make_activation_data(rng=0)
    >>> X.shape, bool(np.allclose(X.std(axis=1), 1.0))
    ((50, 1000), True)
    """
    n_samples = check_int(n_samples, name="n_samples", minimum=2)
    n_features = check_int(n_features, name="n_features", minimum=2)
    gen = check_random_state(rng)
    n_informative = min(30, n_features)
    n_redundant = min(10, n_features - n_informative)
    X, _ = _sklearn_make_classification()(
        n_samples=n_samples, n_features=n_features, n_informative=n_informative,
        n_redundant=n_redundant, random_state=_int_seed(gen))
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

    Raises
    ------
    TypeError
        If ``n_samples`` or ``n_features`` is not an int, ``test_size`` is not
        a real number, or ``rng`` is not ``None``, an int or a Generator.
    ValueError
        If ``n_samples < 4``, ``n_features < 2``, ``test_size`` is not in
        ``(0, 1)`` or leaves fewer than 2 training samples, or ``rng`` is a
        negative int.
    ImportError
        If scikit-learn is not installed (``pip install scikit-learn``).

    Examples
    --------
    >>> X_tr, X_te, y_tr, y_te = make_training_data(rng=0)
    >>> X_tr.shape, X_te.shape, y_tr.shape, y_te.shape
    ((20, 1600), (20, 400), (1, 1600), (1, 400))
    """
    n_samples = check_int(n_samples, name="n_samples", minimum=4)
    n_features = check_int(n_features, name="n_features", minimum=2)
    test_size = check_fraction(test_size, name="test_size", kind="a float")
    n_test = math.ceil(test_size * n_samples)
    if n_test >= n_samples - 1:
        raise ValueError(
            f"test_size={test_size!r} leaves {n_samples - n_test} training sample(s) out of "
            f"n_samples={n_samples}; at least 2 are needed to standardize."
        )
    gen = check_random_state(rng)
    n_informative = min(15, n_features)
    n_redundant = min(5, n_features - n_informative)
    X, y = _sklearn_make_classification()(
        n_samples=n_samples, n_features=n_features, n_informative=n_informative,
        n_redundant=n_redundant, n_clusters_per_class=2, random_state=_int_seed(gen))
    X = X.T.astype(np.float64)
    y = y.reshape(1, -1).astype(np.float64)
    order = gen.permutation(n_samples)
    train, test = order[: n_samples - n_test], order[n_samples - n_test:]
    X_train, mean, std = standardize(X[:, train])
    X_test, _, _ = standardize(X[:, test], mean, std)
    return X_train, X_test, y[:, train], y[:, test]
