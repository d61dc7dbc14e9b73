"""Hidden tests of Part 9 (``09_decision_framework.ipynb``): the network analysis and the recommender.

The test cells call :func:`check_analyze_network` and
:func:`check_recommend_initialization` with the student's function. Both compare
it with :mod:`initlab.recommender` on a few hundred networks around every
threshold (some passed as tuples, as the spec allows, with activation names in
any case and with spaces around), as plain data: what the sandbox's worker
converts (mappings, list subclasses and tuples, numpy scalars) is accepted here
too, so that an answer gets the same grade with and without the sandbox. When an answer is
wrong, the message names a mistake only if the answer matches the rules with
that one mistake on *every* network, and only if no other catalogued mistake
matches as well (a hint is a claim).
"""

from __future__ import annotations

import numpy as np

from .core import check_dict_keys, no_delegation

__all__ = ["check_analyze_network", "check_recommend_initialization", "plain_analysis", "plain_recommendation",
           "MISTAKES", "rules"]

_NAMES = ("analyze_network", "recommend_initialization")

# the lab's original table (with its depth overrides), for the mistake "you used the lab's table"
_LAB_TABLE = {
    "relu": {"shallow": "he_normal", "deep": "adaptive_he", "very_deep": "spectral_norm"},
    "leaky_relu": {"shallow": "he_normal", "deep": "he_normal", "very_deep": "adaptive_he"},
    "sigmoid": {"shallow": "xavier_normal", "deep": "xavier_normal", "very_deep": "layer_sequential"},
    "tanh": {"shallow": "xavier_normal", "deep": "xavier_normal", "very_deep": "layer_sequential"},
    "selu": {"shallow": "lecun_normal", "deep": "lecun_normal", "very_deep": "lecun_normal"},
}

#: flag of a mutated rule -> the mistake, in the student's words
MISTAKES = {
    "depth_lt": "the depth thresholds are off by one: shallow is at most 3 hidden layers (<= 3), deep 4 to 10 (<= 10)",
    "shallow_lt": "the shallow threshold is off by one: shallow is at most 3 hidden layers (<= 3, not < 3)",
    "deep_lt": "the deep threshold is off by one: deep is 4 to 10 hidden layers (<= 10, not < 10)",
    "no_bias": "you left out the biases (each layer has n_in * n_out weights plus n_out biases)",
    "bias_in": "you counted one bias per input unit; a layer has one bias per output unit",
    "final_ratio": "you included the final hidden -> output width ratio, which the rule leaves out",
    "input_ratio": "you included the input -> first hidden width ratio; the input width is fixed by the data and "
                   "is left out (only ratios between consecutive hidden layers count)",
    "inverted": "your ratios are layer_dims[i] / layer_dims[i+1]; they are layer_dims[i+1] / layer_dims[i]",
    "irregular_le": "you used >= 10 or <= 0.1 where the rule says > 10 or < 0.1 (a ratio of exactly 10 or 0.1 is "
                    "regular)",
    "wide_ge": "you used >= 1000 where the rule says > 1000 (more than 1000 units is wide)",
    "wide_all": "you counted the input or output width as a wide layer; only hidden layers count",
    "narrow_le": "you used <= 10 where the rule says < 10 (fewer than 10 units is narrow)",
    "narrow_all": "you included the input or output width in the bottleneck check; only hidden layers count",
    "deep_ge": "you used >= 20 where the rule says > 20 (more than 20 hidden layers is very deep)",
    "issue_order": "the issues are in another order; it is wide_layers, narrow_bottleneck, very_deep, irregular_width",
    "nh_minus1": "you counted the output layer as a hidden layer (num_hidden = len(layer_dims) - 2)",
    "no_lower": "you did not lower-case the activation ('ReLU' must count as 'relu')",
    "no_strip": "you did not strip the spaces around the activation name (' relu ' must count as 'relu')",
    "advice_issue_order": "the advice is appended in the wrong order: wide layers, narrow bottleneck, irregular width, "
                          "then very deep (not the order of the issues list)",
    "lab_table": "you used the original lab's depth table (adaptive_he, spectral_norm, layer_sequential); the "
                 "method depends on the activation only",
    "no_tanh_advice": "the tanh gain advice is missing: for tanh the advice list starts with TANH_ADVICE",
    "tanh_advice_last": "the tanh gain advice comes first, before the advice for the issues",
    "conf_ge2": "the confidence drops by 0.2 for more than two issues (> 2), not for two or more",
    "conf_all_known": "the +0.1 is for relu, sigmoid and tanh only, not for every activation of the table",
}


