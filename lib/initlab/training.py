"""Training a deep binary classifier from different initializations (Part 6).

Introduced in ``source/weight_init/06_training_comparison.ipynb``; the forward
pass is also used by :mod:`initlab.analysis` (``04_activation_statistics.ipynb``).

The network is a plain fully connected binary classifier trained by full-batch
gradient descent on the binary cross-entropy:

* data layout ``(features, samples)``, labels ``Y`` of shape ``(1, samples)``;
* parameters ``{'W1', 'b1', ..., 'WL', 'bL'}``, ``W_l`` of shape
  ``(n_l, n_{l-1})`` and ``b_l`` of shape ``(n_l, 1)``;
* hidden layers apply ``activation`` (any name of :data:`initlab.ACTIVATIONS`),
  the output layer always applies the sigmoid.

Differences from the lab, on purpose:

* the output gradient is ``dZ_L = A_L - Y`` (the exact derivative of the
  cross-entropy through the sigmoid), not ``dA_L * sigmoid'(Z_L)`` with
  ``+1e-8`` in the denominators, which is wrong by orders of magnitude once
  the sigmoid saturates (see :func:`backward_propagation`);
* the cost clips ``A_L`` to ``[1e-12, 1 - 1e-12]`` instead of adding ``1e-8``
  inside the logarithms (see :func:`compute_cost`);
* every random draw takes an ``rng``; numpy's global state is never used.
"""

from __future__ import annotations

import numpy as np

from ._guard import reference
from ._validation import (
    check_2d,
    check_choice,
    check_int,
    check_layer_dims,
    check_parameters,
    check_positive,
    check_random_state,
)
from .activations import ACTIVATIONS, activate, activation_derivative
from .initializers import INITIALIZERS, initialize

__all__ = ["forward_propagation", "backward_propagation", "compute_cost", "initialize_parameters",
           "InitializationTrainer", "COST_EPSILON", "train_over_seeds", "summarize_runs"]

#: ``A_L`` is clipped to ``[COST_EPSILON, 1 - COST_EPSILON]`` before the logarithms.
COST_EPSILON = 1e-12


# --------------------------------------------------------------------------- checks


# --------------------------------------------------------------------------- model
def initialize_parameters(layer_dims, method: str, *, rng=None, **options) -> dict[str, np.ndarray]:
    """Draw ``W_l`` with the initializer ``method`` and set ``b_l = 0`` for every layer.

    Parameters
    ----------
    layer_dims : list of int
        Widths ``[n_0, n_1, ..., n_L]`` (input first).
    method : str
        Any name of :data:`initlab.INITIALIZERS` (``'he_normal'``, ...).
    rng : None, int or numpy.random.Generator
        One generator is created and drawn from layer after layer.
    **options
        Passed to the initializer (``scale=0.01``, ``gain=...``, ``mode=...``).

    Returns
    -------
    dict
        ``{'W1': (n_1, n_0), 'b1': (n_1, 1), ...}``, float64.

    Raises
    ------
    TypeError
        If ``layer_dims`` is not a list of ints.
    ValueError
        If ``layer_dims`` has fewer than two widths or a width ``<= 0``.
    TypeError
        If ``method`` is not a string.
    ValueError
        If ``method`` is not one of the accepted names.
    TypeError
        If ``rng`` is not ``None``, an int or a ``numpy.random.Generator``.
    ValueError
        If ``rng`` is a negative int.
    TypeError or ValueError
        What the initializer raises for ``**options``.

    Examples
    --------
    >>> p = initialize_parameters([4, 3, 1], 'he_normal', rng=0)
    >>> p['W1'].shape, p['b1'].shape, p['W2'].shape
    ((3, 4), (3, 1), (1, 3))
    """
    dims = check_layer_dims(layer_dims)
    check_choice(method, tuple(INITIALIZERS), name="method")
    gen = check_random_state(rng)
    parameters = {}
    for l in range(1, len(dims)):
        parameters[f"W{l}"] = initialize(method, (dims[l], dims[l - 1]), rng=gen, **options)
        parameters[f"b{l}"] = np.zeros((dims[l], 1))
    return parameters


