"""The best-practices guide of Part 10: its data, renderers and decision function."""

import pytest

import initlab
from initlab import CustomInitializer
from initlab.guide import (
    BEST_PRACTICES,
    DECISION_TREE,
    METHOD_NAMES,
    NOT_IMPLEMENTED,
    QUICK_REFERENCE,
    choose_initializer,
    render_decision_tree,
    render_guide,
    render_quick_reference,
)

# Cells of the table that are not initialization methods at all.
NON_METHODS = {"Pretrained weights"}


def _exists(name):
    return name in initlab.INITIALIZERS or hasattr(CustomInitializer, name) or name == "lsuv_init"


def test_every_mapped_name_exists():
    for display, name in METHOD_NAMES.items():
        assert _exists(name), display
    assert "lecun_uniform" in METHOD_NAMES.values() and "lsuv_init" in METHOD_NAMES.values()
    assert "Fixup" in NOT_IMPLEMENTED and "Fixup" not in METHOD_NAMES


def test_every_table_cell_is_mapped_or_marked():
    for row in QUICK_REFERENCE:
        for cell, method in [(row.recommended, row.recommended_method),
                             (row.alternative, row.alternative_method)]:
            if method is None:
                assert cell in NOT_IMPLEMENTED or cell in NON_METHODS, cell
            else:
                assert _exists(method), cell
    names = {row.recommended for row in QUICK_REFERENCE} | {row.alternative for row in QUICK_REFERENCE}
    assert {"LeCun Uniform", "LSUV", "Fixup"} <= names  # the lab's unimplemented names are covered


def _leaves(node):
    if "children" not in node:
        return [node]
    return [leaf for child in node["children"] for leaf in _leaves(child)]


def test_decision_tree_leaves_are_initlab_methods():
    leaves = _leaves(DECISION_TREE)
    assert {leaf["method"] for leaf in leaves} == {
        "orthogonal", "he_normal", "xavier_normal", "lecun_normal", "variance_scaling"}
    for leaf in leaves:
        assert _exists(leaf["method"])


@pytest.mark.parametrize("activation, num_hidden, recurrent, expected", [
    ("relu", 0, False, "he_normal"),
    ("relu", 10, False, "he_normal"),
    ("relu", 11, False, "he_normal"),  # He at every depth (Part 10.6 measures adaptive_he collapsing)
    ("leaky_relu", 3, False, "he_normal"),
    ("elu", 25, False, "he_normal"),
    ("ReLU", 2, False, "he_normal"),  # case-insensitive
    (" Tanh ", 2, False, "xavier_normal"),  # spaces around ignored, the rule of the whole lab
    ("sigmoid", 1, False, "xavier_normal"),
    ("tanh", 30, False, "xavier_normal"),
    ("selu", 50, False, "lecun_normal"),
    ("swish", 2, False, "variance_scaling"),
    ("gelu", 20, False, "variance_scaling"),
    ("tanh", 1, True, "orthogonal"),
    ("relu", 15, True, "orthogonal"),
    ("swish", 0, True, "orthogonal"),
])
def test_choose_initializer(activation, num_hidden, recurrent, expected):
    assert choose_initializer(activation, num_hidden, recurrent=recurrent) == expected


@pytest.mark.parametrize("args, kwargs, error, match", [
    ((None, 2), {}, TypeError, "activation"),
    ((3, 2), {}, TypeError, "activation"),
    (("relu", -1), {}, ValueError, "num_hidden"),
    (("relu", 2.0), {}, TypeError, "num_hidden"),
    (("relu", True), {}, TypeError, "num_hidden"),
    (("relu", "3"), {}, TypeError, "num_hidden"),
    (("relu", 2), {"recurrent": "yes"}, TypeError, "recurrent"),
])
def test_choose_initializer_rejects_bad_inputs(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        choose_initializer(*args, **kwargs)


def test_choose_initializer_recurrent_is_keyword_only():
    with pytest.raises(TypeError):
        choose_initializer("relu", 2, True)


def test_render_quick_reference():
    md = render_quick_reference()
    lines = md.strip().splitlines()
    assert lines[0] == "| Scenario | Recommended | Alternative | Notes |"
    assert lines[1] == "|---|---|---|---|"
    assert len(lines) == 2 + len(QUICK_REFERENCE)
    assert all(line.count("|") == 5 for line in lines)
    assert "`lecun_uniform`" in md and "`lsuv_init`" in md and "Fixup (not implemented)" in md


def test_render_guide():
    md = render_guide()
    assert "Var(W) = 1/n_in or 2/" not in md  # the lab's error (SEED row 15 / row 1)
    assert r"\operatorname{Var}(W) = 2/(n_\text{in} + n_\text{out})" in md
    for section in BEST_PRACTICES:
        assert f"## {section}" in md
    assert "Fixup: not implemented in initlab" in md
    assert "- LSUV: `lsuv_init`" in md


def test_render_decision_tree():
    md = render_decision_tree()
    assert md.startswith("```text\n")
    tree = md.split("```")[1]
    for leaf in _leaves(DECISION_TREE):
        assert f"-> {leaf['method']}" in tree
    assert "Special considerations" in md


def test_choose_initializer_is_a_reference():
    assert choose_initializer.__initlab_reference__ == "choose_initializer"


def test_no_advice_the_lab_refutes():
    """The tree and the table give no heuristic that Parts 8 and 10 measure shrinking the signal."""
    methods = {leaf["method"] for leaf in _leaves(DECISION_TREE)}
    assert not methods & {"adaptive_he", "spectral_norm_init", "layer_sequential_init", "width_aware_init"}
    rows = {row.scenario: row for row in QUICK_REFERENCE}
    assert rows["GAN generator"].recommended_method == "random_small" and "0.02" in rows["GAN generator"].notes
    assert "5/3" in rows["Tanh, any depth"].notes
    guide_text = render_guide()
    assert "symmetric and close to linear" not in guide_text      # sigmoid is neither
    assert "slope at 0 is 1/4" in guide_text
