"""Comparing training runs: final accuracy, convergence and stability (Part 7).

Introduced in ``source/weight_init/07_performance_analysis.ipynb``; the input is
``{method: history}`` as returned by
:meth:`initlab.InitializationTrainer.train`, of which only
``'test_accuracies'`` (in percent, one value per epoch) is used.

Differences from the lab, on purpose:

* **Convergence** is the first epoch at which the test accuracy reaches one
  *common* target, ``fraction`` times the best final accuracy among the methods
  compared. The lab used 90 % of each method's *own* final accuracy, so a net
  stuck at 50 % "converged" at epoch 0 and was ranked fastest. A method that
  never reaches the target is reported as ``None`` ("never") and ranked last.
* **Stability** is the standard deviation of the last ``window`` test
  accuracies, in percentage points (lower is steadier). The lab used
  ``1 / (variance + 1e-8)``, which gives a stuck net 100,000,000 and calls it
  the most stable. A net that never reached the target is ranked last for
  stability too: a constant accuracy at chance level is not steadiness.
"""

from __future__ import annotations

import numpy as np

from ._guard import reference
from ._validation import check_accuracies, check_fraction, check_int, check_training_results

__all__ = ["convergence_epochs", "stability", "analyze_initialization_performance"]


def _convergence(accuracies: dict[str, np.ndarray], target: float) -> dict[str, int | None]:
    result = {}
    for method, acc in accuracies.items():
        hits = np.flatnonzero(acc >= target)
        result[method] = int(hits[0]) if hits.size else None
    return result


def _target(accuracies: dict[str, np.ndarray], fraction: float) -> float:
    return fraction * max(float(acc[-1]) for acc in accuracies.values())


@reference("convergence_epochs")
def convergence_epochs(training_results, fraction: float = 0.9) -> dict[str, int | None]:
    """First epoch at which each method reaches a common target test accuracy.

    The target is ``fraction`` times the best *final* test accuracy among all
    methods in ``training_results``, so every method is measured against the
    same bar (the lab measured each method against its own final accuracy).

    Parameters
    ----------
    training_results : dict
        ``{method: history}``, each history with ``'test_accuracies'``.
    fraction : float in (0, 1]

    Returns
    -------
    dict
        ``{method: epoch index (0-based) or None}``; ``None`` if the method
        never reaches the target.

    Raises
    ------
    TypeError
        If ``training_results`` is not a dict ``{method: history}``.
    ValueError
        If it is empty or a history has no usable ``'test_accuracies'`` (a non-empty
        1-D sequence of numbers).
    TypeError
        If ``fraction`` is not a real number.
    ValueError
        If ``fraction`` is not in ``(0, 1]``.

    Examples
    --------
    >>> runs = {'good': {'test_accuracies': [50, 70, 90]},
    ...         'stuck': {'test_accuracies': [50, 50, 50]}}
    >>> convergence_epochs(runs)        # target 0.9 * 90 = 81
    {'good': 2, 'stuck': None}
    """
    fraction = check_fraction(fraction, name="fraction", include_one=True)
    accuracies = check_training_results(training_results)
    return _convergence(accuracies, _target(accuracies, fraction))


@reference("stability")
def stability(test_accuracies, window: int = 50) -> float:
    """Standard deviation (population, ``ddof=0``) of the last ``window`` accuracies.

    Lower is steadier. If the history is shorter than ``window``, all of it is
    used. Replaces the lab's ``1 / (variance + 1e-8)``, which is 10^8 for any
    constant history.

    Parameters
    ----------
    test_accuracies : sequence of float
    window : int, positive

    Returns
    -------
    float
        In the units of the accuracies (percentage points).

    Raises
    ------
    TypeError
        If ``test_accuracies`` is not a sequence of numbers.
    ValueError
        If it is not a non-empty 1-D sequence.
    TypeError
        If ``window`` is not an int.
    ValueError
        If ``window < 1``.

    Examples
    --------
    >>> stability([10, 80, 82, 78, 80], window=4)
    1.4142135623730951
    """
    window = check_int(window, name="window", expected="a positive int")
    acc = check_accuracies(test_accuracies, name="test_accuracies")
    return float(np.std(acc[-window:]))