def forward_propagation(parameters, X, activation: str = "relu"):
    r"""Forward pass of the binary classifier.

    .. math::
        Z_l = W_l A_{l-1} + b_l, \qquad A_l = g(Z_l)\ (l < L), \qquad A_L = \sigma(Z_L)

    with :math:`A_0 = X`, :math:`g` = ``activation`` for the hidden layers and
    the sigmoid :math:`\sigma` for the output layer (always, whatever
    ``activation`` is).

    Parameters
    ----------
    parameters : dict
        ``{'W1', 'b1', ..., 'WL', 'bL'}``, ``W_l`` of shape ``(n_l, n_{l-1})``.
    X : array of shape (n_0, m)
        Inputs, one column per sample.
    activation : str
        Hidden-layer activation, a name of :data:`initlab.ACTIVATIONS`.

    Returns
    -------
    AL : ndarray of shape (n_L, m)
        Output probabilities.
    cache : dict
        ``{'A0': X, 'Z1': ..., 'A1': ..., ..., 'ZL': ..., 'AL': ...}``.

    Raises
    ------
    TypeError
        If ``parameters`` is not a dict.
    ValueError
        If ``parameters`` lacks a ``W{l}``/``b{l}`` key or the shapes do not
        chain ((n_out, n_in) weights, (n_out, 1) biases).
    TypeError
        If an array argument is not numeric.
    ValueError
        If an array argument is not 2-D (features or units, samples).
    TypeError
        If ``activation`` is not a string.
    ValueError
        If ``activation`` is not one of the accepted names.
    ValueError
        If ``X`` does not have as many rows as ``W1`` has columns.

    Examples
    --------
    >>> p = initialize_parameters([3, 4, 1], 'he_normal', rng=0)
    >>> AL, cache = forward_propagation(p, np.ones((3, 5)))
    >>> AL.shape, sorted(cache)
    ((1, 5), ['A0', 'A1', 'A2', 'Z1', 'Z2'])
    """
    L = check_parameters(parameters)
    check_choice(activation, tuple(ACTIVATIONS), name="activation")
    X = check_2d(X, name="X")
    n_in = np.shape(parameters["W1"])[1]
    if X.shape[0] != n_in:
        raise ValueError(
            f"X must have {n_in} rows (features, samples) to match W1 of shape "
            f"{np.shape(parameters['W1'])}, got X of shape {X.shape}."
        )
    cache = {"A0": X}
    A = X
    for l in range(1, L + 1):
        Z = parameters[f"W{l}"] @ A
        Z += parameters[f"b{l}"]
        A = activate(Z, "sigmoid" if l == L else activation)
        cache[f"Z{l}"] = Z
        cache[f"A{l}"] = A
    return A, cache