def rules(dims, act="relu", m=()):
    """The rules of Part 9 with the mistakes in ``m`` switched on; used only to name a mistake."""
    from initlab.recommender import ADVICE, ALTERNATIVES, DEFAULT_METHOD, RECOMMENDATIONS, TANH_ADVICE

    dims = list(dims)
    nh = len(dims) - (1 if "nh_minus1" in m else 2)
    params = sum(dims[i] * dims[i + 1] + (0 if "no_bias" in m else dims[i] if "bias_in" in m else dims[i + 1])
                 for i in range(len(dims) - 1))
    lim = (2 if {"depth_lt", "shallow_lt"} & set(m) else 3, 9 if {"depth_lt", "deep_lt"} & set(m) else 10)
    cat = "shallow" if nh <= lim[0] else "deep" if nh <= lim[1] else "very_deep"
    hidden = dims[1:-1]
    found = {}
    widths = dims if "wide_all" in m else hidden
    found["wide_layers"] = bool(widths) and (max(widths) >= 1000 if "wide_ge" in m else max(widths) > 1000)
    pool = dims if "narrow_all" in m else hidden
    found["narrow_bottleneck"] = bool(pool) and (min(pool) <= 10 if "narrow_le" in m else min(pool) < 10)
    found["very_deep"] = nh >= 20 if "deep_ge" in m else nh > 20
    start = 0 if "input_ratio" in m else 1
    stop = len(dims) - 1 if "final_ratio" in m else len(dims) - 2
    ratios = [dims[i] / dims[i + 1] if "inverted" in m else dims[i + 1] / dims[i] for i in range(start, stop)]
    if "irregular_le" in m:
        found["irregular_width"] = bool(ratios) and (max(ratios) >= 10 or min(ratios) <= 0.1)
    else:
        found["irregular_width"] = bool(ratios) and (max(ratios) > 10 or min(ratios) < 0.1)
    order = ["wide_layers", "narrow_bottleneck", "very_deep", "irregular_width"]
    if "issue_order" in m:
        order = ["wide_layers", "narrow_bottleneck", "irregular_width", "very_deep"]
    issues = [k for k in order if found[k]]
    analysis = {"depth_category": cat, "num_hidden": nh, "total_params": params, "issues": issues,
                "width_ratios": ratios}
    key = act
    if "no_strip" not in m:
        key = key.strip()
    if "no_lower" not in m:
        key = key.lower()
    if "lab_table" in m:
        method = _LAB_TABLE[key][cat] if key in _LAB_TABLE else "he_normal"
    else:
        method = RECOMMENDATIONS.get(key, DEFAULT_METHOD)
    steps = ["wide_layers", "narrow_bottleneck", "irregular_width", "very_deep"]
    if "advice_issue_order" in m:
        steps = ["wide_layers", "narrow_bottleneck", "very_deep", "irregular_width"]
    advice = [ADVICE[issue] for issue in steps if issue in issues]
    if key == "tanh" and "no_tanh_advice" not in m:
        advice = advice + [TANH_ADVICE] if "tanh_advice_last" in m else [TANH_ADVICE] + advice
    conf = 0.8
    if key in (tuple(RECOMMENDATIONS) if "conf_all_known" in m else ("relu", "sigmoid", "tanh")):
        conf += 0.1
    if (len(issues) >= 2) if "conf_ge2" in m else (len(issues) > 2):
        conf -= 0.2
    conf = min(max(conf, 0.3), 0.95)
    alternatives = list(ALTERNATIVES.get(method, ["he_uniform", "lsuv"]))
    return {"method": method, "confidence": conf, "alternatives": alternatives, "advice": advice,
            "analysis": analysis}


