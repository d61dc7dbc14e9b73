"""A rule-based initialization recommender (Part 9).

Introduced in ``source/weight_init/09_decision_framework.ipynb``.

The rules are the lab's, unchanged: the same table, thresholds, comparisons
and order of advice. In short, with ``num_hidden = len(layer_dims) - 2``:

* depth category: ``num_hidden <= 3`` shallow, ``<= 10`` deep, else very deep;
* issues, in this order: ``'wide_layers'`` if ``max(layer_dims) > 1000``;
  ``'narrow_bottleneck'`` if the narrowest hidden layer has fewer than 10
  units; ``'very_deep'`` if ``num_hidden > 20``; ``'irregular_width'`` if a
  width ratio is ``> 10`` or ``< 0.1``;
* the method comes from the table (activation x depth category), unknown
  activations fall back to ``'he_normal'``; then wide layers turn
  ``he_normal`` into ``adaptive_he``, an irregular width turns ``he_normal`` or
  ``xavier_normal`` into ``width_aware``, and ``very_deep`` forces
  ``spectral_norm``;
* confidence ``0.8``, ``+0.1`` for relu, sigmoid and tanh, ``-0.2`` for more
  than two issues, clipped to ``[0.3, 0.95]``.

Differences from the lab, on purpose:

* the width ratios ``layer_dims[i+1] / layer_dims[i]`` leave out the last
  step, hidden -> output. The lab includes it, so every binary classifier whose
  last hidden layer has more than 10 units was "irregular": its own sigmoid
  example ``[50, 100, 50, 25, 1]`` got ``width_aware`` although Part 10 says
  sigmoid -> Xavier, and ``[1000, 2000, 1000, 1]`` got ``width_aware``;
* ``layer_dims`` and ``activation`` are checked, with messages; a network
  without hidden layer (``[5, 1]``) has no bottleneck and no width ratio
  instead of crashing on ``min([])``.

The recommended names are the lab's method names; :data:`METHOD_FUNCTIONS`
maps each to the initlab function that implements it.
"""

from __future__ import annotations

import copy

from ._guard import reference
from ._validation import check_layer_dims

__all__ = [
    "InitializationRecommender", "analyze_network", "recommend_initialization",
    "RECOMMENDATIONS", "METHOD_FUNCTIONS",
]

#: The lab's table: activation -> depth category -> method.
RECOMMENDATIONS = {
    "relu": {"shallow": "he_normal", "deep": "adaptive_he", "very_deep": "spectral_norm"},
    "leaky_relu": {"shallow": "he_normal", "deep": "he_normal", "very_deep": "adaptive_he"},
    "sigmoid": {"shallow": "xavier_normal", "deep": "xavier_normal", "very_deep": "layer_sequential"},
    "tanh": {"shallow": "xavier_normal", "deep": "xavier_normal", "very_deep": "layer_sequential"},
    "selu": {"shallow": "lecun_normal", "deep": "lecun_normal", "very_deep": "lecun_normal"},
}

#: Every method name the recommender can return (alternatives included) ->
#: the initlab function that implements it.
METHOD_FUNCTIONS = {
    "he_normal": "initlab.initializers.he_normal",
    "he_uniform": "initlab.initializers.he_uniform",
    "xavier_normal": "initlab.initializers.xavier_normal",
    "xavier_uniform": "initlab.initializers.xavier_uniform",
    "lecun_normal": "initlab.initializers.lecun_normal",
    "adaptive_he": "initlab.custom.adaptive_he",
    "spectral_norm": "initlab.custom.spectral_norm_init",
    "layer_sequential": "initlab.custom.layer_sequential_init",
    "width_aware": "initlab.custom.width_aware_init",
}

_COMMON_ACTIVATIONS = ("relu", "sigmoid", "tanh")


def _check_activation(activation) -> str:
    if not isinstance(activation, str):
        raise TypeError(
            f"activation must be a string such as 'relu', 'sigmoid' or 'tanh', got {activation!r} "
            f"of type {type(activation).__name__}."
        )
    return activation


