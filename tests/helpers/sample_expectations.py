"""What grading the sample class (labgrade.variants.mutations.STUDENTS) must give, item by item.

Points are not copied here: they come from the nbgrader metadata of the source
notebooks (``points``). What is written down is *which* graded items each
student loses, and the status of each student and notebook. Every other
autograded item scores its full points.

Manually graded answers (markdown cells with ``solution`` and ``grade``) score
nothing at autograde, even the model answers of s01_correct: nbgrader leaves
them for formgrader (needs_manual_grade), their score is 0 until a grader sets
one. So the correct submission gets 100 minus the manual points (12 of 100).
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from labgrade.variants.mutations import NB01, NB02, NB03, NB04, NB05, NB06, NB07, NB08, NB09, NB10  # noqa: F401

ALL = "*"   # every graded item of the notebook

# student -> notebook -> autograded items that score 0 (ALL: the whole notebook scores 0)
LOST: dict[str, dict[str, list[str] | str]] = {
    "s01_correct": {},
    "s02_untouched": {nb: ALL for nb in (NB01, NB02, NB03, NB04, NB05, NB06, NB07, NB08, NB09, NB10)},
    "s03_variance_as_std": {
        NB01: ["test_theoretical_std"],          # std_is_variance
        NB02: ["test_lecun_normal"],             # lecun_std_is_variance
        NB04: ["test_layer_statistics"],         # std_ddof1
        NB05: ["test_variance_ratios"],          # ratios_of_std
        NB07: ["test_stability"],                # stability_ddof1
    },
    "s04_swapped_fans": {
        NB01: ["test_theoretical_std"],          # he_fan_out
        NB02: ["test_he_normal"],                # he_normal_swapped_fans
        NB03: ["test_theoretical_density"],      # density_he_fan_out
        NB08: ["test_adaptive_he"],              # adaptive_he_fan_out
    },
    "s05_original_lab": {
        NB01: ["test_theoretical_std"],          # xavier_is_lecun
        NB04: ["test_layer_statistics"],         # dead_is_zero_fraction
    },
    "s06_uniform_bounds": {
        NB01: ["test_theoretical_std", "test_uniform_bound"],        # no_value_error, bound_is_std
        NB02: ["test_xavier_uniform", "test_variance_scaling"],      # xavier_uniform_sqrt3, truncated_no_correction
    },
    "s07_off_by_one": {
        NB05: ["test_variance_ratios"],                              # ratios_skip_input
        NB07: ["test_convergence_epochs"],                           # convergence_one_based
        # depth_threshold_off_by_one: recommend_initialization calls the student's analyze_network
        NB09: ["test_analyze_network", "test_recommend_initialization"],
        NB10: ["test_choose_initializer"],                           # choose_case_sensitive
    },
    "s08_backprop": {
        # backprop_no_derivative: the output layer's gradients are still right
        NB06: ["test_backprop_hidden_layers", "test_backprop_gradient_check"],
        NB08: ["test_spectral_norm_init"],                           # spectral_frobenius
        NB09: ["test_recommend_initialization"],                     # confidence_threshold_off_by_one
    },
    "s09_late": {},
    "s10_missing_notebook": {NB04: ALL},
    # the endless loop runs before `def theoretical_std`: interrupted at the cell timeout,
    # the function is never defined, its test fails with a NameError
    "s11_endless_loop": {NB01: ["test_theoretical_std"]},
    "s12_kernel_dies": {NB01: ALL},
    "s13_corrupt_notebook": {NB01: ALL},
    "s14_no_submission": {nb: ALL for nb in (NB01, NB02, NB03, NB04, NB05, NB06, NB07, NB08, NB09, NB10)},
}

STUDENT_STATUS = {
    "s01_correct": "graded", "s02_untouched": "graded", "s03_variance_as_std": "graded",
    "s04_swapped_fans": "graded", "s05_original_lab": "graded", "s06_uniform_bounds": "graded",
    "s07_off_by_one": "graded", "s08_backprop": "graded", "s09_late": "late",
    "s10_missing_notebook": "missing", "s11_endless_loop": "timed_out", "s12_kernel_dies": "failed",
    "s13_corrupt_notebook": "failed", "s14_no_submission": "missing",
}

# notebooks whose status differs from the student's default ("graded", or "late" for s09)
NOTEBOOK_STATUS = {
    ("s10_missing_notebook", NB04): "missing",
    ("s11_endless_loop", NB01): "timed_out",
    ("s12_kernel_dies", NB01): "failed",
    ("s13_corrupt_notebook", NB01): "failed",
}

# a piece of the message of a lost item (grades.csv "message")
MESSAGES = {
    ("s02_untouched", NB01, "test_theoretical_std"): "NotImplementedError",
    ("s05_original_lab", NB01, "test_theoretical_std"): "AssertionError: theoretical_std('xavier', 128, 64)",
    ("s06_uniform_bounds", NB01, "test_theoretical_std"): "KeyError",
    ("s11_endless_loop", NB01, "test_theoretical_std"): "NameError: name 'theoretical_std' is not defined",
    ("s12_kernel_dies", NB01, "test_uniform_bound"): "kernel died",
    ("s13_corrupt_notebook", NB01, "test_theoretical_std"): "not JSON",
    ("s10_missing_notebook", NB04, "test_layer_statistics"): "notebook not submitted",
    ("s14_no_submission", NB01, "test_theoretical_std"): "no submission",
}


def graded_items(source_dir: Path, notebooks=None) -> list[tuple[str, str, float, str]]:
    """(notebook, grade_id, points, kind) of every graded cell of the source notebooks."""
    out = []
    for path in sorted(source_dir.glob("[0-9][0-9]_*.ipynb")):
        if notebooks is not None and path.stem not in notebooks:
            continue
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade"):
                kind = "manual" if meta.get("solution") else "auto"
                out.append((path.stem, meta["grade_id"], float(meta["points"]), kind))
    return out


def expected_points(student: str, items) -> dict[tuple[str, str], float]:
    """(notebook, grade_id) -> points the student must get at autograde."""
    lost = LOST[student]
    out = {}
    for nb, gid, points, kind in items:
        gone = lost.get(nb, [])
        if kind == "manual" or gone == ALL or gid in gone:
            out[(nb, gid)] = 0.0
        else:
            out[(nb, gid)] = points
    return out


def expected_status(student: str, notebook: str) -> str:
    if (student, notebook) in NOTEBOOK_STATUS:
        return NOTEBOOK_STATUS[(student, notebook)]
    if student == "s14_no_submission":
        return "missing"
    return "late" if student == "s09_late" else "graded"
