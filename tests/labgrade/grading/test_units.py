"""Fast tests of labgrade's parts: sample class generator, hidden-test stripping, helpers, CLI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import psutil
import pytest

from helpers.sample_expectations import ALL, LOST, STUDENT_STATUS, graded_items
from labgrade.cli import build_parser, main
from labgrade.course.build import generate_release
from labgrade.course.config import Settings, load_settings
from labgrade.course.paths import ASSIGNMENT, course_root
from labgrade.grading.gradebook import redact, sqlite_path, worker_db_url
from labgrade.grading.runner import classify_failure, failed_notebook, kill_tree
from labgrade.reports.feedback import PLACEHOLDER, hide_hidden_tests, strip_hidden_source
from labgrade.reports.report import point_biserial
from labgrade.sandbox.limits import limited
from labgrade.variants.model import notebook_stem
from labgrade.variants.mutations import MUTATIONS, STUDENTS, mutation, substitution
from labgrade.variants.sample import MutationError, apply_mutation, build_class, complete_notebook, solution_cells

ROOT = course_root()
SOURCE = ROOT / "source" / ASSIGNMENT
MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[^\n]*\n?", re.M)


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    out = tmp_path_factory.mktemp("release")
    generate_release(ROOT, out)
    return out


def _notebooks(release):
    return sorted(p.stem for p in (release / ASSIGNMENT).glob("*.ipynb"))


def test_complete_submission_is_the_source_solution(release):
    """The correct student = release cells with the source's solution regions filled in."""
    for name in _notebooks(release):
        rel = nbformat.read(release / ASSIGNMENT / f"{name}.ipynb", as_version=4)
        src = nbformat.read(SOURCE / f"{name}.ipynb", as_version=4)
        done = complete_notebook(rel, src, name)
        for gid, cell in solution_cells(done).items():
            want = MARKER.sub("", solution_cells(src)[gid].source)
            assert cell.source.strip() == want.strip(), f"{name}:{gid}"
            assert "NotImplementedError" not in cell.source and "YOUR ANSWER HERE" not in cell.source


def test_every_mutation_applies_exactly(release):
    """Each mutation of labgrade.variants.mutations applies to today's notebooks, once, and changes the cell."""
    names = _notebooks(release)
    for m in [*MUTATIONS.values(), mutation("hang"), mutation("kernel_dies")]:
        stem = notebook_stem(m.notebook, names)
        assert stem is not None, f"mutation {m.id}: no notebook {m.notebook}"
        rel = nbformat.read(release / ASSIGNMENT / f"{stem}.ipynb", as_version=4)
        src = nbformat.read(SOURCE / f"{stem}.ipynb", as_version=4)
        nb = complete_notebook(rel, src, stem)
        before = solution_cells(nb)[m.grade_id].source
        apply_mutation(nb, m)
        assert solution_cells(nb)[m.grade_id].source != before


def test_mutation_that_does_not_apply_fails_loudly(release):
    name = _notebooks(release)[0]
    rel = nbformat.read(release / ASSIGNMENT / f"{name}.ipynb", as_version=4)
    src = nbformat.read(SOURCE / f"{name}.ipynb", as_version=4)
    nb = complete_notebook(rel, src, name)
    gid = next(iter(solution_cells(nb)))
    with pytest.raises(MutationError, match="does not apply"):
        apply_mutation(nb, substitution("gone", name, gid, "text that is not in the cell", "x"))
    with pytest.raises(MutationError, match="no solution cell"):
        apply_mutation(nb, substitution("nocell", name, "no_such_cell", "a", "b"))


def test_every_mutation_is_used_and_expectations_name_real_items():
    used = {m for s in STUDENTS for m in s.mutations}
    assert set(MUTATIONS) - used == set(), "a mutation no student makes"
    items = {(nb, gid) for nb, gid, _, _ in graded_items(SOURCE)}
    notebooks = {nb for nb, _ in items}
    assert set(LOST) == {s.id for s in STUDENTS} == set(STUDENT_STATUS)
    for student, lost in LOST.items():
        for nb, gids in lost.items():
            assert nb in notebooks, (student, nb)
            if gids != ALL:
                for gid in gids:
                    assert (nb, gid) in items, (student, nb, gid)
    # at least 12 submissions, and the kinds the course asks for
    assert sum(s.submitted for s in STUDENTS) >= 12
    assert any(s.late for s in STUDENTS) and any(s.drop for s in STUDENTS)
    assert any("hang" in s.mutations for s in STUDENTS) and any("kernel_dies" in s.mutations for s in STUDENTS)


