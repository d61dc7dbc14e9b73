"""The sample class: who makes which mistake (the one list of mutations).

A mutation is a text substitution on a *filled* solution cell, that is the
release cell with the solution regions of ``source/`` put back in: the cell
with nbgrader ``grade_id`` ``cell`` of notebook ``notebook`` must contain
``old`` exactly ``count`` times (1 by default), and ``old`` becomes ``new``.
If it does not (the notebook was rewritten), :func:`labgrade.variants.sample.build_class`
raises :class:`MutationError`: a notebook change can never silently turn a
wrong answer into a correct one. Mutations of notebooks that do not exist
(yet) are skipped and reported.

``STUDENTS`` maps each sample student to what is done to the complete,
correct submission. The expected score of each student, item by item, is
written down in ``tests/helpers/sample_expectations.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from labgrade.variants.answers import ANSWERS
from labgrade.variants.model import Variant

_CATALOGUE = {a.id: a for a in ANSWERS}


def substitution(name: str, notebook: str, cell: str, old: str, new: str, count: int = 1,
                 why: str = "") -> Variant:
    """A mistake of the sample class as a :class:`Variant`: in the solution cell ``cell`` of ``notebook``
    (stem or two-digit prefix), ``old`` occurs exactly ``count`` times and becomes ``new``."""
    return Variant(name, notebook[:2], cell, subs=((old, new),), count=count, why=why)


def catalogue(answer_id: str) -> Variant:
    """A wrong answer of the catalogue (labgrade.variants.answers), made by a sample student too."""
    answer = _CATALOGUE[answer_id]
    assert not answer.correct and answer.subs and answer.code is None, answer_id
    return answer


NB01 = "01_mathematical_foundations"
NB02 = "02_initialization_strategies"
NB03 = "03_weight_distributions"
NB04 = "04_activation_statistics"
NB05 = "05_activation_visualization"
NB06 = "06_training_comparison"
NB07 = "07_performance_analysis"
NB08 = "08_custom_initialization"
NB09 = "09_decision_framework"
NB10 = "10_best_practices"

# what each sample student gets wrong, by name; a mistake the answer catalogue has already is its entry
MUTATIONS: dict[str, Variant] = {
    # --- Part 1: the variance rules -------------------------------------------------------------
    "std_is_variance": catalogue("std_returns_variance"),
    "he_fan_out": substitution("he_fan_out", NB01, "theoretical_std",
             '"he": 2.0 / fan_in,', '"he": 2.0 / fan_out,',
             why="He's rule with fan_out in place of fan_in (swapped fans)"),
    "xavier_is_lecun": catalogue("std_xavier_is_lecun"),
    "no_value_error": substitution("no_value_error", NB01, "theoretical_std",
             "    if method not in variances:\n"
             "        raise ValueError(f\"method must be 'xavier', 'he' or 'lecun', got {method!r}\")\n",
             "",
             why="no ValueError for an unknown method (a KeyError escapes instead)"),
    "bound_is_std": substitution("bound_is_std", NB01, "uniform_bound",
             "return float(np.sqrt(3.0 * variances[method]))", "return float(np.sqrt(variances[method]))",
             why="uniform bound = std instead of sqrt(3) * std"),
    # --- Part 2: the initializers -----------------------------------------------------------------
    "xavier_uniform_sqrt3": catalogue("xavier_uniform_sqrt3"),
    "he_normal_swapped_fans": catalogue("he_normal_fan_out"),
    "lecun_std_is_variance": substitution("lecun_std_is_variance", NB02, "lecun_normal",
             "rng.normal(0.0, math.sqrt(1.0 / fan_in), size=tuple(shape))",
             "rng.normal(0.0, 1.0 / fan_in, size=tuple(shape))",
             why="passes the variance 1/fan_in to rng.normal, which takes the std"),
    "truncated_no_correction": catalogue("vs_truncated_uncorrected"),
    # --- Part 3: densities ------------------------------------------------------------------------
    "density_he_fan_out": substitution("density_he_fan_out", NB03, "theoretical_density",
             '"he_normal": math.sqrt(2.0 / fan_in),', '"he_normal": math.sqrt(2.0 / fan_out),',
             why="He density with fan_out (swapped fans)"),
    # --- Part 4: activation statistics ------------------------------------------------------------
    "dead_is_zero_fraction": catalogue("layer_statistics_dead_is_zero_fraction"),
    "std_ddof1": substitution("std_ddof1", NB04, "layer_statistics",
             '"std": float(Z.std())', '"std": float(Z.std(ddof=1))',
             why="sample std (ddof=1) where the population std is asked"),
    # --- Part 5: variance ratios ------------------------------------------------------------------
    "ratios_skip_input": substitution("ratios_skip_input", NB05, "variance_ratios",
             "variances = [float(np.var(X))] + [float(np.var(Z)) for Z in pre_activations]",
             "variances = [float(np.var(Z)) for Z in pre_activations]",
             why="off by one: the first ratio Var(z_1)/Var(x) is left out"),
    "ratios_of_std": substitution("ratios_of_std", NB05, "variance_ratios",
             "variances = [float(np.var(X))] + [float(np.var(Z)) for Z in pre_activations]",
             "variances = [float(np.std(X))] + [float(np.std(Z)) for Z in pre_activations]",
             why="ratios of standard deviations instead of variances"),
    # --- Part 6: backpropagation ------------------------------------------------------------------
    "backprop_no_derivative": catalogue("backprop_forgets_derivative"),
    # --- Part 7: convergence and stability --------------------------------------------------------
    "convergence_one_based": substitution("convergence_one_based", NB07, "convergence_epochs",
             "result[method] = epoch\n", "result[method] = epoch + 1\n",
             why="off by one: epochs counted from 1"),
    "stability_ddof1": substitution("stability_ddof1", NB07, "stability",
             "return float(np.std(values))", "return float(np.std(values, ddof=1))",
             why="sample std (ddof=1) where the population std is asked"),
    # --- Part 8: custom initializers --------------------------------------------------------------
    "adaptive_he_fan_out": substitution("adaptive_he_fan_out", NB08, "adaptive_he",
             "fan_in = shape[1] * int(np.prod(shape[2:]))", "fan_in = shape[0] * int(np.prod(shape[2:]))",
             why="fan_in read from shape[0], which is n_out (swapped fans)"),
    "spectral_frobenius": catalogue("spectral_norm_frobenius"),
    # --- Part 9: the recommender ------------------------------------------------------------------
    "depth_threshold_off_by_one": catalogue("analyze_depth_off_by_one"),
    "confidence_threshold_off_by_one": catalogue("recommend_confidence_two_issues"),
    # --- Part 10: the decision tree ---------------------------------------------------------------
    "choose_case_sensitive": substitution("choose_case_sensitive", NB10, "choose_initializer",
             "name = activation.strip().lower()", "name = activation",
             why="activation names compared as given: 'ReLU' is not 'relu' (the lab's rule is case-insensitive)"),
}


# Behaviour of a whole submission rather than a wrong answer.
HANG = substitution("hang", NB01, "theoretical_std",
                'def theoretical_std(method, fan_in, fan_out):',
                'while True:  # the student left an endless loop in the cell\n    pass\n\n\n'
                'def theoretical_std(method, fan_in, fan_out):',
                why="an endless loop at the top of a cell (interrupted at the per-cell timeout)")
KILL = substitution("kernel_dies", NB01, "uniform_bound",
                'def uniform_bound(method, fan_in, fan_out):',
                'import os\nos.kill(os.getpid(), 9)  # the kernel dies here\n\n\n'
                'def uniform_bound(method, fan_in, fan_out):',
                why="the kernel is killed while the notebook runs")


@dataclass(frozen=True)
class SampleStudent:
    id: str
    what: str
    mutations: tuple[str, ...] = ()   # names in MUTATIONS, or "hang" / "kernel_dies"
    start: str = "correct"           # "correct": solutions filled in; "release": untouched release
    late: bool = False               # timestamp.txt after the due date
    drop: tuple[str, ...] = ()       # notebooks not submitted
    corrupt: tuple[str, ...] = ()    # notebooks submitted as broken JSON
    submitted: bool = True           # False: on the roster, no submission folder at all
    extra: dict = field(default_factory=dict)


STUDENTS: list[SampleStudent] = [
    SampleStudent("s01_correct", "complete and correct"),
    SampleStudent("s02_untouched", "the release, untouched", start="release"),
    SampleStudent("s03_variance_as_std", "variance and std mixed up, in five parts",
                  ("std_is_variance", "lecun_std_is_variance", "std_ddof1", "ratios_of_std", "stability_ddof1")),
    SampleStudent("s04_swapped_fans", "fan_in and fan_out swapped, in four parts",
                  ("he_fan_out", "he_normal_swapped_fans", "density_he_fan_out", "adaptive_he_fan_out")),
    SampleStudent("s05_original_lab", "the original lab's formulas: Xavier = 1/n_in, dead = zero fraction",
                  ("xavier_is_lecun", "dead_is_zero_fraction")),
    SampleStudent("s06_uniform_bounds", "uniform bounds and truncation without their constants",
                  ("bound_is_std", "xavier_uniform_sqrt3", "truncated_no_correction", "no_value_error")),
    SampleStudent("s07_off_by_one", "off-by-one thresholds and indices (Parts 5, 7, 9), case-sensitive names (Part 10)",
                  ("ratios_skip_input", "convergence_one_based", "depth_threshold_off_by_one",
                   "choose_case_sensitive")),
    SampleStudent("s08_backprop", "forgotten derivative in backprop, Frobenius norm, confidence threshold",
                  ("backprop_no_derivative", "spectral_frobenius", "confidence_threshold_off_by_one")),
    SampleStudent("s09_late", "complete and correct, submitted after the due date", late=True),
    SampleStudent("s10_missing_notebook", f"complete and correct, {NB04} not submitted", drop=(NB04,)),
    SampleStudent("s11_endless_loop", "an endless loop in a cell of Part 1", ("hang",)),
    SampleStudent("s12_kernel_dies", "the kernel dies in Part 1", ("kernel_dies",)),
    SampleStudent("s13_corrupt_notebook", f"{NB01} is not valid JSON", corrupt=(NB01,)),
    SampleStudent("s14_no_submission", "on the roster, submitted nothing", submitted=False),
]


def mutation(name: str) -> Variant:
    if name == HANG.id:
        return HANG
    if name == KILL.id:
        return KILL
    return MUTATIONS[name]
