"""A rule-based initialization recommender (Part 9).

Introduced in ``source/weight_init/09_decision_framework.ipynb``.

The analysis keeps the lab's thresholds and order; the recommendation follows
the literature and the lab's own measurements instead of the lab's table. With
``num_hidden = len(layer_dims) - 2`` and ``hidden = layer_dims[1:-1]``:

* depth category: ``num_hidden <= 3`` shallow, ``<= 10`` deep, else very deep;
* issues, in this order: ``'wide_layers'`` if a hidden layer has more than
  1000 units; ``'narrow_bottleneck'`` if the narrowest hidden layer has fewer
  than 10; ``'very_deep'`` if ``num_hidden > 20``; ``'irregular_width'`` if a
  ratio of consecutive hidden widths is ``> 10`` or ``< 0.1``;
* the method depends on the activation only (:data:`RECOMMENDATIONS`, each
  entry with its source): He for the ReLU family (He et al. 2015), Xavier for
  sigmoid, tanh (with PyTorch's gain 5/3) and linear layers (Glorot & Bengio
  2010), LeCun for SELU (Klambauer et al. 2017); an activation not in the table
  gets ``'he_normal'``. The issues add advice about the architecture
  (normalization, residual connections), not another initializer;
* confidence ``0.8``, ``+0.1`` for relu, sigmoid and tanh, ``-0.2`` for more
  than two issues, clipped to ``[0.3, 0.95]``;
* activation names are case-insensitive, surrounding spaces ignored (the rule
  of the whole lab).

Differences from the lab, on purpose:

* the input and output widths are fixed by the data and the task, not design
  choices: they count neither as wide layers nor in the width ratios. The lab
  counted them, so every binary classifier ("25 -> 1") and every network on
  flattened RGB images ("3072 -> 512") was "irregular", and a 3072-wide input
  was a "wide layer";
* the lab's depth overrides are gone: it gave deep ReLU networks
  ``adaptive_he`` (Part 8 measures its depth factor shrinking the signal about
  50 times over 10 layers), very deep ones ``spectral_norm`` (Part 10 measures
  the signal vanishing), a 32-layer SELU network ``spectral_norm`` instead of
  LeCun normal (the self-normalizing fixed point assumes LeCun's variance),
  deep sigmoid/tanh networks ``layer_sequential`` and irregular ones
  ``width_aware`` (Part 8 measures it not keeping the target variance). Depth
  is handled by the architecture (residual connections, normalization), as in
  practice (He et al. 2016; torchvision's ResNet uses He initialization,
  ``mode='fan_out'`` for its convolutions, at every depth);
* ``layer_dims`` and ``activation`` are checked, with messages; a network
  without hidden layer (``[5, 1]``) has no bottleneck and no width ratio
  instead of crashing on ``min([])``.

:data:`METHOD_FUNCTIONS` maps each returned name to the initlab function that
implements it.
"""

from __future__ import annotations

import copy

from ._guard import reference
from ._validation import check_layer_dims

__all__ = [
    "InitializationRecommender", "analyze_network", "recommend_initialization",
    "RECOMMENDATIONS", "DEFAULT_METHOD", "ADVICE", "TANH_ADVICE", "ALTERNATIVES", "METHOD_FUNCTIONS",
    "normalize_activation",
]

#: activation -> method, with the source of each rule. Every method is meant with the
#: activation's gain, :func:`initlab.calculate_gain` (5/3 for tanh), as PyTorch's init functions.
RECOMMENDATIONS = {
    "relu": "he_normal",          # He et al. 2015, Var(W) = 2 / fan_in
    "leaky_relu": "he_normal",    # He et al. 2015, Eq. 15: 2 / ((1 + a^2) fan_in)
    "elu": "he_normal",           # ReLU family (Clevert et al. 2016 used He's rule)
    "sigmoid": "xavier_normal",   # Glorot & Bengio 2010
    "tanh": "xavier_normal",      # Glorot & Bengio 2010, with PyTorch's gain 5/3 (or orthogonal, Saxe et al. 2014)
    "linear": "xavier_normal",    # Glorot & Bengio 2010 derive it for the linear regime
    "selu": "lecun_normal",       # Klambauer et al. 2017, self-normalizing networks
}
#: What an activation outside :data:`RECOMMENDATIONS` gets.
DEFAULT_METHOD = "he_normal"

#: issue -> advice, appended in this order: wide layers, narrow bottleneck, irregular width, very deep.
ADVICE = {
    "wide_layers": "Consider batch normalization for wide layers",
    "narrow_bottleneck": "Narrow layers may cause information loss",
    "irregular_width": "Consider layer-specific initialization",
    "very_deep": "Consider residual connections",
}
#: Advice that comes first for tanh: the gain.
TANH_ADVICE = "Use the gain 5/3 for tanh (initlab.calculate_gain('tanh'), as PyTorch)"

