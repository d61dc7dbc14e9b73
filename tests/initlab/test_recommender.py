"""The recommender of Part 9: rules with sources, the lab's examples, the edge cases and the input checks."""

import importlib

import pytest

import initlab
from initlab.recommender import (
    ADVICE,
    ALTERNATIVES,
    DEFAULT_METHOD,
    METHOD_FUNCTIONS,
    RECOMMENDATIONS,
    TANH_ADVICE,
    InitializationRecommender,
    analyze_network,
    normalize_activation,
    recommend_initialization,
)

HE = ["he_uniform", "lsuv"]
XAVIER = ["xavier_uniform", "orthogonal"]
LECUN = ["lecun_uniform", "lsuv"]
WIDE, NARROW = ADVICE["wide_layers"], ADVICE["narrow_bottleneck"]
IRREGULAR, RESIDUAL = ADVICE["irregular_width"], ADVICE["very_deep"]

# the lab's five examples; the lab printed He Normal, Adaptive He, Width Aware, Width Aware, Width Aware
LAB_EXAMPLES = {
    "Simple Classification Network": (
        [784, 128, 64, 10], "relu",
        {"method": "he_normal", "confidence": 0.9, "alternatives": HE, "advice": [],
         "depth_category": "shallow", "num_hidden": 2, "total_params": 109_386, "issues": []}),
    "Very Deep Network": (  # the lab: adaptive_he, whose depth factor shrinks the signal (Part 8)
        [100, 512, 256, 128, 64, 32, 16, 8, 4, 2, 1], "relu",
        {"method": "he_normal", "confidence": 0.9, "alternatives": HE, "advice": [NARROW],
         "depth_category": "deep", "num_hidden": 9, "issues": ["narrow_bottleneck"]}),
    "Wide Shallow Network": (  # the lab: width_aware (it counted 1000 -> 1 as irregular)
        [1000, 2000, 1000, 1], "relu",
        {"method": "he_normal", "confidence": 0.9, "alternatives": HE, "advice": [WIDE],
         "depth_category": "shallow", "num_hidden": 2, "issues": ["wide_layers"]}),
    "Sigmoid Network": (  # the lab: width_aware (it counted 25 -> 1 as irregular)
        [50, 100, 50, 25, 1], "sigmoid",
        {"method": "xavier_normal", "confidence": 0.9, "alternatives": XAVIER, "advice": [],
         "depth_category": "shallow", "num_hidden": 3, "issues": []}),
    "Irregular Architecture": (  # still irregular (1000 -> 5 -> 500), but the advice does not change the method
        [10, 1000, 5, 500, 1], "relu",
        {"method": "he_normal", "confidence": 0.9, "alternatives": HE, "advice": [NARROW, IRREGULAR],
         "depth_category": "shallow", "num_hidden": 3, "issues": ["narrow_bottleneck", "irregular_width"]}),
}


def _check(rec, expected):
    for key in ("method", "alternatives", "advice"):
        assert rec[key] == expected[key], key
    assert rec["confidence"] == pytest.approx(expected["confidence"])
    for key in ("depth_category", "num_hidden", "total_params", "issues"):
        if key in expected:
            assert rec["analysis"][key] == expected[key], key


@pytest.mark.parametrize("name", list(LAB_EXAMPLES))
def test_lab_examples(name):
    dims, act, expected = LAB_EXAMPLES[name]
    _check(recommend_initialization(dims, act), expected)


def test_input_and_output_widths_count_neither_as_wide_nor_in_ratios():
    assert analyze_network([1000, 2000, 1000, 1])["width_ratios"] == [0.5]
    assert analyze_network([784, 128, 64, 10])["width_ratios"] == [0.5]
    assert analyze_network([5, 1])["width_ratios"] == [] and analyze_network([5, 7, 1])["width_ratios"] == []
    # flattened RGB images (CIFAR-10, ImageNet-sized): the lab called them wide and irregular
    assert analyze_network([3072, 512, 256, 10])["issues"] == []
    assert analyze_network((150528, 4096, 4096, 1000))["issues"] == ["wide_layers"]  # 4096 hidden units are wide
    assert analyze_network([150528, 512, 10])["issues"] == []
    assert analyze_network([3072, 300, 3000, 10])["issues"] == ["wide_layers"]   # 3000 / 300 = 10 is regular
    assert analyze_network([3072, 299, 3000, 10])["issues"] == ["wide_layers", "irregular_width"]