@reference("backward_propagation")
def backward_propagation(parameters, cache, Y, activation: str = "relu") -> dict[str, np.ndarray]:
    r"""Gradients of the mean binary cross-entropy with respect to every parameter.

    Output layer (sigmoid + cross-entropy):

    .. math:: dZ_L = \frac{\partial J}{\partial Z_L}\cdot m = A_L - Y

    then, for :math:`l = L, \dots, 1`,

    .. math::
        dW_l = \tfrac{1}{m}\, dZ_l A_{l-1}^\top, \quad
        db_l = \tfrac{1}{m} \textstyle\sum_{\text{samples}} dZ_l, \quad
        dA_{l-1} = W_l^\top dZ_l, \quad
        dZ_{l-1} = dA_{l-1} \odot g'(Z_{l-1}).

    Why not the lab's ``dA_L = -(Y/(A_L+1e-8) - (1-Y)/(1-A_L+1e-8))`` followed
    by ``dZ_L = dA_L * sigmoid'(Z_L)``? Algebraically the product is
    :math:`A_L - Y`, but numerically it is not: when the sigmoid saturates
    (say :math:`Z_L = 30`, :math:`A_L = 1 - 10^{-13}`, :math:`Y = 0`),
    :math:`1 - A_L` is far below the ``1e-8`` guard, so ``dA_L`` is capped
    at about :math:`10^8` while :math:`\sigma'(Z_L) \approx 10^{-13}`; the
    product is :math:`10^{-5}` instead of 1, and once :math:`A_L` rounds to
    exactly 1 it is 0. A confidently wrong output then gets no gradient at
    all. ``A_L - Y`` has no such cancellation.

    Parameters
    ----------
    parameters : dict
        ``{'W1', 'b1', ...}`` as used in the forward pass.
    cache : dict
        The cache returned by :func:`forward_propagation` (``'A0'``, ``'Z1'``,
        ``'A1'``, ...).
    Y : array of shape (1, m)
        Labels in {0, 1}, same shape as the output ``A_L``.
    activation : str
        Hidden-layer activation used in the forward pass.

    Returns
    -------
    dict
        ``{'dW1': ..., 'db1': ..., ..., 'dWL': ..., 'dbL': ...}``, same shapes
        as the parameters.

    Raises
    ------
    TypeError
        If ``parameters`` is not a dict.
    ValueError
        If ``parameters`` lacks a ``W{l}``/``b{l}`` key or the shapes do not
        chain ((n_out, n_in) weights, (n_out, 1) biases).
    TypeError
        If an array argument is not numeric.
    ValueError
        If an array argument is not 2-D (features or units, samples).
    TypeError
        If ``activation`` is not a string.
    ValueError
        If ``activation`` is not one of the accepted names.
    TypeError
        If ``cache`` is not the dict returned by :func:`forward_propagation`.
    ValueError
        If ``cache`` does not match ``parameters`` or ``Y`` does not have the shape of ``A_L``.

    Examples
    --------
    >>> p = initialize_parameters([3, 4, 1], 'he_normal', rng=0)
    >>> X, Y = np.ones((3, 5)), np.array([[0., 1., 0., 1., 1.]])
    >>> AL, cache = forward_propagation(p, X)
    >>> grads = backward_propagation(p, cache, Y)
    >>> grads['dW1'].shape, grads['db2'].shape
    ((4, 3), (1, 1))
    """
    L = check_parameters(parameters)
    check_choice(activation, tuple(ACTIVATIONS), name="activation")
    if not isinstance(cache, dict):
        raise TypeError(
            f"cache must be the dict returned by forward_propagation, got {type(cache).__name__}."
        )
    missing = [k for l in range(1, L + 1) for k in (f"A{l - 1}", f"Z{l}") if k not in cache]
    if missing or f"A{L}" not in cache:
        raise ValueError(
            f"cache must hold 'A0', 'Z1', 'A1', ..., 'A{L}' from forward_propagation; missing "
            f"{missing or [f'A{L}']}."
        )
    AL = np.asarray(cache[f"A{L}"], dtype=np.float64)
    Y = check_2d(Y, name="Y")
    if Y.shape != AL.shape:
        raise ValueError(
            f"Y must have shape {AL.shape} (1, m), the shape of the output A{L}; got Y of shape {Y.shape}."
        )
    m = Y.shape[1]
    grads = {}
    dZ = AL - Y
    for l in range(L, 0, -1):
        A_prev = cache[f"A{l - 1}"]
        grads[f"dW{l}"] = dZ @ A_prev.T / m
        grads[f"db{l}"] = dZ.sum(axis=1, keepdims=True) / m
        if l > 1:
            dA = parameters[f"W{l}"].T @ dZ
            if activation == "relu":
                dZ = np.multiply(dA, cache[f"Z{l - 1}"] > 0, out=dA)
            else:
                dZ = dA * activation_derivative(cache[f"Z{l - 1}"], activation)
    return grads


def compute_cost(AL, Y) -> float:
    r"""Mean binary cross-entropy.

    .. math:: J = -\frac{1}{m}\sum_i \big[y_i \log a_i + (1 - y_i)\log(1 - a_i)\big]

    ``AL`` is clipped to ``[1e-12, 1 - 1e-12]`` (:data:`COST_EPSILON`) so that a
    saturated output gives a large finite cost (at most about 27.6 per sample)
    instead of ``inf`` or ``nan``; for unsaturated outputs the clipping changes
    nothing. (The lab adds ``1e-8`` inside each logarithm, which biases every
    term slightly.)

    Parameters
    ----------
    AL : array of shape (1, m)
        Predicted probabilities.
    Y : array of shape (1, m)
        Labels in {0, 1}.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If an array argument is not numeric.
    ValueError
        If an array argument is not 2-D (features or units, samples).
    ValueError
        If ``Y`` does not have the shape of ``AL``.

    Examples
    --------
    >>> round(compute_cost(np.array([[0.5, 0.5]]), np.array([[0.0, 1.0]])), 6)   # log 2
    0.693147
    """
    AL = check_2d(AL, name="AL")
    Y = check_2d(Y, name="Y")
    if AL.shape != Y.shape:
        raise ValueError(f"Y must have the shape of AL {AL.shape}, got Y of shape {Y.shape}.")
    A = np.clip(AL, COST_EPSILON, 1.0 - COST_EPSILON)
    return float(-np.sum(Y * np.log(A) + (1.0 - Y) * np.log1p(-A)) / Y.shape[1])