def _networks():
    """Networks around every threshold of the rules, with their activation and the container to pass."""
    gen = np.random.default_rng(909_2024)
    nets = [
        [784, 128, 64, 10], [50, 100, 50, 25, 1], [1000, 2000, 1000, 1], [10, 1000, 5, 500, 1],
        [100, 512, 256, 128, 64, 32, 16, 8, 4, 2, 1], [7, 1], [2000, 1], [3, 9, 1], [30, 10, 2], [30, 11, 1],
        [20, 200, 20, 1], [20, 201, 20, 1], [20, 200, 19, 1], [40, 400, 2], [400, 40, 3], [64, 640, 6400, 1],
        [1001, 200, 200, 10], [100, 1000, 200, 10], [100, 1001, 200, 10], [100, 999, 200, 1001],
        [1001, 1001, 5, 50, 1], [2000] + [5] * 21 + [1], [1001] + [9] * 3 + [1], [12, 120, 12, 1200],
        [50, 9, 90, 1], [50, 10, 100, 1], [50, 11, 110, 1], [9, 50, 50, 9],
        # flattened RGB images: the input width is the data's, not a design choice
        [3072, 512, 256, 10], [3072, 256, 1], [150528, 4096, 4096, 1000], [3072, 300, 3000, 10],
        [3072, 2000, 100, 10], [12288, 64, 64, 64, 64, 1],
    ]
    for nh in [0, 1, 2, 3, 4, 10, 11, 20, 21, 30]:
        nets.append([32] + [64] * nh + [1])
        nets.append([32] + [640] * nh + [1])
        nets.append([3072] + [1001] * nh + [10])
    pool = [1, 2, 5, 9, 10, 11, 20, 64, 99, 100, 101, 200, 999, 1000, 1001, 2000]
    for _ in range(240):
        nh = int(gen.choice([0, 1, 2, 3, 4, 5, 9, 10, 11, 12, 19, 20, 21, 22]))
        dims = [int(gen.choice(pool))]
        for _ in range(nh + 1):
            prev, step = dims[-1], gen.choice(["same", "same", "same", "pool", "x10", "d10", "x2", "d2", "x11"])
            if step == "pool":
                w = int(gen.choice(pool))
            elif step == "x10":
                w = prev * 10 if prev <= 200 else prev
            elif step == "d10":
                w = prev // 10 if prev % 10 == 0 else prev
            elif step == "x2":
                w = prev * 2 if prev <= 1000 else prev
            elif step == "d2":
                w = prev // 2 if prev % 2 == 0 else prev
            elif step == "x11":
                w = prev * 11 if prev <= 200 else prev
            else:
                w = prev
            dims.append(w)
        nets.append(dims)
    acts = ["relu", "relu", "relu", "leaky_relu", "sigmoid", "tanh", "selu", "ReLU", "Tanh", "SIGMOID",
            "Leaky_ReLU", "elu", "gelu", "swish", "linear", " relu", "tanh ", " SELU ", "Linear"]
    cases = [(dims, acts[i % len(acts)] if i >= 28 else ("sigmoid" if i == 1 else "relu")) for i, dims in
             enumerate(nets)] + [(dims, str(gen.choice(acts))) for dims in nets[::3]]
    # every third network is passed as a tuple: the spec says "a list (or tuple)"
    return [(tuple(dims) if i % 3 == 2 else list(dims), act) for i, (dims, act) in enumerate(cases)]


_TYPES = {"method": (str, None), "confidence": (float, None), "alternatives": (list, str), "advice": (list, str),
          "analysis": (dict, None)}
