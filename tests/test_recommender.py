"""The recommender of Part 9: the lab's rules, its five examples, the edge cases and the input checks."""

import pytest

import initlab
from initlab.recommender import (
    METHOD_FUNCTIONS,
    RECOMMENDATIONS,
    InitializationRecommender,
    analyze_network,
    recommend_initialization,
)

HE = ["he_uniform", "adaptive_he"]
XAVIER = ["xavier_uniform", "lecun_normal"]
ADAPTIVE = ["he_normal", "spectral_norm"]
OTHER = ["he_normal", "xavier_normal"]

WIDE = "Consider batch normalization for wide layers"
NARROW = "Narrow layers may cause information loss"
IRREGULAR = "Consider layer-specific initialization"
RESIDUAL = "Consider residual connections"

# The lab's five test networks, worked out by hand from the rules.
# Two differ from the lab's printout because the hidden -> output width ratio is
# no longer counted (SEED row 13):
# * "Wide Shallow Network": the lab also saw 1/1000 < 0.1 ('irregular_width') and
#   printed Width Aware, alternatives he_normal, xavier_normal; now only
#   'wide_layers' remains and he_normal becomes adaptive_he.
# * "Sigmoid Network": the lab saw 1/25 < 0.1 and printed Width Aware; now there
#   is no issue and it gets xavier_normal, as Part 10 says for sigmoid.
# The other three are unchanged ("Very Deep Network" has 9 hidden layers, so the
# rules call it 'deep'; "Irregular Architecture" is irregular without the last
# step too: 1000/10 = 100).
LAB_EXAMPLES = {
    "Simple Classification Network": (
        [784, 128, 64, 10], "relu",
        {"method": "he_normal", "confidence": 0.9, "alternatives": HE, "advice": [],
         "depth_category": "shallow", "num_hidden": 2, "total_params": 109_386, "issues": []},
    ),
    "Very Deep Network": (
        [100, 512, 256, 128, 64, 32, 16, 8, 4, 2, 1], "relu",
        {"method": "adaptive_he", "confidence": 0.9, "alternatives": ADAPTIVE, "advice": [NARROW],
         "depth_category": "deep", "num_hidden": 9, "total_params": 226_985,
         "issues": ["narrow_bottleneck"]},
    ),
    "Wide Shallow Network": (  # differs from the lab (row 13): lab printed width_aware
        [1000, 2000, 1000, 1], "relu",
        {"method": "adaptive_he", "confidence": 0.9, "alternatives": ADAPTIVE, "advice": [WIDE],
         "depth_category": "shallow", "num_hidden": 2, "total_params": 4_004_001,
         "issues": ["wide_layers"]},
    ),
    "Sigmoid Network": (  # differs from the lab (row 13): lab printed width_aware
        [50, 100, 50, 25, 1], "sigmoid",
        {"method": "xavier_normal", "confidence": 0.9, "alternatives": XAVIER, "advice": [],
         "depth_category": "shallow", "num_hidden": 3, "total_params": 11_451, "issues": []},
    ),
    "Irregular Architecture": (
        [10, 1000, 5, 500, 1], "relu",
        {"method": "width_aware", "confidence": 0.9, "alternatives": OTHER, "advice": [NARROW, IRREGULAR],
         "depth_category": "shallow", "num_hidden": 3, "total_params": 19_506,
         "issues": ["narrow_bottleneck", "irregular_width"]},
    ),
}


def _check(rec, expected):
    assert rec["method"] == expected["method"]
    assert rec["confidence"] == pytest.approx(expected["confidence"])
    assert rec["alternatives"] == expected["alternatives"]
    assert rec["advice"] == expected["advice"]
    for key in ("depth_category", "num_hidden", "total_params", "issues"):
        assert rec["analysis"][key] == expected[key], key


@pytest.mark.parametrize("name", LAB_EXAMPLES)
def test_lab_examples(name):
    dims, activation, expected = LAB_EXAMPLES[name]
    _check(recommend_initialization(dims, activation), expected)
    _check(InitializationRecommender().recommend_initialization(dims, activation), expected)


def test_width_ratios_exclude_the_output_step():
    assert analyze_network([1000, 2000, 1000, 1])["width_ratios"] == [2.0, 0.5]
    assert analyze_network([5, 1])["width_ratios"] == []


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
        "\nRecommendation: Width Aware\n"
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


def test_25_hidden_layers_is_very_deep():
    _check(recommend_initialization([32] * 27, "relu"),
           {"method": "spectral_norm", "confidence": 0.9, "alternatives": OTHER, "advice": [RESIDUAL],
            "depth_category": "very_deep", "num_hidden": 25, "total_params": 26 * (32 * 32 + 32),
            "issues": ["very_deep"]})


def test_very_deep_issue_starts_after_20_hidden_layers():
    # 20 hidden: category very_deep (table), issue not raised; 21: issue forces spectral_norm
    assert recommend_initialization([16] * 22, "sigmoid")["method"] == "layer_sequential"
    rec = recommend_initialization([16] * 23, "sigmoid")
    assert rec["method"] == "spectral_norm" and rec["analysis"]["issues"] == ["very_deep"]