def test_verbose_prints_like_the_lab(capsys):
    recommend_initialization([10, 1000, 5, 500, 1], "relu", verbose=True)
    out = capsys.readouterr().out
    assert out == (
        "Network Analysis:\n"
        "  Architecture: [10, 1000, 5, 500, 1]\n"
        "  Activation: relu\n"
        "  Hidden layers: 3\n"
        "  Total parameters: 19,506\n"
        "  Depth category: shallow\n"
        "  Potential issues: narrow_bottleneck, irregular_width\n"
        "\nRecommendation: He Normal\n"
        "Additional advice:\n"
        "  - Narrow layers may cause information loss\n"
        "  - Consider layer-specific initialization\n"
    )
    recommend_initialization([784, 128, 64, 10])
    assert capsys.readouterr().out == ""  # verbose defaults to False


def test_no_hidden_layer():
    _check(recommend_initialization([5, 1]),
           {"method": "he_normal", "confidence": 0.9, "alternatives": HE, "advice": [],
            "depth_category": "shallow", "num_hidden": 0, "total_params": 6, "issues": []})


@pytest.mark.parametrize("num_hidden, category", [(3, "shallow"), (4, "deep"), (10, "deep"), (11, "very_deep")])
def test_depth_categories_do_not_change_the_method(num_hidden, category):
    for act, method in [("relu", "he_normal"), ("selu", "lecun_normal"), ("tanh", "xavier_normal")]:
        rec = recommend_initialization([16] + [32] * num_hidden + [1], act)
        assert rec["analysis"]["depth_category"] == category
        assert rec["method"] == method


def test_very_deep_issue_adds_advice_only():
    rec = recommend_initialization([16] * 22, "sigmoid")   # 20 hidden layers: not yet the issue
    assert rec["analysis"]["issues"] == [] and rec["method"] == "xavier_normal"
    rec = recommend_initialization([32] + [64] * 30 + [1], "SELU")   # Klambauer et al. 2017: LeCun at any depth
    assert rec["method"] == "lecun_normal" and rec["advice"] == [RESIDUAL] and rec["alternatives"] == LECUN


def test_width_threshold_1000_vs_1001():
    assert analyze_network([10, 1000, 1])["issues"] == []
    rec = recommend_initialization([10, 1001, 1])
    assert rec["analysis"]["issues"] == ["wide_layers"]
    assert rec["method"] == "he_normal" and rec["advice"] == [WIDE]
    assert analyze_network([1001, 10, 1])["issues"] == [] and analyze_network([10, 20, 1001])["issues"] == []


def test_bottleneck_threshold_10_vs_9():
    assert analyze_network([20, 10, 1])["issues"] == []
    assert analyze_network([20, 9, 1])["issues"] == ["narrow_bottleneck"]
    assert analyze_network([5, 20, 1])["issues"] == []  # the input is not a bottleneck


def test_ratio_thresholds_are_strict():
    assert analyze_network([10, 10, 100, 10, 1])["issues"] == []   # ratios exactly 10 and 0.1
    assert analyze_network([10, 10, 101, 1])["issues"] == ["irregular_width"]
    assert analyze_network([10, 101, 10, 1])["issues"] == ["irregular_width"]
    assert analyze_network([10, 101, 1])["issues"] == []   # one hidden layer: no ratio at all


def test_advice_order_and_tanh_gain():
    dims = [2000] + [5] * 21 + [2000, 1]   # narrow, very deep, irregular (2000/5), wide
    rec = recommend_initialization(dims, " Tanh ")
    assert rec["analysis"]["issues"] == ["wide_layers", "narrow_bottleneck", "very_deep", "irregular_width"]
    assert rec["advice"] == [TANH_ADVICE, WIDE, NARROW, IRREGULAR, RESIDUAL]
    assert rec["method"] == "xavier_normal"
    assert rec["confidence"] == pytest.approx(0.7)
    assert recommend_initialization(dims, "selu")["confidence"] == pytest.approx(0.6)


@pytest.mark.parametrize("activation, method, confidence, alternatives", [
    ("swish", "he_normal", 0.8, HE),  # unknown activation: DEFAULT_METHOD
    ("ReLU", "he_normal", 0.9, HE),  # case-insensitive ...
    (" relu ", "he_normal", 0.9, HE),  # ... and spaces around are ignored, the rule of the whole lab
    ("leaky_relu", "he_normal", 0.8, HE),
    ("ELU", "he_normal", 0.8, HE),
    ("tanh", "xavier_normal", 0.9, XAVIER),
    ("linear", "xavier_normal", 0.8, XAVIER),
    ("selu", "lecun_normal", 0.8, LECUN),
])
def test_activations(activation, method, confidence, alternatives):
    rec = recommend_initialization([20, 30, 1], activation)
    assert rec["method"] == method
    assert rec["confidence"] == pytest.approx(confidence)
    assert rec["alternatives"] == alternatives
    assert rec["alternatives"] is not ALTERNATIVES[method]