def _accuracy(AL, Y) -> float:
    """Percentage of samples whose thresholded prediction ``AL > 0.5`` equals ``Y``."""
    return float(np.mean((AL > 0.5) == (Y > 0.5)) * 100.0)


# --------------------------------------------------------------------------- trainer
class InitializationTrainer:
    """Full-batch gradient descent on a binary classifier, for comparing initializations.

    Hidden layers use ``activation``; the output layer is a sigmoid trained with
    the binary cross-entropy (see :func:`backward_propagation` for the output
    gradient, fixed from the lab).

    Parameters
    ----------
    layer_dims : list of int
        ``[n_0, n_1, ..., n_L]``; the lab uses ``[20, 64, 32, 16, 8, 1]``.
    activation : str
        Hidden-layer activation, a name of :data:`initlab.ACTIVATIONS`.

    Attributes
    ----------
    parameters : dict
        ``{'W1', 'b1', ...}`` after :meth:`initialize_parameters` or :meth:`train`.
    cache : dict
        The cache of the last :meth:`forward_propagation`.
    training_history : dict
        ``{init_method: history}`` of every :meth:`train` call.

    Raises
    ------
    TypeError
        If ``layer_dims`` is not a list of ints.
    ValueError
        If ``layer_dims`` has fewer than two widths or a width ``<= 0``.
    TypeError
        If ``activation`` or ``init_method`` is not a string.
    ValueError
        If ``activation`` or ``init_method`` is not one of the accepted names.
    TypeError or ValueError
        If ``learning_rate`` is not a positive number or ``epochs`` not an int ``>= 1``.
    TypeError
        If an array argument is not numeric.
    ValueError
        If an array argument is not 2-D (features or units, samples).
    RuntimeError
        If a method is called before the network is initialized, or
        ``backward_propagation`` before ``forward_propagation`` on the same ``X``.
    ValueError
        If the data do not match ``layer_dims`` (rows of ``X``, one label row).

    Examples
    --------
    >>> from initlab.datasets import make_training_data
    >>> X_tr, X_te, y_tr, y_te = make_training_data(rng=0)
    >>> trainer = InitializationTrainer([20, 64, 32, 16, 8, 1])
    >>> h = trainer.train(X_tr, y_tr, X_te, y_te, 'he_normal', epochs=5, rng=0)
    >>> len(h['test_accuracies'])
    5
    """

    def __init__(self, layer_dims, activation: str = "relu"):
        self.layer_dims = check_layer_dims(layer_dims)
        self.num_layers = len(self.layer_dims) - 1
        self.activation = check_choice(activation, tuple(ACTIVATIONS), name="activation")
        self.parameters: dict[str, np.ndarray] = {}
        self.cache: dict[str, np.ndarray] = {}
        self.training_history: dict[str, dict] = {}

    def initialize_parameters(self, method: str, *, rng=None, **options) -> dict[str, np.ndarray]:
        """Draw the weights with ``method`` (biases zero); see :func:`initialize_parameters`."""
        self.parameters = initialize_parameters(self.layer_dims, method, rng=rng, **options)
        return self.parameters

    def _require_parameters(self):
        if not self.parameters:
            raise RuntimeError("call initialize_parameters(method) (or train) before using the network.")

    def _check_X(self, X, name: str) -> np.ndarray:
        X = check_2d(X, name=name)
        if X.shape[0] != self.layer_dims[0]:
            raise ValueError(
                f"{name} must have shape ({self.layer_dims[0]}, n_samples) (features, samples) for "
                f"layer_dims {self.layer_dims}, got {name} of shape {X.shape}."
            )
        return X

    def _check_y(self, y, X, name: str, x_name: str) -> np.ndarray:
        y = check_2d(y, name=name)
        expected = (self.layer_dims[-1], X.shape[1])
        if y.shape != expected:
            raise ValueError(
                f"{name} must have shape {expected} (one column per sample of {x_name} "
                f"{X.shape}), got {name} of shape {y.shape}."
            )
        return y

    def forward_propagation(self, X) -> np.ndarray:
        """Forward pass; stores the cache in ``self.cache`` and returns ``A_L``."""
        self._require_parameters()
        AL, self.cache = forward_propagation(self.parameters, self._check_X(X, "X"), self.activation)
        return AL

    def backward_propagation(self, X, Y) -> dict[str, np.ndarray]:
        """Gradients for the last forward pass (``self.cache``), which must have been on ``X``."""
        self._require_parameters()
        X = self._check_X(X, "X")
        if not self.cache or self.cache["A0"].shape != X.shape:
            raise RuntimeError("call forward_propagation(X) with the same X before backward_propagation.")
        return backward_propagation(self.parameters, self.cache, Y, self.activation)

    def compute_cost(self, AL, Y) -> float:
        """Mean binary cross-entropy; see :func:`compute_cost`."""
        return compute_cost(AL, Y)

    def train(self, X_train, y_train, X_test, y_test, init_method: str, epochs: int = 200,
              learning_rate: float = 0.01, *, rng=None, verbose: bool = False,
              init_options: dict | None = None) -> dict[str, list]:
        """Initialize with ``init_method`` and run ``epochs`` steps of full-batch gradient descent.

        Each epoch: forward pass on the training set, cost, gradients, one
        update ``theta -= learning_rate * d theta``, then a forward pass on the
        test set. As in the lab, the training cost and accuracy of an epoch are
        those of the forward pass that produced its gradient (parameters before
        the update) and the test cost and accuracy are measured after it.

        Parameters
        ----------
        X_train, X_test : arrays of shape (n_0, m_train), (n_0, m_test)
        y_train, y_test : arrays of shape (1, m_train), (1, m_test), labels in {0, 1}
        init_method : str
            A name of :data:`initlab.INITIALIZERS`, drawn with its default
            options (``random_small`` has std 0.01 as in the lab).
        epochs : int
        learning_rate : float
        rng : None, int or numpy.random.Generator
            Seeds the initialization, the only random step; equal seeds give
            equal histories.
        verbose : bool
            Print the costs and accuracies every 50 epochs.
        init_options : dict, optional
            Keyword options of the initializer, e.g. ``{'scale': 4.0}`` for
            ``'variance_scaling'`` (twice He's variance).

        Returns
        -------
        history : dict of lists, one entry per epoch
            ``'train_costs'``, ``'test_costs'``; ``'train_accuracies'``,
            ``'test_accuracies'`` in percent; ``'gradient_norms'``, the global
            L2 norm of all gradients (weights and biases);
            ``'layer_gradient_norms'``, for each epoch a list of the Frobenius
            norms ``||dW_l||`` for ``l = 1..L`` (so
            ``np.array(history['layer_gradient_norms'])`` has shape
            ``(epochs, L)``).
        """
        X_train = self._check_X(X_train, "X_train")
        y_train = self._check_y(y_train, X_train, "y_train", "X_train")
        X_test = self._check_X(X_test, "X_test")
        y_test = self._check_y(y_test, X_test, "y_test", "X_test")
        epochs = check_int(epochs, name="epochs")
        learning_rate = check_positive(learning_rate, name="learning_rate")
        check_choice(init_method, tuple(INITIALIZERS), name="init_method")
        self.initialize_parameters(init_method, rng=rng, **(init_options or {}))

        history: dict[str, list] = {key: [] for key in (
            "train_costs", "test_costs", "train_accuracies", "test_accuracies",
            "gradient_norms", "layer_gradient_norms")}
        params, L = self.parameters, self.num_layers
        for epoch in range(epochs):
            AL_train, self.cache = forward_propagation(params, X_train, self.activation)
            train_cost = compute_cost(AL_train, y_train)
            grads = backward_propagation(params, self.cache, y_train, self.activation)

            layer_norms = [float(np.linalg.norm(grads[f"dW{l}"])) for l in range(1, L + 1)]
            bias_sq = sum(float(np.sum(grads[f"db{l}"] ** 2)) for l in range(1, L + 1))
            grad_norm = float(np.sqrt(sum(n * n for n in layer_norms) + bias_sq))

            for l in range(1, L + 1):
                params[f"W{l}"] -= learning_rate * grads[f"dW{l}"]
                params[f"b{l}"] -= learning_rate * grads[f"db{l}"]

            AL_test, _ = forward_propagation(params, X_test, self.activation)
            test_cost = compute_cost(AL_test, y_test)
            train_acc, test_acc = _accuracy(AL_train, y_train), _accuracy(AL_test, y_test)

            history["train_costs"].append(train_cost)
            history["test_costs"].append(test_cost)
            history["train_accuracies"].append(train_acc)
            history["test_accuracies"].append(test_acc)
            history["gradient_norms"].append(grad_norm)
            history["layer_gradient_norms"].append(layer_norms)
            if verbose and epoch % 50 == 0:
                print(f"Epoch {epoch:3d}: Train Cost={train_cost:.4f}, Test Cost={test_cost:.4f}, "
                      f"Train Acc={train_acc:.1f}%, Test Acc={test_acc:.1f}%")

        self.training_history[init_method] = history
        return history