def test_sample_class_is_seeded(release, tmp_path):
    a = build_class(release, tmp_path / "a", seed=7)
    b = build_class(release, tmp_path / "b", seed=7)
    assert a["students"] == b["students"]
    for p in (tmp_path / "a").rglob("*"):
        if p.is_file():
            assert p.read_bytes() == (tmp_path / "b" / p.relative_to(tmp_path / "a")).read_bytes()
    late = Settings().due_datetime
    from nbgrader.utils import parse_utc

    assert parse_utc((tmp_path / "a" / "s09_late" / ASSIGNMENT / "timestamp.txt").read_text()) > late
    assert parse_utc((tmp_path / "a" / "s01_correct" / ASSIGNMENT / "timestamp.txt").read_text()) < late
    assert not (tmp_path / "a" / "s14_no_submission").exists()
    assert not (tmp_path / "a" / "s10_missing_notebook" / ASSIGNMENT / "04_activation_statistics.ipynb").exists()
    with pytest.raises(nbformat.reader.NotJSONError):
        nbformat.read(tmp_path / "a" / "s13_corrupt_notebook" / ASSIGNMENT / "01_mathematical_foundations.ipynb", 4)


def test_demo_refuses_a_real_class(tmp_path):
    (tmp_path / "submitted" / "alice" / ASSIGNMENT).mkdir(parents=True)
    from labgrade.grading.runner import course_workspace
    from labgrade.variants.sample import make_sample_class

    with pytest.raises(SystemExit, match="not the sample class"):
        make_sample_class(course_workspace(tmp_path), 44)


# --- feedback: hidden tests -----------------------------------------------------------------------

TEST_CELL = '''"""visible docstring"""
check(f(1), 2)
### BEGIN HIDDEN TESTS
for secret_input in [17, 23]:
    check(f(secret_input), 2 * secret_input)
### END HIDDEN TESTS'''

ESC = "\x1b[32m"
TRACEBACK = [
    "\x1b[31m---------------------------------------------------------------------------\x1b[39m",
    "\x1b[31mAssertionError\x1b[39m                            Traceback (most recent call last)",
    "\x1b[36mCell\x1b[39m\x1b[36m \x1b[39m\x1b[32mIn[3]\x1b[39m\x1b[32m, line 5\x1b[39m\n"
    f"{ESC}      2\x1b[39m check(f(1), 2)\n"
    f"{ESC}      3\x1b[39m \x1b[38;5;66;03m### BEGIN HIDDEN TESTS\x1b[39;00m\n"
    f"{ESC}      4\x1b[39m \x1b[38;5;28;01mfor\x1b[39;00m secret_input \x1b[38;5;129;01min\x1b[39;00m [17, 23]:\n"
    f"{ESC}----> \x1b[39m{ESC}5\x1b[39m     check(f(secret_input), \x1b[32m2\x1b[39m * secret_input)\n"
    f"{ESC}      6\x1b[39m \x1b[38;5;66;03m### END HIDDEN TESTS\x1b[39;00m\n",
    "\x1b[36mFile \x1b[39m\x1b[32m/lib/check.py:3\x1b[39m, in \x1b[36mcheck\x1b[39m\x1b[34m(a, b)\x1b[39m\n"
    f"{ESC}      2\x1b[39m \x1b[38;5;28;01mif\x1b[39;00m a != b:\n"
    f"{ESC}----> 3\x1b[39m     \x1b[38;5;28;01mraise\x1b[39;00m "
    "\x1b[38;5;167;01mAssertionError\x1b[39;00m(\x1b[33m'f is wrong'\x1b[39m)\n",
    "\x1b[31mAssertionError\x1b[39m: f(17) is 3, expected 34",
]


def _notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("def f(x):\n    return 3", execution_count=1),
                nbformat.v4.new_code_cell(TEST_CELL, execution_count=3)]
    nb.cells[1].outputs = [nbformat.v4.new_output("error", ename="AssertionError",
                                                  evalue="f(17) is 3, expected 34", traceback=TRACEBACK)]
    return nb


