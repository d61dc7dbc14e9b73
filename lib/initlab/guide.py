r"""The best-practices guide, decision tree and quick-reference table (Part 10), as data.

Introduced in ``source/weight_init/10_best_practices.ipynb``.

The lab prints these as long strings; here they are data that a notebook can
render (:func:`render_guide`, :func:`render_decision_tree`,
:func:`render_quick_reference` return Markdown) and that tests can check.
:func:`choose_initializer` is the decision tree as a function.

Differences from the lab, on purpose:

* Xavier/Glorot's variance is :math:`2/(\text{fan\_in} + \text{fan\_out})`
  (Glorot & Bengio 2010, Eq. 12; Eq. 16 is its uniform form). The lab writes "1/n_in or 2/(n_in + n_out)";
  :math:`1/\text{fan\_in}` is LeCun's rule;
* the lab recommends LeCun uniform, LSUV and Fixup without implementing them.
  initlab now has :func:`~initlab.initializers.lecun_uniform` and
  :func:`~initlab.custom.lsuv_init`; Fixup (Zhang et al. 2019) is marked as not
  implemented wherever it appears;
* every method named in the table maps to the initlab function that implements
  it (:data:`METHOD_NAMES`);
* the depth thresholds count *hidden* layers, as the recommender of Part 9;
* the lab's tree gave very deep ReLU networks Adaptive He and its table gave the
  GAN generator Xavier; the tree now gives He at every depth (residual
  connections and normalization handle depth, He et al. 2016) and the table
  DCGAN's N(0, 0.02^2) (Radford et al. 2016). Sigmoid and tanh have separate
  leaves: tanh needs the gain 5/3, sigmoid is not zero-centred.
"""

from __future__ import annotations

from typing import NamedTuple

from ._guard import reference
from ._validation import check_int

__all__ = [
    "BEST_PRACTICES", "DECISION_TREE", "SPECIAL_CONSIDERATIONS", "QUICK_REFERENCE", "METHOD_NAMES",
    "NOT_IMPLEMENTED", "QuickReferenceRow", "render_guide", "render_decision_tree",
    "render_quick_reference", "choose_initializer",
]

#: Display name of a method -> the initlab function that implements it.
METHOD_NAMES = {
    "He Normal": "he_normal",
    "He Uniform": "he_uniform",
    "Xavier Normal": "xavier_normal",
    "Xavier Uniform": "xavier_uniform",
    "LeCun Normal": "lecun_normal",
    "LeCun Uniform": "lecun_uniform",
    "Orthogonal": "orthogonal",
    "Random Small": "random_small",
    "Variance Scaling": "variance_scaling",
    "Adaptive He": "adaptive_he",
    "Spectral Norm": "spectral_norm_init",
    "Layer Sequential": "layer_sequential_init",
    "Width Aware": "width_aware_init",
    "Residual Aware": "residual_aware_init",
    "LSUV": "lsuv_init",
}

#: Methods the guide names that initlab does not implement -> reference.
NOT_IMPLEMENTED = {
    "Fixup": "Zhang, Dauphin & Ma 2019, Fixup Initialization: Residual Learning Without Normalization",
}