@reference("analyze_network")
def analyze_network(layer_dims, activation: str = "relu") -> dict:
    """Describe a fully connected network: depth category, size and potential issues.

    Parameters
    ----------
    layer_dims : list of int
        Widths ``[n_0, n_1, ..., n_L]``, input first, at least two.
    activation : str, default 'relu'
        Checked to be a string; the analysis does not depend on it (as in the lab).

    Returns
    -------
    dict
        ``'depth_category'`` (``'shallow'``, ``'deep'`` or ``'very_deep'``),
        ``'num_hidden'``, ``'total_params'`` (weights and biases),
        ``'issues'`` (a list, in the order ``'wide_layers'``,
        ``'narrow_bottleneck'``, ``'very_deep'``, ``'irregular_width'``) and
        ``'width_ratios'`` (``layer_dims[i+1] / layer_dims[i]``, last hidden ->
        output step excluded).

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

    issues = []
    if max(dims) > 1000:
        issues.append("wide_layers")
    if num_hidden > 0 and min(dims[1:-1]) < 10:
        issues.append("narrow_bottleneck")
    if num_hidden > 20:
        issues.append("very_deep")
    width_ratios = [dims[i + 1] / dims[i] for i in range(len(dims) - 2)]
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
    if activation.lower() in _COMMON_ACTIVATIONS:
        base_confidence += 0.1
    if len(analysis["issues"]) > 2:
        base_confidence -= 0.2
    return min(max(base_confidence, 0.3), 0.95)


def _get_alternatives(primary: str, activation: str) -> list[str]:
    """The lab's alternatives to ``primary`` (``activation`` is unused, as in the lab)."""
    if primary == "he_normal":
        return ["he_uniform", "adaptive_he"]
    if primary == "xavier_normal":
        return ["xavier_uniform", "lecun_normal"]
    if primary == "adaptive_he":
        return ["he_normal", "spectral_norm"]
    return ["he_normal", "xavier_normal"]


@reference("recommend_initialization")
def recommend_initialization(layer_dims, activation: str = "relu", problem_type: str = "classification",
                             verbose: bool = False, *, recommendations: dict | None = None) -> dict:
    """Recommend an initialization method for a fully connected network (the lab's rules).

    Parameters
    ----------
    layer_dims : list of int
        Widths ``[n_0, n_1, ..., n_L]``, input first, at least two.
    activation : str, default 'relu'
        Activation of the hidden layers, case-insensitive. One not in the table
        falls back to ``'he_normal'``, as in the lab.
    problem_type : str, default 'classification'
        Accepted for the lab's signature; the rules do not use it.
    verbose : bool, default False
        Print the analysis and the recommendation as the lab does (the lab's
        default is True).
    recommendations : dict, optional
        Activation -> depth category -> method table; :data:`RECOMMENDATIONS`
        by default.

    Returns
    -------
    dict
        ``'method'``, ``'confidence'``, ``'alternatives'``, ``'advice'`` (a
        list of strings) and ``'analysis'`` (see :func:`analyze_network`).

    Examples
    --------
    >>> rec = recommend_initialization([50, 100, 50, 25, 1], 'sigmoid')
    >>> rec['method'], rec['alternatives']
    ('xavier_normal', ['xavier_uniform', 'lecun_normal'])
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

    if activation.lower() in table:
        base_rec = table[activation.lower()][analysis["depth_category"]]
    else:
        base_rec = "he_normal"  # default fallback, as in the lab

    final_rec = base_rec
    additional_advice = []
    if "wide_layers" in analysis["issues"]:
        additional_advice.append("Consider batch normalization for wide layers")
        if base_rec == "he_normal":
            final_rec = "adaptive_he"
    if "narrow_bottleneck" in analysis["issues"]:
        additional_advice.append("Narrow layers may cause information loss")
    if "irregular_width" in analysis["issues"]:
        additional_advice.append("Consider layer-specific initialization")
        if base_rec in ["he_normal", "xavier_normal"]:
            final_rec = "width_aware"
    if "very_deep" in analysis["issues"]:
        additional_advice.append("Consider residual connections")
        final_rec = "spectral_norm"

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
