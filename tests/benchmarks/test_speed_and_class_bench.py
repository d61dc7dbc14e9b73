"""benchmarks.speed and benchmarks.large_class: what they build and print (they assert no time)."""

from __future__ import annotations

import nbformat
import pytest

from benchmarks import large_class, speed
from labgrade.course.paths import ASSIGNMENT
from labgrade.variants.model import find_cell


@pytest.mark.parametrize("module", [speed, large_class])
def test_help_names_the_baselines(module, capsys):
    with pytest.raises(SystemExit) as exc:
        module.main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert ("floor" in out and "--jobs" in out) if module is speed else ("core-minute" in out and "5,000" in out)


def test_a_synthetic_class_submits_ten_notebooks_with_the_chosen_answers_in_them(tmp_path):
    made = large_class.synthetic_class(tmp_path / "submitted", 6, per_student=3, seed=7)
    assert len(made) == 6
    assert any(made.values()), "no student got a catalogue answer"
    for sid, answers in made.items():
        folder = tmp_path / "submitted" / sid / ASSIGNMENT
        notebooks = sorted(folder.glob("*.ipynb"))
        assert len(notebooks) == 10 and (folder / "timestamp.txt").exists()
        assert len({(a.notebook, a.grade_id) for a in answers}) == len(answers), "two answers for one cell"
        for a in answers:
            nb = nbformat.read(next(folder.glob(f"{a.notebook}_*.ipynb")), as_version=4)
            src = find_cell(nb, a.grade_id).source
            assert "raise NotImplementedError" not in src
            if a.code:
                first = next(line.strip() for line in a.code.strip().splitlines() if line.strip())
                assert first in src, f"{sid}: {a.id} not in {a.grade_id}"
    again = large_class.choose_answers(6, per_student=3, seed=7)
    assert {s: [a.id for a in v] for s, v in again.items()} == {s: [a.id for a in v] for s, v in made.items()}


def test_the_makespan_bound_is_the_longest_student_or_the_even_spread():
    """The best N jobs can do, printed beside the measured speed-up: no schedule beats it, and the greedy
    schedule (each student to the job free first) reaches it when students are equal."""
    import random

    rng = random.Random(7)
    assert speed.makespan_bound({}, 2) == 0.0
    assert speed.makespan_bound({"a": 80.0, "b": 10.0, "c": 10.0}, 2) == 80.0
    assert speed.makespan_bound({s: 10.0 for s in "abcd"}, 2) == 20.0
    for _ in range(200):
        times = {f"s{i}": rng.uniform(1, 90) for i in range(rng.randint(1, 30))}
        jobs = rng.randint(1, 8)
        free = [0.0] * jobs
        for t in times.values():            # the runner's pool: the next student goes to the job free first
            k = free.index(min(free))
            free[k] += t
        bound = speed.makespan_bound(times, jobs)
        assert max(free) >= bound - 1e-9
    for jobs in range(1, 9):                # equal students, a multiple of the jobs: greedy reaches the bound
        for per_job in range(1, 5):
            times = {f"s{i}": 7.0 for i in range(jobs * per_job)}
            free = [0.0] * jobs
            for t in times.values():
                free[free.index(min(free))] += t
            assert max(free) == speed.makespan_bound(times, jobs) == 7.0 * per_job