#: The guide: section -> subsection -> items (Markdown, one sentence each).
BEST_PRACTICES = {
    "1. Match the activation function": {
        "ReLU networks": [
            "Use He initialization (He Normal or He Uniform).",
            r"Variance: $\operatorname{Var}(W) = 2/n_\text{in}$ (He et al. 2015, Eq. 10).",
            "Why: ReLU sets about half of its inputs to zero, which halves the second moment; "
            "the factor 2 makes up for it.",
        ],
        "Sigmoid/tanh networks": [
            "Use Xavier/Glorot initialization (Xavier Normal or Xavier Uniform); for tanh, "
            "PyTorch also multiplies by the gain 5/3.",
            r"Variance: $\operatorname{Var}(W) = 2/(n_\text{in} + n_\text{out})$ "
            r"(Glorot & Bengio 2010, Eq. 12), a compromise between keeping the forward "
            r"variance ($1/n_\text{in}$, LeCun's rule) and the backward one ($1/n_\text{out}$).",
            "Why: tanh is zero-centred with slope 1 at 0, so near 0 it is close to the identity, the "
            "regime Glorot & Bengio's derivation assumes. Sigmoid is neither: its outputs have mean "
            "about 1/2 and its slope at 0 is 1/4, one reason it trains badly in deep networks "
            "(Glorot & Bengio 2010, Section 3).",
            "With tanh, Xavier's variance alone lets the signal decay with depth; the gain 5/3 "
            "(or orthogonal weights, Saxe et al. 2014) holds it (Part 5).",
        ],
        "SELU networks": [
            "Use LeCun initialization (LeCun Normal).",
            r"Variance: $\operatorname{Var}(W) = 1/n_\text{in}$ (LeCun et al. 1998; "
            r"Klambauer et al. 2017).",
            "Why: SELU's self-normalizing fixed point (mean 0, variance 1) assumes it.",
        ],
    },
    "2. Take the depth into account": {
        "Shallow networks (at most 3 hidden layers)": [
            "Standard methods work well: He Normal for ReLU, Xavier Normal for sigmoid/tanh.",
        ],
        "Deep networks (4 to 10 hidden layers)": [
            "Use the right initialization plus batch normalization.",
            "Consider gradient clipping.",
            "Monitor the gradient flow.",
        ],
        "Very deep networks (more than 10 hidden layers)": [
            "Use residual connections plus normalization, with the initialization that matches "
            "the activation (He et al. 2016; torchvision's ResNet uses He Normal with "
            "mode='fan_out' for its convolutions).",
            "For residual networks without normalization: Fixup (Zhang et al. 2019), "
            "not implemented in initlab, or a zero-initialized last layer in each residual branch "
            "(Goyal et al. 2017).",
            "Transformers: scale the weights of the residual projections by 1/sqrt(N), N the "
            "number of residual layers (GPT-2, Radford et al. 2019).",
            "A plain (non-residual) very deep network is hard to train even with He: the part of "
            "the signal that differs between inputs collapses with depth (Part 8).",
            "Depth heuristics such as Adaptive He or a spectral norm below 1 shrink the signal "
            "at every layer (Parts 8 and 10 measure it); check any such rule with a forward pass.",
        ],
    },
    "3. Common pitfalls": {
        "Avoid": [
            "Zero (or any constant) weights: every unit of a layer computes the same function "
            "and gets the same gradient, so symmetry is never broken.",
            "Too large weights: exploding activations and gradients, saturated sigmoid/tanh.",
            "Too small weights: vanishing activations and gradients.",
            "Ignoring the activation function when choosing the initialization.",
            "Sigmoid or tanh in deep networks without a matching initialization.",
            "Unstandardized inputs: the variance arguments assume inputs of unit variance.",
        ],
    },
    "4. Practical recommendations": {
        "Starting point": [
            "He Normal for ReLU networks.",
            "Xavier Normal for sigmoid/tanh networks.",
            "Biases initialized to zero.",
        ],
        "If training fails": [
            "Check the gradient flow (track gradient norms per layer).",
            "Try another initialization, or LSUV.",
            "Add batch normalization.",
            "Clip gradients.",
            "Lower the learning rate.",
        ],
        "Special cases": [
            "Transfer learning: keep the pretrained weights, initialize only the new layers.",
            "GANs: DCGAN (Radford, Metz & Chintala 2016) initializes all weights from "
            "N(0, 0.02^2); spectral normalization of the discriminator (Miyato et al. 2018) "
            "stabilizes training.",
            "RNNs: orthogonal recurrent weights (Saxe et al. 2014).",
            "Autoencoders: the same per-layer rules; the decoder may be tied to the transposed "
            "encoder weights.",
        ],
    },
    "5. Debugging checklist": {
        "Before training": [
            "The weight distributions match the theory (mean 0, expected std).",
            "No NaN or infinite values.",
            "Activation magnitudes are reasonable at every layer.",
        ],
        "During training": [
            "Gradient norms are stable.",
            "Activation statistics are tracked.",
            "Dead ReLU units (zero for every sample) are counted.",
            "No gradient explosion or vanishing.",
        ],
    },
    "6. Performance": {
        "Faster convergence": [
            "Batch normalization.",
            "A learning-rate schedule, with warm-up.",
        ],
        "More stability": [
            "Gradient clipping.",
            "Spectral normalization (Miyato et al. 2018), applied at every step; Spectral Norm "
            "sets it once, at initialization.",
            "Layer-wise adaptive learning rates.",
        ],
    },
    "7. Modern practice": {
        "Current defaults": [
            "He initialization + batch normalization + ReLU.",
            "Residual connections for very deep networks.",
            "Scaled initialization in attention layers.",
            "Layer normalization in transformers.",
        ],
    },
}

