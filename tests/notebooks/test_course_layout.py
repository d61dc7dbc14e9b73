"""The course layout: clean sources, a release without solutions, generated folders in sync."""

from __future__ import annotations

import nbformat
import pytest

from labgrade.course.paths import ASSIGNMENT, course_root
from labgrade.course.regions import marker, regions

ROOT = course_root()
SOURCE = sorted((ROOT / "source" / ASSIGNMENT).glob("[0-9][0-9]_*.ipynb"))
RELEASE = ROOT / "release" / ASSIGNMENT
PARTS = [
    "01_mathematical_foundations", "02_initialization_strategies", "03_weight_distributions",
    "04_activation_statistics", "05_activation_visualization", "06_training_comparison",
    "07_performance_analysis", "08_custom_initialization", "09_decision_framework", "10_best_practices",
]


def _nbgrader_cells(nb):
    return [c for c in nb.cells if "nbgrader" in c.metadata]


def test_ten_parts_in_order():
    assert [p.stem for p in SOURCE] == PARTS


@pytest.mark.parametrize("path", SOURCE, ids=lambda p: p.stem)
def test_source_is_clean(path):
    """Committed without outputs or execution counts, kernelspec python3, nbgrader metadata intact."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a code cell has stored outputs"
            assert cell.execution_count is None, f"{path.name}: a code cell has an execution count"
    graded = _nbgrader_cells(nb)
    assert graded, f"{path.name} has no nbgrader cells"
    ids = [c.metadata.nbgrader["grade_id"] for c in graded]
    assert len(ids) == len(set(ids)), f"{path.name}: duplicate grade_ids"
    tests = [c for c in graded if c.metadata.nbgrader.get("grade") and c.cell_type == "code"]
    assert tests, f"{path.name} has no autograded test cell"
    for c in graded:
        meta = c.metadata.nbgrader
        assert meta["schema_version"] == 3
        if meta.get("grade"):
            assert meta.get("points", 0) > 0, f"{path.name}:{meta['grade_id']} has no points"
        if meta.get("grade") and c.cell_type == "code":
            assert meta.get("locked"), f"{path.name}:{meta['grade_id']} test cell is not locked"
            first = c.source.lstrip().splitlines()[0]
            assert first.startswith('"""'), f"{path.name}:{meta['grade_id']} test cell lacks a docstring"
        if meta.get("solution") and c.cell_type == "code":
            assert "### BEGIN SOLUTION" in c.source


def test_total_points_is_100():
    total = sum(
        c.metadata.nbgrader.get("points", 0)
        for p in SOURCE for c in _nbgrader_cells(nbformat.read(p, as_version=4))
        if c.metadata.nbgrader.get("grade")
    )
    assert total == 100


@pytest.mark.parametrize("path", SOURCE, ids=lambda p: p.stem)
def test_release_has_no_solution_hidden_test_or_output(path):
    src = nbformat.read(path, as_version=4)
    rel = nbformat.read(RELEASE / path.name, as_version=4)
    assert len(rel.cells) == len(src.cells)
    release_text = "\n".join(c.source for c in rel.cells)
    assert marker(release_text) is None, f"release/{path.name} still holds nbgrader markers"
    for c in rel.cells:
        if c.cell_type == "code":
            assert c.outputs == [] and c.execution_count is None
    # no line that only a removed region of the source holds survives in the release
    removed_lines, kept_lines = set(), set()
    for c in src.cells:
        inside = {i for r in regions(c.source) for i in range(r.begin, r.end + 1)}
        for i, line in enumerate(c.source.split("\n")):
            if i not in inside:
                kept_lines.add(line.strip())
            elif len(line.strip()) > 12 and not line.strip().startswith("#"):
                removed_lines.add(line.strip())
    removed_lines -= kept_lines
    release_lines = {line.strip() for line in release_text.splitlines()}
    leaked = sorted(removed_lines & release_lines)
    assert not leaked, f"release/{path.name} leaks removed lines: {leaked[:3]}"


@pytest.mark.slow
@pytest.mark.parametrize("path", SOURCE, ids=lambda p: p.stem)
def test_source_runs_clean_while_grading_and_release_fails_validation(path, tmp_path, monkeypatch):
    """The source notebook, executed as nbgrader executes it while grading (NBGRADER_EXECUTION set, so the
    demonstrations under ``if DEMO:`` are skipped): no cell raises, graded or not, so nothing a graded
    cell needs lives in a skipped demonstration. The untouched release fails nbgrader's validator
    (through its Python API: the CLI exits 0 even when tests fail)."""
    from nbgrader.preprocessors import Execute
    from nbgrader.validator import Validator

    monkeypatch.setenv("NBGRADER_EXECUTION", "validate")
    monkeypatch.chdir(tmp_path)
    nb = nbformat.read(path, as_version=4)
    Execute(allow_errors=True).preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    errors = [(i, o.ename, o.evalue) for i, c in enumerate(nb.cells) if c.cell_type == "code"
              for o in c.outputs if o.output_type == "error"]
    assert not errors, f"source {path.name} raises while grading: {errors[:3]}"
    # nbgrader reads a test cell's displayed value as its score when it parses as a number (partial
    # credit): a test cell ends in a statement, never in an expression whose value is shown
    shown = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
             if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
             and any(o.output_type == "execute_result" for o in c.outputs)]
    assert not shown, f"source {path.name}: test cells that show a value nbgrader may take for a score: {shown}"
    result = Validator().validate(str(RELEASE / path.name))
    assert result.get("failed"), f"untouched release {path.name} passes validation"


@pytest.mark.slow
def test_generated_folders_are_in_sync():
    from labgrade.course.build import check

    problems = check(ROOT)
    assert not problems, "run `make release` and commit: " + "; ".join(problems)