_ANALYSIS_TYPES = {"depth_category": (str, None), "num_hidden": (int, None), "total_params": (int, None),
                   "issues": (list, str), "width_ratios": (list, float)}


def _same(a, b):
    if type(b) is float:
        return type(a) is float and abs(a - b) <= 1e-9 * max(1.0, abs(b))
    if type(b) is list:
        return type(a) is list and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if type(b) is dict:
        return type(a) is dict and all(k in a and _same(a[k], v) for k, v in b.items())
    return type(a) is type(b) and a == b


def _plain(value, outer, inner=None):
    """``value`` as plain data of type ``outer`` (items of type ``inner``), or None if it is not one.

    What the sandbox's worker converts is accepted here too, so that an answer gets the same grade
    with and without the sandbox: any mapping is a dict, a list subclass or a tuple is a list, a
    float, int or str subclass or a numpy scalar of the same kind is that type. A bool is not an int.
    """
    from collections.abc import Mapping

    if outer is dict:
        return dict(value) if isinstance(value, Mapping) else None
    if outer is list:
        if not isinstance(value, (list, tuple)):
            return None
        items = [_plain(item, inner) for item in value]
        return None if any(item is None for item in items) else items
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return None
    if outer is float and isinstance(value, float):
        return float(value)
    if outer is int and isinstance(value, int):
        return int(value)
    if outer is str and isinstance(value, str):
        return str(value)
    return None


def _check_types(result, label, types):
    """``result`` as a plain dict with plain values of ``types`` (see :func:`_plain`), or an AssertionError."""
    plain = _plain(result, dict)
    if plain is None:
        raise AssertionError(f"{label} should return a dict, got {type(result).__name__}.")
    check_dict_keys(plain, label, list(types))
    for key, (outer, inner) in types.items():
        value = _plain(plain[key], outer, inner)
        if value is None:
            what = f"a list of {inner.__name__}s" if inner is not None else f"a {outer.__name__}"
            raise AssertionError(
                f"{label}['{key}'] should be {what}, got {type(plain[key]).__name__}"
                + (f" {plain[key]!r}" if not isinstance(plain[key], (list, tuple, dict)) else "")
                + (" (convert with float(...))" if float in (outer, inner) else "")
                + (" (convert with int(...))" if outer is int else "") + ".")
        plain[key] = value
    return plain


def plain_analysis(result, label="analyze_network(...)") -> dict:
    """The result of ``analyze_network`` as plain data, or an AssertionError that says what is wrong."""
    return _check_types(result, label, _ANALYSIS_TYPES)


def plain_recommendation(result, label="recommend_initialization(...)") -> dict:
    """The result of ``recommend_initialization`` as plain data, or an AssertionError that says what is wrong."""
    result = _check_types(result, label, _TYPES)
    result["analysis"] = _check_types(result["analysis"], f"{label}['analysis']", _ANALYSIS_TYPES)
    return result


def _name_mistake(label, key, got, nets, pick):
    """The message for a wrong ``key``: the one mistake that explains every network, else a counterexample."""
    wrong = [i for i in range(len(nets)) if not _same(got[i], pick(rules(*nets[i]))[key])]
    if not wrong:
        return None
    matching = [text for flag, text in MISTAKES.items()
                if all(_same(got[i], pick(rules(*nets[i], (flag,)))[key]) for i in range(len(nets)))]
    head = f"{label}: '{key}' is wrong for {len(wrong)} of the {len(nets)} networks of the hidden tests"
    if len(matching) == 1:
        return f"{head}: it looks like {matching[0]}."
    if matching:
        return f"{head}: it looks like one of these mistakes: " + "; ".join(matching) + "."
    i = wrong[0]
    check = " Check the thresholds (strict > and <) and the order of the issues." if key in (
        "depth_category", "issues") else ""
    return (f"{head}; for one of them ({type(nets[i][0]).__name__} of {len(nets[i][0])} widths, activation "
            f"{nets[i][1]!r}) you returned {got[i]!r}, the rules give {pick(rules(*nets[i]))[key]!r}.{check}")