# A node is {'label': str, 'children': [node, ...]} or a leaf
# {'label': str, 'advice': str, 'method': initlab name}.
#: The decision tree of Part 10 as nested data; :func:`choose_initializer` follows it.
DECISION_TREE = {
    "label": "Start here: are these recurrent (RNN/LSTM) weights?",
    "children": [
        {"label": "Yes, recurrent weights", "advice": "Use Orthogonal (any activation)",
         "method": "orthogonal"},
        {
            "label": "No: what is the activation function?",
            "children": [
                {
                    "label": "ReLU family (ReLU, LeakyReLU, ELU)",
                    "children": [
                        {"label": "Shallow (at most 3 hidden layers)", "advice": "Use He Normal",
                         "method": "he_normal"},
                        {"label": "Deep (4 to 10 hidden layers)",
                         "advice": "Use He Normal + batch normalization", "method": "he_normal"},
                        {"label": "Very deep (more than 10 hidden layers)",
                         "advice": "Use He Normal + residual connections and normalization "
                                   "(He et al. 2016)", "method": "he_normal"},
                    ],
                },
                {
                    "label": "Tanh",
                    "advice": "Use Xavier Normal with the gain 5/3 (calculate_gain('tanh')), "
                              "or Orthogonal with that gain (any depth)",
                    "method": "xavier_normal",
                },
                {
                    "label": "Sigmoid",
                    "advice": "Use Xavier Normal (gain 1); sigmoid is not zero-centred: in deep "
                              "networks prefer tanh or ReLU",
                    "method": "xavier_normal",
                },
                {"label": "SELU", "advice": "Use LeCun Normal (any depth)", "method": "lecun_normal"},
                {"label": "Custom/other", "advice": "Experiment with Variance Scaling",
                 "method": "variance_scaling"},
            ],
        },
    ],
}

#: Notes printed under the decision tree.
SPECIAL_CONSIDERATIONS = [
    "Wide layers (more than 1000 units): add batch normalization.",
    "Irregular architecture: consider layer-specific initialization.",
    "Transfer learning: initialize only the new layers.",
    "Training instability: add gradient clipping, or try LSUV.",
]


class QuickReferenceRow(NamedTuple):
    """One row of the quick-reference table; method cells use the keys of :data:`METHOD_NAMES`."""

    scenario: str
    recommended: str
    alternative: str
    notes: str

    @property
    def recommended_method(self) -> str | None:
        """initlab function name of ``recommended``, or None if it is not an initlab method."""
        return METHOD_NAMES.get(self.recommended)

    @property
    def alternative_method(self) -> str | None:
        """initlab function name of ``alternative``, or None if it is not an initlab method."""
        return METHOD_NAMES.get(self.alternative)


