"""Performance analysis of Part 7 (initlab.performance): the fixed convergence and stability metrics."""

import numpy as np
import pytest

from initlab import analyze_initialization_performance
from initlab._guard import ReferenceCalledError, forbid
from initlab.performance import convergence_epochs, stability

EPOCHS = 200


def _history(acc):
    return {"test_accuracies": [float(a) for a in acc]}


def _synthetic_runs():
    """Three nets that learn at different speeds and one stuck at 50 % (the lab's random_small)."""
    t = np.arange(EPOCHS)
    wiggle = np.where(t % 2 == 0, 1.0, -1.0)             # deterministic +-1 point noise
    return {
        "random_small": _history(np.full(EPOCHS, 50.0)),
        "xavier_normal": _history(50 + 30 * (1 - np.exp(-t / 60)) + 0.5 * wiggle),
        "he_normal": _history(50 + 35 * (1 - np.exp(-t / 20)) + 0.2 * wiggle),
        "lecun_normal": _history(50 + 30 * (1 - np.exp(-t / 30)) + 2.0 * wiggle),
    }


def _lab_metrics(history):
    """The lab's definitions (SEED rows 8 and 9), to show what they would report."""
    acc = history["test_accuracies"]
    target = acc[-1] * 0.9
    speed = next((e for e, a in enumerate(acc) if a >= target), len(acc))
    return speed, 1.0 / (np.var(acc[-50:]) + 1e-8)


def test_lab_metrics_reward_the_stuck_net():
    """The defect being fixed: the lab calls the stuck net fastest and most stable."""
    runs = _synthetic_runs()
    speed, stab = _lab_metrics(runs["random_small"])
    assert speed == 0 and stab == pytest.approx(1e8)
    assert all(_lab_metrics(h)[0] > 0 for m, h in runs.items() if m != "random_small")


def test_convergence_uses_one_common_target():
    runs = _synthetic_runs()
    epochs = convergence_epochs(runs)
    he_final = runs["he_normal"]["test_accuracies"][-1]          # the best final accuracy
    target = 0.9 * he_final
    assert epochs["random_small"] is None
    for method, epoch in epochs.items():
        acc = runs[method]["test_accuracies"]
        if epoch is not None:
            assert acc[epoch] >= target and all(a < target for a in acc[:epoch])
    assert epochs["he_normal"] < epochs["lecun_normal"] < epochs["xavier_normal"]
    assert all(type(e) is int for e in epochs.values() if e is not None)


def test_convergence_fraction_and_never():
    runs = {"a": _history([10, 20, 100]), "b": _history([60, 60, 60])}
    assert convergence_epochs(runs, fraction=0.9) == {"a": 2, "b": None}
    assert convergence_epochs(runs, fraction=0.5) == {"a": 2, "b": 0}
    assert convergence_epochs(runs, fraction=0.2) == {"a": 1, "b": 0}


def test_stability_is_population_std_of_the_window():
    acc = [0.0] * 10 + [80.0, 82.0, 78.0, 80.0]
    assert stability(acc, window=4) == pytest.approx(np.std([80, 82, 78, 80]))
    assert stability(acc, window=100) == pytest.approx(np.std(acc))      # shorter history: all of it
    assert stability([70.0] * 60) == 0.0
    assert type(stability(acc)) is float


def test_analysis_does_not_rank_the_stuck_net_first():
    runs = _synthetic_runs()
    report = analyze_initialization_performance(runs)
    assert set(report) == {"metrics", "rankings", "target_accuracy"}
    metrics, rankings = report["metrics"], report["rankings"]
    assert metrics["random_small"]["convergence_epoch"] is None
    assert metrics["random_small"]["stability"] == 0.0
    assert rankings["final_accuracy"][0] == "he_normal"
    assert rankings["final_accuracy"][-1] == "random_small"
    assert rankings["convergence"] == ["he_normal", "lecun_normal", "xavier_normal", "random_small"]
    # steadiest among the nets that learned; the stuck one is last, not "most stable"
    assert rankings["stability"] == ["he_normal", "xavier_normal", "lecun_normal", "random_small"]
    assert report["target_accuracy"] == pytest.approx(0.9 * runs["he_normal"]["test_accuracies"][-1])
    for m in metrics.values():
        assert set(m) == {"final_accuracy", "best_accuracy", "stability", "convergence_epoch"}
        assert m["best_accuracy"] >= m["final_accuracy"]


def test_analysis_verbose_table(capsys):
    analyze_initialization_performance(_synthetic_runs(), verbose=True)
    out = capsys.readouterr().out
    assert "Random Small" in out and "never" in out
    assert "100000000" not in out
    assert "Best final accuracy: He Normal" in out
    assert "Fastest to the common target: He Normal" in out
    analyze_initialization_performance(_synthetic_runs())
    assert capsys.readouterr().out == ""


def test_accepts_full_trainer_histories():
    hist = {"train_costs": [1.0, 0.5], "test_accuracies": [50.0, 90.0], "gradient_norms": [1.0, 1.0]}
    report = analyze_initialization_performance({"he_normal": hist}, window=1)
    assert report["metrics"]["he_normal"] == {"final_accuracy": 90.0, "best_accuracy": 90.0,
                                              "stability": 0.0, "convergence_epoch": 1}


def test_bad_arguments():
    runs = _synthetic_runs()
    with pytest.raises(ValueError, match=r"fraction must be a number in \(0, 1\], got 1.5"):
        convergence_epochs(runs, fraction=1.5)
    with pytest.raises(ValueError, match=r"fraction must be a number in \(0, 1\], got 0"):
        analyze_initialization_performance(runs, fraction=0)
    with pytest.raises(TypeError, match=r"fraction must be a number .* got '90%'"):
        convergence_epochs(runs, fraction="90%")
    with pytest.raises(ValueError, match=r"window must be a positive int, got 0"):
        stability([1.0, 2.0], window=0)
    with pytest.raises(TypeError, match=r"window must be a positive int, got 2.5"):
        analyze_initialization_performance(runs, window=2.5)
    with pytest.raises(ValueError, match=r"test_accuracies must be a non-empty 1-D sequence .* shape \(0,\)"):
        stability([])
    with pytest.raises(TypeError, match=r"training_results must be a dict \{method: history\}, got list"):
        convergence_epochs([runs["he_normal"]])
    with pytest.raises(ValueError, match=r"training_results must hold at least one method"):
        analyze_initialization_performance({})
    with pytest.raises(ValueError, match=r"training_results\['he'\] must be a history dict with "
                                         r"'test_accuracies', got \['test_acc'\]"):
        convergence_epochs({"he": {"test_acc": [1.0]}})
    with pytest.raises(ValueError,
                       match=r"training_results\['he'\]\['test_accuracies'\] must be a non-empty"):
        convergence_epochs({"he": {"test_accuracies": [[1.0, 2.0]]}})


def test_reference_guards():
    runs = _synthetic_runs()
    with forbid("convergence_epochs"), pytest.raises(ReferenceCalledError):
        convergence_epochs(runs)
    with forbid("stability"), pytest.raises(ReferenceCalledError):
        stability([1.0])
    # the analysis does not route through the guarded references, so a student's own
    # convergence_epochs can be graded while the course's analysis still runs
    with forbid("convergence_epochs", "stability"):
        analyze_initialization_performance(runs)