def check_analyze_network(analyze_network):
    """Hidden test of Exercise 9.1 (tests/initlab/test_recommender.py checks that :func:`rules` is the reference)."""
    nets = _networks()
    got = []
    for dims, act in nets:
        try:
            result = no_delegation(_NAMES, analyze_network, dims, act)
        except AssertionError:
            raise
        except Exception as err:
            raise AssertionError(
                f"analyze_network raised {type(err).__name__} ({err}) for a valid network of the hidden tests "
                f"(given as a {type(dims).__name__}; the spec allows a list or a tuple).") from None
        result = _check_types(result, "analyze_network(...)", _ANALYSIS_TYPES)
        got.append(result)
    for key in ["num_hidden", "total_params", "depth_category", "issues", "width_ratios"]:
        message = _name_mistake("analyze_network", key, [g[key] for g in got], nets, lambda r: r["analysis"])
        if message:
            raise AssertionError(message)
    for bad, what in [([], "an empty list"), ([5], "a single width"), ([5, 0, 1], "a width of 0"),
                      ([5, -3, 1], "a negative width"), ([5, 2.5, 1], "a width that is not an int"),
                      ("784, 10", "a string"), (None, "None"), (784, "a single int"), ([5, "10", 1], "a string width"),
                      ((5, 0, 1), "a tuple with a width of 0"), ([5, True, 1], "a bool width")]:
        try:
            analyze_network(bad)
        except (TypeError, ValueError):
            pass
        except Exception as err:
            raise AssertionError(
                f"analyze_network raised {type(err).__name__} for layer_dims = {what}; raise a ValueError or "
                f"TypeError with a clear message instead.") from None
        else:
            raise AssertionError(f"analyze_network accepted layer_dims = {what}; it should raise a ValueError or "
                                 f"TypeError.")
    for bad in [None, 3, ["relu"]]:
        try:
            analyze_network([10, 5, 1], bad)
        except (TypeError, ValueError):
            pass
        else:
            raise AssertionError("analyze_network accepted an activation that is not a string; raise a TypeError.")


def check_recommend_initialization(recommend_initialization):
    """Hidden test of Exercise 9.2."""
    nets = _networks()
    got = []
    for dims, act in nets:
        try:
            result = no_delegation(_NAMES, recommend_initialization, dims, act)
        except AssertionError:
            raise
        except Exception as err:
            raise AssertionError(
                f"recommend_initialization raised {type(err).__name__} ({err}) for a valid network of the hidden "
                f"tests (activation {act!r}, layer_dims given as a {type(dims).__name__}). Activations not in the "
                f"table get DEFAULT_METHOD; names are case-insensitive, spaces around ignored.") from None
        result = _check_types(result, "recommend_initialization(...)", _TYPES)
        result["analysis"] = _check_types(result["analysis"], "recommend_initialization(...)['analysis']",
                                          _ANALYSIS_TYPES)
        got.append(result)
    if any(not _same(got[i]["analysis"], rules(*nets[i])["analysis"]) for i in range(len(nets))):
        raise AssertionError(
            "recommend_initialization(...)['analysis'] differs from the rules' analysis for some networks of the "
            "hidden tests: fix analyze_network first (its test names the mistake), and return its result.")
    for key in ["advice", "method", "confidence", "alternatives"]:
        message = _name_mistake("recommend_initialization", key, [g[key] for g in got], nets, lambda r: r)
        if message:
            raise AssertionError(message)
    for args, what in [(([5], "relu"), "layer_dims with a single width"), (([10, 0, 1], "relu"), "a width of 0"),
                       (([10, 5, 1], None), "an activation that is not a string")]:
        try:
            recommend_initialization(*args)
        except (TypeError, ValueError):
            pass
        else:
            raise AssertionError(f"recommend_initialization accepted {what}; it should raise a ValueError or "
                                 f"TypeError.")