#: The lab's quick-reference table (compound entries such as "He Normal + BN" are
#: split into a method and a note), plus LSUV and Fixup.
QUICK_REFERENCE = [
    QuickReferenceRow("ReLU + shallow", "He Normal", "He Uniform", "Standard choice"),
    QuickReferenceRow("ReLU + deep", "He Normal", "LSUV", "Add batch normalization"),
    QuickReferenceRow("ReLU + very deep", "He Normal", "LSUV",
                      "With residual (skip) connections and normalization (He et al. 2016)"),
    QuickReferenceRow("Sigmoid, any depth", "Xavier Normal", "Xavier Uniform", "Consider ReLU instead"),
    QuickReferenceRow("Tanh, any depth", "Xavier Normal", "Orthogonal",
                      "With the gain 5/3 (PyTorch's calculate_gain('tanh')); without it the signal decays"),
    QuickReferenceRow("SELU, any depth", "LeCun Normal", "LeCun Uniform", "Self-normalizing"),
    QuickReferenceRow("Transfer learning", "Pretrained weights", "He Normal",
                      "Initialize only the new (last) layers"),
    QuickReferenceRow("GAN generator", "Random Small", "He Normal",
                      "N(0, 0.02^2) for all weights, as DCGAN (Radford et al. 2016): random_small(shape, scale=0.02)"),
    QuickReferenceRow("GAN discriminator", "Random Small", "He Normal",
                      "N(0, 0.02^2) as DCGAN; spectral normalization at every step (Miyato et al. 2018) "
                      "stabilizes training"),
    QuickReferenceRow("RNN/LSTM", "Orthogonal", "Xavier Normal", "Recurrent weights"),
    QuickReferenceRow("Training stalls at the start", "LSUV", "He Normal",
                      "Data-driven (Mishkin & Matas 2016)"),
    QuickReferenceRow("Residual net without normalization", "Fixup", "Residual Aware",
                      "Fixup (Zhang et al. 2019) is not implemented in initlab"),
]


def _cell(name: str) -> str:
    if name in METHOD_NAMES:
        return f"{name} (`{METHOD_NAMES[name]}`)"
    if name in NOT_IMPLEMENTED:
        return f"{name} (not implemented)"
    return name


def render_guide() -> str:
    """Return the best-practices guide (:data:`BEST_PRACTICES`) as Markdown.

    Methods that initlab implements are followed by the function name, Fixup
    by "not implemented in initlab".

    Returns
    -------
    str
        Markdown text.

    Examples
    --------
    >>> render_guide().splitlines()[0]
    '# Weight initialization: best practices'
    """
    lines = ["# Weight initialization: best practices", ""]
    for section, subsections in BEST_PRACTICES.items():
        lines += [f"## {section}", ""]
        for heading, items in subsections.items():
            lines += [f"### {heading}", ""]
            lines += [f"- {item}" for item in items]
            lines.append("")
    lines += ["## initlab functions", ""]
    lines += [f"- {name}: `{func}`" for name, func in METHOD_NAMES.items()]
    lines += [f"- {name}: not implemented in initlab ({ref})" for name, ref in NOT_IMPLEMENTED.items()]
    return "\n".join(lines) + "\n"


def _tree_lines(node: dict, prefix: str = "") -> list[str]:
    lines = []
    children = node.get("children", [])
    for i, child in enumerate(children):
        last = i == len(children) - 1
        lines.append(f"{prefix}{'└── ' if last else '├── '}{child['label']}")
        inner = prefix + ("    " if last else "│   ")
        if "children" in child:
            lines += _tree_lines(child, inner)
        else:
            lines.append(f"{inner}└── {child['advice']}  -> {child['method']}")
    return lines