@pytest.mark.parametrize("layer_dims, activation, error, match", [
    ([], "relu", ValueError, "layer_dims"),
    ([3], "relu", ValueError, "at least two"),
    ([3, 0], "relu", ValueError, "positive"),
    ([3, 2.5], "relu", TypeError, "only ints"),
    ([3, True], "relu", TypeError, "bool"),
    ("3,2", "relu", TypeError, "layer_dims"),
    (None, "relu", TypeError, "layer_dims"),
    ([3, 2], None, TypeError, "activation"),
    ([3, 2], 1, TypeError, "activation"),
])
def test_bad_inputs(layer_dims, activation, error, match):
    with pytest.raises(error, match=match):
        recommend_initialization(layer_dims, activation)
    with pytest.raises(error, match=match):
        analyze_network(layer_dims, activation)


def test_normalize_activation():
    assert normalize_activation(" LeakY_ReLU\t") == "leaky_relu"
    with pytest.raises(TypeError, match="activation"):
        normalize_activation(None)


def test_class_methods_and_table():
    r = InitializationRecommender()
    assert r.recommendations == RECOMMENDATIONS and r.recommendations is not RECOMMENDATIONS
    analysis = r.analyze_network([784, 128, 64, 10])
    assert r._calculate_confidence(analysis, "relu") == pytest.approx(0.9)
    assert r._get_alternatives("xavier_normal", "tanh") == XAVIER
    r.recommendations["relu"] = "xavier_normal"  # an edited table is used ...
    assert r.recommend_initialization([784, 128, 64, 10])["method"] == "xavier_normal"
    assert recommend_initialization([784, 128, 64, 10])["method"] == "he_normal"  # ... only there
    assert initlab.InitializationRecommender is InitializationRecommender


def test_every_method_has_an_initlab_function():
    names = set(RECOMMENDATIONS.values()) | {DEFAULT_METHOD}
    names |= {m for alts in ALTERNATIVES.values() for m in alts}
    assert names == set(METHOD_FUNCTIONS)
    assert set(RECOMMENDATIONS.values()) | {DEFAULT_METHOD} <= set(ALTERNATIVES)
    for name in names:
        module, func = METHOD_FUNCTIONS[name].rsplit(".", 1)
        assert callable(getattr(importlib.import_module(module), func))


def test_class_methods_go_through_the_reference_functions():
    from initlab._guard import ReferenceCalledError, forbid

    with forbid("recommend_initialization"), pytest.raises(ReferenceCalledError):
        InitializationRecommender().recommend_initialization([5, 1])
    with forbid("analyze_network"), pytest.raises(ReferenceCalledError):
        InitializationRecommender().analyze_network([5, 1])


def test_hidden_test_rules_match_the_reference_and_name_mistakes():
    """labcheck.recommender's simulator is the reference; each catalogued mistake is caught and named."""
    from labcheck import recommender as hidden

    for dims, act in hidden._networks():
        assert hidden._same(recommend_initialization(dims, act), hidden.rules(dims, act))
    from initlab._validation import check_layer_dims

    def student(dims, act="relu", flags=()):
        check_layer_dims(dims)
        normalize_activation(act)
        return hidden.rules(dims, act, flags)

    hidden.check_analyze_network(lambda dims, act="relu": student(dims, act)["analysis"])
    hidden.check_recommend_initialization(lambda dims, act="relu", problem_type="c": student(dims, act))
    for flag, text in [("wide_all", "input or output width"), ("input_ratio", "input -> first hidden"),
                       ("lab_table", "original lab's depth table"), ("no_strip", "strip")]:
        def wrong(dims, act="relu", problem_type="classification", flag=flag):
            return student(dims, act, (flag,))
        check = hidden.check_recommend_initialization if flag in ("lab_table", "no_strip") else None
        if check is None:
            def wrong_analysis(dims, act="relu", flag=flag):
                return student(dims, act, (flag,))["analysis"]
            with pytest.raises(AssertionError, match=text.replace("(", r"\(")):
                hidden.check_analyze_network(wrong_analysis)
        else:
            with pytest.raises(AssertionError, match=text):
                check(wrong)