# --------------------------------------------------------------------------- several seeds
def train_over_seeds(layer_dims, methods, n_seeds: int, *, rng=None, n_samples: int = 2000,
                     epochs: int = 200, learning_rate: float = 0.01, activation: str = "relu") -> dict[str, list]:
    """Train one network per method on ``n_seeds`` independent draws of the data split and the weights.

    Used by Parts 6 and 7 so that a comparison rests on several draws, not one.
    For each seed, a new data split is drawn (:func:`initlab.datasets.make_training_data`
    with ``n_samples`` samples), then every method trains from its own new weight draw.

    Parameters
    ----------
    layer_dims : list of int
    methods : list of str or dict
        Initializer names of :data:`initlab.INITIALIZERS`, or ``{label: (name, options)}``
        (e.g. ``{'too large': ('variance_scaling', {'scale': 4.0})}``).
    n_seeds : int
    rng : None, int or numpy.random.Generator
        The one source of randomness (data splits and weights).
    n_samples, epochs, learning_rate, activation
        As in :func:`initlab.datasets.make_training_data` and :meth:`InitializationTrainer.train`.

    Returns
    -------
    dict
        ``{label: [history, ...]}``, one history per seed (see :meth:`InitializationTrainer.train`).

    Raises
    ------
    TypeError
        If ``layer_dims`` is not a list of ints.
    ValueError
        If ``layer_dims`` has fewer than two widths or a width ``<= 0``.
    TypeError
        If ``n_seeds`` is not an int.
    ValueError
        If ``n_seeds < 1``.
    TypeError
        If ``rng`` is not ``None``, an int or a ``numpy.random.Generator``.
    ValueError
        If ``rng`` is a negative int.

    Examples
    --------
    >>> runs = train_over_seeds([20, 8, 1], ['he_normal'], 2, rng=0, n_samples=100, epochs=3)
    >>> len(runs['he_normal']), len(runs['he_normal'][0]['test_accuracies'])
    (2, 3)
    """
    from .datasets import make_training_data

    n_seeds = check_int(n_seeds, name="n_seeds")
    if not isinstance(methods, dict):
        methods = {name: (name, {}) for name in methods}
    gen = check_random_state(rng)
    runs: dict[str, list] = {label: [] for label in methods}
    for _ in range(n_seeds):
        X_train, X_test, y_train, y_test = make_training_data(
            n_samples=n_samples, n_features=layer_dims[0], test_size=0.2, rng=gen)
        for label, (name, options) in methods.items():
            trainer = InitializationTrainer(layer_dims, activation=activation)
            runs[label].append(trainer.train(X_train, y_train, X_test, y_test, name, epochs=epochs,
                                             learning_rate=learning_rate, rng=gen, init_options=options))
    return runs


def summarize_runs(runs: dict, key: str = "test_accuracies") -> dict[str, tuple[float, float]]:
    """Mean and sample standard deviation (``ddof=1``) of the final ``history[key]`` over the seeds.

    Parameters
    ----------
    runs : dict
        ``{label: [history, ...]}``, one history dict per seed, as returned by
        :func:`train_over_seeds`.
    key : str, default 'test_accuracies'
        The history entry whose last value is summarized.

    Returns
    -------
    summary : dict
        ``{label: (mean, std)}`` of the final values; the std is 0.0 for a single seed.

    Raises
    ------
    KeyError
        If a history has no ``key``.

    Examples
    --------
    >>> summarize_runs({'a': [{'test_accuracies': [50.0, 80.0]}, {'test_accuracies': [60.0, 90.0]}]})
    {'a': (85.0, 7.0710678118654755)}
    """
    out = {}
    for label, histories in runs.items():
        finals = np.array([float(h[key][-1]) for h in histories])
        out[label] = (float(finals.mean()), float(finals.std(ddof=1)) if finals.size > 1 else 0.0)
    return out