def render_decision_tree() -> str:
    """Return the decision tree (:data:`DECISION_TREE`) as a text tree in a Markdown code block.

    Each leaf ends with the initlab name that :func:`choose_initializer` returns.

    Returns
    -------
    str
        Markdown text.

    Examples
    --------
    >>> print(render_decision_tree().splitlines()[1])
    Start here: are these recurrent (RNN/LSTM) weights?
    """
    lines = ["```text", DECISION_TREE["label"], *_tree_lines(DECISION_TREE), "```", "",
             "Special considerations:", ""]
    lines += [f"- {item}" for item in SPECIAL_CONSIDERATIONS]
    return "\n".join(lines) + "\n"


def render_quick_reference() -> str:
    """Return the quick-reference table (:data:`QUICK_REFERENCE`) as a Markdown table.

    Returns
    -------
    str
        Markdown table.

    Examples
    --------
    >>> render_quick_reference().splitlines()[0]
    '| Scenario | Recommended | Alternative | Notes |'
    """
    lines = ["| Scenario | Recommended | Alternative | Notes |", "|---|---|---|---|"]
    for row in QUICK_REFERENCE:
        cells = [row.scenario, _cell(row.recommended), _cell(row.alternative), row.notes]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


_RELU_FAMILY = ("relu", "leaky_relu", "elu")
_SATURATING = ("sigmoid", "tanh")


@reference("choose_initializer")
def choose_initializer(activation: str, num_hidden: int, *, recurrent: bool = False) -> str:
    """Follow the decision tree of Part 10 and return an initlab method name.

    ========================== ====================== ===================
    case                       num_hidden             returns
    ========================== ====================== ===================
    ``recurrent=True``         any                    ``'orthogonal'``
    relu, leaky_relu, elu      any                    ``'he_normal'``
    sigmoid, tanh              any                    ``'xavier_normal'``
    selu                       any                    ``'lecun_normal'``
    anything else              any                    ``'variance_scaling'``
    ========================== ====================== ===================

    Each method is meant with the activation's gain (:func:`initlab.calculate_gain`,
    5/3 for tanh). The depth changes the tree's advice about the architecture
    (normalization, residual connections), not the initializer: the lab's
    ``'adaptive_he'`` for very deep ReLU networks is gone, since Part 10 measures
    its depth factor shrinking the signal by orders of magnitude.

    Parameters
    ----------
    activation : str
        Name of the hidden activation, case-insensitive, surrounding spaces ignored.
    num_hidden : int
        Number of hidden layers (``len(layer_dims) - 2``), 0 or more.
    recurrent : bool, default False
        Whether the weight is a recurrent (hidden-to-hidden) matrix.

    Returns
    -------
    str
        A key of :data:`initlab.INITIALIZERS` or the name of a function of
        :mod:`initlab.custom`.

    Raises
    ------
    TypeError
        If ``activation`` is not a string, ``num_hidden`` not an int or
        ``recurrent`` not a bool.
    ValueError
        If ``num_hidden < 0``.

    Examples
    --------
    >>> choose_initializer('relu', 2), choose_initializer(' ReLU', 30), choose_initializer('tanh', 2)
    ('he_normal', 'he_normal', 'xavier_normal')
    >>> choose_initializer('tanh', 1, recurrent=True)
    'orthogonal'
    """
    if not isinstance(activation, str):
        raise TypeError(
            f"activation must be a string such as 'relu' or 'tanh', got {activation!r} of type "
            f"{type(activation).__name__}."
        )
    num_hidden = check_int(num_hidden, name="num_hidden", minimum=0,
                           expected="a non-negative int (the number of hidden layers)")
    if not isinstance(recurrent, bool):
        raise TypeError(
            f"recurrent must be True or False, got {recurrent!r} of type {type(recurrent).__name__}."
        )

    if recurrent:
        return "orthogonal"
    name = activation.strip().lower()
    if name in _RELU_FAMILY:
        return "he_normal"
    if name in _SATURATING:
        return "xavier_normal"
    if name == "selu":
        return "lecun_normal"
    return "variance_scaling"