def test_hide_hidden_tests_in_source_and_traceback():
    nb = _notebook()
    hide_hidden_tests(nb)
    src = nb.cells[1].source
    assert "secret_input" not in src and "HIDDEN" not in src
    assert src.endswith(PLACEHOLDER) and "check(f(1), 2)" in src
    tb = "\n".join(nb.cells[1].outputs[0].traceback)
    plain = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", tb)
    assert "secret_input" not in plain and "HIDDEN TESTS" not in plain and "[17, 23]" not in plain
    assert "(a line of the hidden tests)" in plain
    assert "check(f(1), 2)" in plain               # visible context stays
    assert "raise AssertionError('f is wrong')" in plain   # library frames stay
    assert "f(17) is 3, expected 34" in plain      # the message stays
    assert nb.cells[1].outputs[0].evalue == "f(17) is 3, expected 34"


def test_preprocessor_is_enabled_as_configured_in_generate_feedback():
    """nbconvert preprocessors are disabled by default: ours must run when listed."""
    from labgrade.grading.runner import FEEDBACK_PREPROCESSORS
    from labgrade.reports.feedback import HideHiddenTests

    assert "labgrade.reports.feedback.HideHiddenTests" in FEEDBACK_PREPROCESSORS
    nb, _ = HideHiddenTests()(_notebook(), {})
    assert "secret_input" not in nb.cells[1].source


def test_strip_hidden_source_keeps_indentation():
    src = "x = 1\n    ### BEGIN HIDDEN TESTS\n    secret()\n    ### END HIDDEN TESTS\ny = 2"
    assert strip_hidden_source(src) == f"x = 1\n    {PLACEHOLDER}\ny = 2"


# --- helpers ---------------------------------------------------------------------------------------

def test_point_biserial():
    passed = np.array([1, 1, 0, 0, 1, 0])
    rest = np.array([10, 9, 2, 3, 8, 1])
    assert point_biserial(passed, rest) > 0.9
    assert point_biserial(1 - passed, rest) < -0.9
    assert np.isnan(point_biserial(np.ones(6), rest))


def test_db_urls():
    assert worker_db_url("sqlite:////tmp/g.db") == "sqlite:////tmp/g.db?timeout=120"
    assert worker_db_url("sqlite:////tmp/g.db?timeout=5") == "sqlite:////tmp/g.db?timeout=5"
    assert worker_db_url("postgresql://u:p@h:5432/db") == "postgresql://u:p@h:5432/db"
    assert sqlite_path("sqlite:////tmp/g.db?timeout=5") == Path("/tmp/g.db")
    assert sqlite_path("postgresql://h/db") is None
    assert redact("postgresql://u:secret@h/db") == "postgresql://u:***@h/db"


def test_settings_from_course_toml():
    s = load_settings()
    assert s.cell_timeout > 0 and s.student_timeout > s.cell_timeout and s.memory_mb >= 1024
    assert s.due_datetime.year >= 2026
    assert s.with_overrides(cell_timeout=5, jobs=None).cell_timeout == 5
    assert s.kernel_env().get("OMP_NUM_THREADS") == str(s.blas_threads) or s.blas_threads == 0


def test_failure_classification():
    assert "kernel died" in classify_failure("... nbclient.exceptions.DeadKernelError: Kernel died")
    assert "not JSON" in classify_failure("nbformat.reader.NotJSONError: Notebook does not appear to be JSON")
    log = ("[AutogradeApp | INFO] Sanitizing /x/submitted/s/weight_init/01_a.ipynb\n"
           "[AutogradeApp | INFO] Autograding /x/autograded/s/weight_init/01_a.ipynb\n"
           "[AutogradeApp | INFO] Sanitizing /x/submitted/s/weight_init/02_b.ipynb\n"
           "[AutogradeApp | ERROR] There was an error processing assignment\n")
    assert failed_notebook(log) == "02_b"
    assert failed_notebook("no notebook here") is None


def test_kill_tree_reaches_kernels_in_their_own_session(tmp_path):
    """Kernels start in sessions of their own: killing the process group is not enough."""
    script = tmp_path / "spawn.py"
    script.write_text(
        "import subprocess, sys, time\n"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'], start_new_session=True)\n"
        f"open({str(tmp_path / 'pid')!r}, 'w').write(str(p.pid))\n"
        "time.sleep(300)\n")
    proc = subprocess.Popen([sys.executable, str(script)], start_new_session=True)
    for _ in range(100):
        if (tmp_path / "pid").exists() and (tmp_path / "pid").read_text():
            break
        time.sleep(0.05)
    grandchild = int((tmp_path / "pid").read_text())
    kill_tree(proc)
    assert proc.poll() is not None
    time.sleep(0.2)
    assert not psutil.pid_exists(grandchild) or psutil.Process(grandchild).status() == psutil.STATUS_ZOMBIE