@pytest.mark.parametrize("num_hidden, category", [(3, "shallow"), (4, "deep"), (10, "deep"),
                                                  (11, "very_deep")])
def test_depth_boundaries(num_hidden, category):
    dims = [8] + [16] * num_hidden + [1]
    assert analyze_network(dims)["depth_category"] == category
    expected = {"shallow": "he_normal", "deep": "adaptive_he", "very_deep": "spectral_norm"}[category]
    assert recommend_initialization(dims, "relu")["method"] == expected


def test_width_threshold_1000_vs_1001():
    assert analyze_network([1000, 1000, 1])["issues"] == []
    rec = recommend_initialization([1001, 1001, 1])
    assert rec["analysis"]["issues"] == ["wide_layers"]
    assert rec["method"] == "adaptive_he" and rec["advice"] == [WIDE]


def test_bottleneck_threshold_10_vs_9():
    assert analyze_network([10, 10, 10])["issues"] == []
    rec = recommend_initialization([10, 9, 10])
    assert rec["analysis"]["issues"] == ["narrow_bottleneck"]
    assert rec["method"] == "he_normal" and rec["advice"] == [NARROW]


def test_ratio_thresholds_are_strict():
    assert analyze_network([10, 100, 1])["issues"] == []  # ratio exactly 10
    assert analyze_network([100, 10, 1])["issues"] == []  # ratio exactly 0.1
    assert analyze_network([10, 101, 1])["issues"] == ["irregular_width"]
    assert analyze_network([101, 10, 1])["issues"] == ["irregular_width"]


def test_irregular_width_keeps_a_non_default_base():
    # the width rule only replaces he_normal / xavier_normal
    rec = recommend_initialization([10, 200, 20, 20, 20, 1], "relu")  # deep -> adaptive_he
    assert rec["analysis"]["issues"] == ["irregular_width"]
    assert rec["method"] == "adaptive_he" and rec["advice"] == [IRREGULAR]
    assert recommend_initialization([10, 200, 1], "tanh")["method"] == "width_aware"


def test_more_than_two_issues_lowers_confidence():
    dims = [2000] + [5] * 21 + [1]  # wide, narrow, very deep, ratio 5/2000 irregular
    rec = recommend_initialization(dims, "relu")
    assert rec["analysis"]["issues"] == ["wide_layers", "narrow_bottleneck", "very_deep", "irregular_width"]
    assert rec["advice"] == [WIDE, NARROW, IRREGULAR, RESIDUAL]
    assert rec["method"] == "spectral_norm"
    assert rec["confidence"] == pytest.approx(0.7)
    assert recommend_initialization(dims, "selu")["confidence"] == pytest.approx(0.6)


@pytest.mark.parametrize("activation, method, confidence, alternatives", [
    ("swish", "he_normal", 0.8, HE),  # unknown activation: the lab's fallback
    ("ReLU", "he_normal", 0.9, HE),  # case-insensitive, as the lab
    ("leaky_relu", "he_normal", 0.8, HE),
    ("tanh", "xavier_normal", 0.9, XAVIER),
    ("selu", "lecun_normal", 0.8, OTHER),
])
def test_activations(activation, method, confidence, alternatives):
    rec = recommend_initialization([20, 30, 1], activation)
    assert rec["method"] == method
    assert rec["confidence"] == pytest.approx(confidence)
    assert rec["alternatives"] == alternatives


@pytest.mark.parametrize("layer_dims, activation, error, match", [
    ([], "relu", ValueError, "layer_dims"),
    ([3], "relu", ValueError, "at least two"),
    ([3, 0], "relu", ValueError, "positive"),
    ([3, 2.5], "relu", TypeError, "only ints"),
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


def test_class_methods_and_table():
    r = InitializationRecommender()
    assert r.recommendations == RECOMMENDATIONS and r.recommendations is not RECOMMENDATIONS
    analysis = r.analyze_network([784, 128, 64, 10])
    assert r._calculate_confidence(analysis, "relu") == pytest.approx(0.9)
    assert r._get_alternatives("xavier_normal", "tanh") == XAVIER
    r.recommendations["relu"]["shallow"] = "xavier_normal"  # an edited table is used ...
    assert r.recommend_initialization([784, 128, 64, 10])["method"] == "xavier_normal"
    assert recommend_initialization([784, 128, 64, 10])["method"] == "he_normal"  # ... only there
    assert initlab.InitializationRecommender is InitializationRecommender


def test_every_method_has_an_initlab_function():
    import importlib

    names = {m for row in RECOMMENDATIONS.values() for m in row.values()}
    names |= {"adaptive_he", "width_aware", "spectral_norm", "he_uniform", "xavier_uniform"}
    for name in names:
        module, func = METHOD_FUNCTIONS[name].rsplit(".", 1)
        assert callable(getattr(importlib.import_module(module), func))


def test_class_methods_go_through_the_reference_functions():
    from initlab._guard import ReferenceCalledError, forbid

    with forbid("recommend_initialization"), pytest.raises(ReferenceCalledError):
        InitializationRecommender().recommend_initialization([5, 1])
    with forbid("analyze_network"), pytest.raises(ReferenceCalledError):
        InitializationRecommender().analyze_network([5, 1])