#: method -> alternatives.
ALTERNATIVES = {
    "he_normal": ["he_uniform", "lsuv"],
    "xavier_normal": ["xavier_uniform", "orthogonal"],
    "lecun_normal": ["lecun_uniform", "lsuv"],
}

#: Every method name the recommender can return (alternatives included) ->
#: the initlab function that implements it.
METHOD_FUNCTIONS = {
    "he_normal": "initlab.initializers.he_normal",
    "he_uniform": "initlab.initializers.he_uniform",
    "xavier_normal": "initlab.initializers.xavier_normal",
    "xavier_uniform": "initlab.initializers.xavier_uniform",
    "lecun_normal": "initlab.initializers.lecun_normal",
    "lecun_uniform": "initlab.initializers.lecun_uniform",
    "orthogonal": "initlab.initializers.orthogonal",
    "lsuv": "initlab.custom.lsuv_init",
}

_COMMON_ACTIVATIONS = ("relu", "sigmoid", "tanh")


def normalize_activation(activation) -> str:
    """The lab-wide rule for activation names: a string, case-insensitive, spaces around ignored.

    >>> normalize_activation(' ReLU ')
    'relu'

    Parameters
    ----------
    activation : str
        Any string; not checked against a list of names.

    Returns
    -------
    str
        ``activation.strip().lower()``.

    Raises
    ------
    TypeError
        If ``activation`` is not a string.
    """
    if not isinstance(activation, str):
        raise TypeError(
            f"activation must be a string such as 'relu', 'sigmoid' or 'tanh', got {activation!r} "
            f"of type {type(activation).__name__}."
        )
    return activation.strip().lower()


_check_activation = normalize_activation


@reference("analyze_network")
def analyze_network(layer_dims, activation: str = "relu") -> dict:
    """Describe a fully connected network: depth category, size and potential issues.

    Parameters
    ----------
    layer_dims : list of int
        Widths ``[n_0, n_1, ..., n_L]``, input first, at least two.
    activation : str, default 'relu'
        Checked to be a string; the analysis does not depend on it (as in the lab).

    The input and output widths are fixed by the data and the task: they count
    neither as wide layers nor in the width ratios.

    Returns
    -------
    dict
        ``'depth_category'`` (``'shallow'``, ``'deep'`` or ``'very_deep'``),
        ``'num_hidden'``, ``'total_params'`` (weights and biases),
        ``'issues'`` (a list, in the order ``'wide_layers'``,
        ``'narrow_bottleneck'``, ``'very_deep'``, ``'irregular_width'``) and
        ``'width_ratios'`` (``layer_dims[i+1] / layer_dims[i]`` between
        consecutive hidden layers: the input -> first hidden and last hidden
        -> output steps are left out).

    Raises
    ------
    TypeError
        If ``layer_dims`` is not a list of ints.
    ValueError
        If ``layer_dims`` has fewer than two widths or a width ``<= 0``.
    TypeError
        If ``activation`` is not a string.

    Examples
    --------
    >>> a = analyze_network([784, 128, 64, 10])
    >>> a['depth_category'], a['total_params'], a['issues']
    ('shallow', 109386, [])
    """
    dims = check_layer_dims(layer_dims)
    _check_activation(activation)
    num_hidden = len(dims) - 2
    total_params = sum(dims[i] * dims[i + 1] + dims[i + 1] for i in range(len(dims) - 1))

    if num_hidden <= 3:
        depth_category = "shallow"
    elif num_hidden <= 10:
        depth_category = "deep"
    else:
        depth_category = "very_deep"

    hidden = dims[1:-1]
    issues = []
    if hidden and max(hidden) > 1000:
        issues.append("wide_layers")
    if hidden and min(hidden) < 10:
        issues.append("narrow_bottleneck")
    if num_hidden > 20:
        issues.append("very_deep")
    width_ratios = [hidden[i + 1] / hidden[i] for i in range(len(hidden) - 1)]
    if width_ratios and (max(width_ratios) > 10 or min(width_ratios) < 0.1):
        issues.append("irregular_width")

    return {
        "depth_category": depth_category,
        "num_hidden": num_hidden,
        "total_params": total_params,
        "issues": issues,
        "width_ratios": width_ratios,
    }


def _calculate_confidence(analysis: dict, activation: str) -> float:
    """The lab's confidence: 0.8, +0.1 for a common activation, -0.2 for > 2 issues, in [0.3, 0.95]."""
    base_confidence = 0.8
    if normalize_activation(activation) in _COMMON_ACTIVATIONS:
        base_confidence += 0.1
    if len(analysis["issues"]) > 2:
        base_confidence -= 0.2
    return min(max(base_confidence, 0.3), 0.95)