def test_memory_limit_wrapper():
    code = "import numpy as np; np.ones(2**31 // 8 * 3)"   # 3 GiB
    res = subprocess.run(limited([sys.executable, "-c", code], memory_mb=1024), capture_output=True, text=True)
    assert res.returncode != 0 and "MemoryError" in res.stderr


# --- CLI -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["grade", "demo", "report"])
def test_cli_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "--db-url" in out and "--course-dir" in out
    if command != "report":
        assert "--jobs" in out and "--cell-timeout" in out


def test_cli_console_script():
    exe = Path(sys.executable).parent / "labgrade"
    res = subprocess.run([str(exe), "--help"], capture_output=True, text=True, env={**os.environ})
    assert res.returncode == 0 and "demo" in res.stdout and "grade" in res.stdout


def test_cli_jobs_default_is_cores():
    args = build_parser().parse_args(["grade"])
    assert args.jobs is None
    s = load_settings().with_overrides(jobs=args.jobs)
    if s.jobs == 0:
        assert s.job_count() == len(os.sched_getaffinity(0))


def test_grade_with_nothing_to_grade(tmp_path, capsys):
    assert main(["grade", "--course-dir", str(tmp_path), "--db-url", f"sqlite:///{tmp_path}/g.db"]) == 1
    assert "nothing to grade" in capsys.readouterr().err


def test_report_before_grading(tmp_path, capsys):
    assert main(["report", "--course-dir", str(tmp_path), "--db-url", f"sqlite:///{tmp_path}/g.db"]) == 1
    assert "nothing graded yet" in capsys.readouterr().err


def test_progress_word_counts_a_cell_timeout_as_timed_out(tmp_path):
    """The progress bar says timed_out for a student whose notebook had a cell stopped at the limit."""
    import nbformat

    from labgrade.grading.runner import StudentRun, Workspace, _short

    ws = Workspace(root=tmp_path, workdir=tmp_path)
    run = StudentRun("s1", notebooks={"01_a": "ok", "02_b": "ok"})
    dest = ws.autograded_dir("s1")
    dest.mkdir(parents=True)
    for nb, ename in (("01_a", "CellTimeoutError"), ("02_b", "AssertionError")):
        cell = nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output("error", ename=ename, evalue="",
                                                                              traceback=[])])
        nbformat.write(nbformat.v4.new_notebook(cells=[cell]), dest / f"{nb}.ipynb")
    assert _short(run) == "ok"
    assert _short(run, ws) == "timed_out"
    run.notebooks["02_b"] = "failed"
    assert _short(run, ws) == "failed,timed_out"


def test_isolation_setting_defaults_to_judge_and_is_overridable(monkeypatch):
    """course.toml says judge; LABGRADE_ISOLATION overrides it; a bad value names itself."""
    from labgrade.course.config import load_settings

    monkeypatch.delenv("LABGRADE_ISOLATION", raising=False)
    s = load_settings()
    assert s.isolation == "judge" and s.kernel_env()["LABGRADE_ISOLATION"] == "judge"
    assert s.with_overrides(isolation="none").kernel_env()["LABGRADE_ISOLATION"] == "none"
    monkeypatch.setenv("LABGRADE_ISOLATION", "none")
    assert load_settings().isolation == "none"
    monkeypatch.setenv("LABGRADE_ISOLATION", "sandbox")
    with pytest.raises(ValueError, match=r"must be \"judge\".*got 'sandbox'"):
        load_settings()


def test_grading_refuses_to_start_without_a_working_sandbox(monkeypatch):
    """No bubblewrap: labgrade stops before grading anyone, and says what to do."""
    from labgrade import pipeline
    from labgrade.course.config import load_settings
    from labgrade.sandbox import judge

    def no_bwrap(*a, **k):
        raise RuntimeError("bubblewrap (bwrap) is not installed: apt-get install bubblewrap")

    monkeypatch.setattr(judge, "sandbox_command", no_bwrap)
    with pytest.raises(pipeline.IsolationUnavailable, match="--isolation none"):
        pipeline.check_sandbox(load_settings().with_overrides(isolation="judge"))
    pipeline.check_sandbox(load_settings().with_overrides(isolation="none"))      # nothing to check


def test_a_bad_isolation_value_is_a_one_line_error_not_a_traceback(monkeypatch, capsys):
    from labgrade import cli

    monkeypatch.setenv("LABGRADE_ISOLATION", "sandbox")
    assert cli.main(["grade", "--students", "nobody"]) == 2
    assert "labgrade: course.toml [grading] isolation" in capsys.readouterr().err
