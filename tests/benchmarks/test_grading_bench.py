"""benchmarks.grading: the log parsing behind "time per notebook" (the benchmark itself asserts nothing)."""

import pytest

from benchmarks.grading import main, notebook_times

LOG = """\
10:00:01.000 [AutogradeApp | INFO] Sanitizing /w/submitted/s01/weight_init/01_mathematical_foundations.ipynb
10:00:02.500 [AutogradeApp | INFO] Sanitizing /w/submitted/s01/weight_init/02_initialization_strategies.ipynb
10:00:04.750 [AutogradeApp | INFO] Setting destination file permissions
23:59:59.000 [AutogradeApp | INFO] Sanitizing /w/submitted/s02/weight_init/06_training_comparison.ipynb
00:00:03.000 [AutogradeApp | INFO] Setting destination file permissions
"""


def test_notebook_times_from_a_timestamped_autograde_log():
    times = notebook_times(LOG)
    assert times["01_mathematical_foundations"] == pytest.approx(1.5)
    assert times["02_initialization_strategies"] == pytest.approx(2.25)
    assert times["06_training_comparison"] == pytest.approx(4.0)       # across midnight
    assert notebook_times("no timestamps here") == {}


def test_help_describes_the_runs(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "isolation" in out and "--cell-timeout" in out