def analyze_initialization_performance(training_results, *, fraction: float = 0.9, window: int = 50,
                                       verbose: bool = False) -> dict:
    """Metrics and rankings of the training runs of Part 6.

    Parameters
    ----------
    training_results : dict
        ``{method: history}`` from :meth:`initlab.InitializationTrainer.train`.
    fraction : float in (0, 1]
        Convergence target as a fraction of the best final accuracy (see
        :func:`convergence_epochs`).
    window : int
        Number of final epochs used by :func:`stability`.
    verbose : bool
        Print a table and the rankings.

    Returns
    -------
    dict
        ``'metrics'``: ``{method: {'final_accuracy', 'best_accuracy',
        'stability', 'convergence_epoch'}}`` (``convergence_epoch`` is ``None``
        if the target is never reached);
        ``'rankings'``: ``{'final_accuracy': [...], 'convergence': [...],
        'stability': [...]}``, method names best first: highest final accuracy;
        fewest epochs to the target, methods that never reached it last; lowest
        std, methods that never reached the target last (a net stuck at chance
        level has std 0 but is not "stable"). Ties keep the input order.
        ``'target_accuracy'``: the common convergence target, in percent.

    Raises
    ------
    TypeError
        If ``training_results`` is not a dict ``{method: history}``.
    ValueError
        If it is empty or a history has no usable ``'test_accuracies'`` (a non-empty
        1-D sequence of numbers).
    TypeError
        If ``fraction`` is not a real number.
    ValueError
        If ``fraction`` is not in ``(0, 1]``.
    TypeError
        If ``window`` is not an int.
    ValueError
        If ``window < 1``.

    Examples
    --------
    >>> runs = {'he': {'test_accuracies': [50, 70, 90, 91]},
    ...         'small': {'test_accuracies': [50, 50, 50, 50]}}
    >>> report = analyze_initialization_performance(runs, window=2)
    >>> report['rankings']
    {'final_accuracy': ['he', 'small'], 'convergence': ['he', 'small'], 'stability': ['he', 'small']}
    """
    fraction = check_fraction(fraction, name="fraction", include_one=True)
    window = check_int(window, name="window", expected="a positive int")
    accuracies = check_training_results(training_results)
    target = _target(accuracies, fraction)
    conv = _convergence(accuracies, target)
    metrics = {
        method: {
            "final_accuracy": float(acc[-1]),
            "best_accuracy": float(acc.max()),
            "stability": float(np.std(acc[-window:])),
            "convergence_epoch": conv[method],
        }
        for method, acc in accuracies.items()
    }
    methods = list(metrics)
    never = {m for m in methods if conv[m] is None}
    rankings = {
        "final_accuracy": sorted(methods, key=lambda m: -metrics[m]["final_accuracy"]),
        "convergence": sorted(methods, key=lambda m: (m in never, conv[m] or 0)),
        "stability": sorted(methods, key=lambda m: (m in never, metrics[m]["stability"])),
    }
    report = {"metrics": metrics, "rankings": rankings, "target_accuracy": float(target)}
    if verbose:
        _print_report(report, window)
    return report


def _title(method: str) -> str:
    return method.replace("_", " ").title()


def _print_report(report: dict, window: int) -> None:
    metrics, rankings = report["metrics"], report["rankings"]
    target = report["target_accuracy"]
    print("\nDetailed Performance Analysis:")
    print("=" * 80)
    print(f"{'Method':<18} {'Final Acc':>10} {'Best Acc':>10} {f'Std (last {window})':>16} "
          f"{f'Epochs to {target:.1f}%':>20}")
    print("-" * 80)
    for method, m in metrics.items():
        epoch = "never" if m["convergence_epoch"] is None else f"{m['convergence_epoch']}"
        print(f"{_title(method):<18} {m['final_accuracy']:>9.1f}% {m['best_accuracy']:>9.1f}% "
              f"{m['stability']:>16.2f} {epoch:>20}")
    print("\nRankings by Metric:")
    print("-" * 50)
    print("Final Accuracy:")
    for i, method in enumerate(rankings["final_accuracy"], start=1):
        print(f"  {i}. {_title(method)}: {metrics[method]['final_accuracy']:.1f}%")
    print(f"\nConvergence (epochs to reach {target:.1f}% test accuracy):")
    for i, method in enumerate(rankings["convergence"], start=1):
        epoch = metrics[method]["convergence_epoch"]
        print(f"  {i}. {_title(method)}: " + ("never reached" if epoch is None else f"{epoch} epochs"))
    print(f"\nStability (std of the last {window} test accuracies, lower is steadier):")
    for i, method in enumerate(rankings["stability"], start=1):
        note = " (never reached the target)" if metrics[method]["convergence_epoch"] is None else ""
        print(f"  {i}. {_title(method)}: {metrics[method]['stability']:.2f} points{note}")
    best = rankings["final_accuracy"][0]
    fastest = rankings["convergence"][0]
    print("\nSummary:")
    print("=" * 50)
    print(f"Best final accuracy: {_title(best)}")
    if metrics[fastest]["convergence_epoch"] is not None:
        print(f"Fastest to the common target: {_title(fastest)}")