def _get_alternatives(primary: str, activation: str) -> list[str]:
    """Alternatives to ``primary`` (``activation`` is unused, as in the lab)."""
    return list(ALTERNATIVES.get(primary, ["he_uniform", "lsuv"]))


@reference("recommend_initialization")
def recommend_initialization(layer_dims, activation: str = "relu", problem_type: str = "classification",
                             verbose: bool = False, *, recommendations: dict | None = None) -> dict:
    """Recommend an initialization method for a fully connected network.

    Parameters
    ----------
    layer_dims : list of int
        Widths ``[n_0, n_1, ..., n_L]``, input first, at least two.
    activation : str, default 'relu'
        Activation of the hidden layers, case-insensitive, spaces around
        ignored. One not in the table falls back to ``'he_normal'``.
    problem_type : str, default 'classification'
        Accepted for the lab's signature; the rules do not use it.
    verbose : bool, default False
        Print the analysis and the recommendation as the lab does (the lab's
        default is True).
    recommendations : dict, optional
        Activation -> method table; :data:`RECOMMENDATIONS` by default.

    Returns
    -------
    dict
        ``'method'``, ``'confidence'``, ``'alternatives'``, ``'advice'`` (a
        list of strings) and ``'analysis'`` (see :func:`analyze_network`).

    Raises
    ------
    TypeError
        If ``layer_dims`` is not a list of ints.
    ValueError
        If ``layer_dims`` has fewer than two widths or a width ``<= 0``.
    TypeError
        If ``activation`` is not a string (``problem_type`` is not checked).

    Examples
    --------
    >>> rec = recommend_initialization([50, 100, 50, 25, 1], 'sigmoid')
    >>> rec['method'], rec['alternatives']
    ('xavier_normal', ['xavier_uniform', 'orthogonal'])
    >>> recommend_initialization([32] + [64] * 30 + [1], 'SELU')['method']
    'lecun_normal'
    >>> recommend_initialization([3072, 512, 256, 10], 'relu')['analysis']['issues']
    []
    """
    analysis = analyze_network(layer_dims, activation)
    table = RECOMMENDATIONS if recommendations is None else recommendations

    if verbose:
        print("Network Analysis:")
        print(f"  Architecture: {list(layer_dims)}")
        print(f"  Activation: {activation}")
        print(f"  Hidden layers: {analysis['num_hidden']}")
        print(f"  Total parameters: {analysis['total_params']:,}")
        print(f"  Depth category: {analysis['depth_category']}")
        if analysis["issues"]:
            print(f"  Potential issues: {', '.join(analysis['issues'])}")

    name = normalize_activation(activation)
    method = table.get(name, DEFAULT_METHOD)
    additional_advice = [TANH_ADVICE] if name == "tanh" else []
    for issue in ("wide_layers", "narrow_bottleneck", "irregular_width", "very_deep"):
        if issue in analysis["issues"]:
            additional_advice.append(ADVICE[issue])
    final_rec = method

    if verbose:
        print(f"\nRecommendation: {final_rec.replace('_', ' ').title()}")
        if additional_advice:
            print("Additional advice:")
            for advice in additional_advice:
                print(f"  - {advice}")

    return {
        "method": final_rec,
        "confidence": _calculate_confidence(analysis, activation),
        "alternatives": _get_alternatives(final_rec, activation),
        "advice": additional_advice,
        "analysis": analysis,
    }


class InitializationRecommender:
    """The lab's recommender: a table of methods plus rules for problematic architectures.

    The methods call :func:`analyze_network` and
    :func:`recommend_initialization` with this instance's
    ``recommendations`` table (a copy of :data:`RECOMMENDATIONS`, which may
    be edited).

    The constructor takes no parameters; ``recommendations`` is a per-instance
    copy of :data:`RECOMMENDATIONS`. The methods take and raise what the
    module functions do.

    Examples
    --------
    >>> rec = InitializationRecommender().recommend_initialization([784, 128, 64, 10], 'relu')
    >>> rec['method'], round(rec['confidence'], 2)
    ('he_normal', 0.9)
    """

    def __init__(self):
        self.recommendations = copy.deepcopy(RECOMMENDATIONS)

    def analyze_network(self, layer_dims, activation: str = "relu") -> dict:
        """See :func:`initlab.recommender.analyze_network`."""
        return analyze_network(layer_dims, activation)

    def recommend_initialization(self, layer_dims, activation: str = "relu",
                                 problem_type: str = "classification", verbose: bool = False) -> dict:
        """See :func:`initlab.recommender.recommend_initialization`."""
        return recommend_initialization(layer_dims, activation, problem_type, verbose,
                                        recommendations=self.recommendations)

    def _calculate_confidence(self, analysis: dict, activation: str) -> float:
        return _calculate_confidence(analysis, activation)

    def _get_alternatives(self, primary: str, activation: str) -> list[str]:
        return _get_alternatives(primary, activation)
