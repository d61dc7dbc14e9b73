"""The sample class: who makes which mistake (the one list of mutations).

A mutation is a text substitution on a *filled* solution cell, that is the
release cell with the solution regions of ``source/`` put back in: the cell
with nbgrader ``grade_id`` ``cell`` of notebook ``notebook`` must contain
``old`` exactly ``count`` times (1 by default), and ``old`` becomes ``new``.
If it does not (the notebook was rewritten), :func:`labgrade.sample.build_class`
raises :class:`MutationError`: a notebook change can never silently turn a
wrong answer into a correct one. Mutations of notebooks that do not exist
(yet) are skipped and reported.

``STUDENTS`` maps each sample student to what is done to the complete,
correct submission. The expected score of each student, item by item, is
written down in ``tests/grading/test_sample_class.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Mutation:
    name: str
    notebook: str       # notebook stem, e.g. "01_mathematical_foundations"
    cell: str           # grade_id of the solution cell the substitution applies to
    old: str
    new: str
    count: int = 1      # how many times ``old`` must occur (all are replaced)
    why: str = ""       # the typical mistake, in words


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

MUTATIONS: dict[str, Mutation] = {m.name: m for m in [
    # --- Part 1: the variance rules -------------------------------------------------------------
    Mutation("std_is_variance", NB01, "theoretical_std",
             "return float(np.sqrt(variances[method]))", "return float(variances[method])",
             why="returns the variance where the standard deviation is asked"),
    Mutation("he_fan_out", NB01, "theoretical_std",
             '"he": 2.0 / fan_in,', '"he": 2.0 / fan_out,',
             why="He's rule with fan_out in place of fan_in (swapped fans)"),
    Mutation("xavier_is_lecun", NB01, "theoretical_std",
             '"xavier": 2.0 / (fan_in + fan_out),', '"xavier": 1.0 / fan_in,',
             why="the original lab's Xavier = 1/n_in (that is LeCun's rule)"),
    Mutation("no_value_error", NB01, "theoretical_std",
             "    if method not in variances:\n"
             "        raise ValueError(f\"method must be 'xavier', 'he' or 'lecun', got {method!r}\")\n",
             "",
             why="no ValueError for an unknown method (a KeyError escapes instead)"),
    Mutation("bound_is_std", NB01, "uniform_bound",
             "return float(np.sqrt(3.0 * variances[method]))", "return float(np.sqrt(variances[method]))",
             why="uniform bound = std instead of sqrt(3) * std"),
    Mutation("bound_sqrt3_over_fan", NB01, "uniform_bound",
             '"he": 2.0 / fan_in,', '"he": 1.0 / fan_in,',
             why="He uniform bound sqrt(3/fan_in) (forgets the gain 2)"),
    # --- Part 4: activation statistics ---------------------------------------------------------
    Mutation("dead_is_zero_fraction", NB04, "layer_statistics",
             '"fraction_dead": float(zero.all(axis=1).mean()),', '"fraction_dead": float(zero.mean()),',
             why="the original lab's 'dead neurons' = fraction of zero activations"),
    Mutation("std_ddof1", NB04, "layer_statistics",
             '"std": float(Z.std())', '"std": float(Z.std(ddof=1))',
             why="sample std (ddof=1) where the population std is asked"),
    Mutation("dead_any_not_all", NB04, "layer_statistics",
             '"fraction_dead": float(zero.all(axis=1).mean()),', '"fraction_dead": float(zero.any(axis=1).mean()),',
             why="a unit counted as dead when it is 0 for some sample"),
]}


# Behaviour of a whole submission rather than a wrong answer.
HANG = Mutation("hang", NB01, "theoretical_std",
                'def theoretical_std(method, fan_in, fan_out):',
                'while True:  # the student left an endless loop in the cell\n    pass\n\n\n'
                'def theoretical_std(method, fan_in, fan_out):',
                why="an endless loop at the top of a cell (interrupted at the per-cell timeout)")
KILL = Mutation("kernel_dies", NB01, "uniform_bound",
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
    SampleStudent("s03_variance_as_std", "variance used as std (Part 1), sample std (Part 4)",
                  ("std_is_variance", "std_ddof1")),
    SampleStudent("s04_swapped_fans", "He with fan_out (Part 1), zero fraction as dead units (Part 4)",
                  ("he_fan_out", "dead_is_zero_fraction")),
    SampleStudent("s05_lecun_for_xavier", "Xavier = 1/fan_in (Part 1)", ("xavier_is_lecun",)),
    SampleStudent("s06_uniform_bound", "uniform bound = std (Part 1)", ("bound_is_std",)),
    SampleStudent("s07_no_validation", "no ValueError, He bound sqrt(3/fan_in) (Part 1), dead = any (Part 4)",
                  ("no_value_error", "bound_sqrt3_over_fan", "dead_any_not_all")),
    SampleStudent("s08_late", "complete and correct, submitted after the due date", late=True),
    SampleStudent("s09_missing_notebook", f"complete and correct, {NB04} not submitted", drop=(NB04,)),
    SampleStudent("s10_endless_loop", "an endless loop in a cell of Part 1", ("hang",)),
    SampleStudent("s11_kernel_dies", "the kernel dies in Part 1", ("kernel_dies",)),
    SampleStudent("s12_corrupt_notebook", f"{NB01} is not valid JSON", corrupt=(NB01,)),
    SampleStudent("s13_no_submission", "on the roster, submitted nothing", submitted=False),
]


def mutation(name: str) -> Mutation:
    if name == HANG.name:
        return HANG
    if name == KILL.name:
        return KILL
    return MUTATIONS[name]
