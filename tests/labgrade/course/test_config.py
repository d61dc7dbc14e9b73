"""course.toml: every setting is type-checked, and kernels_ahead = "auto" resolves per run."""

from __future__ import annotations

import itertools
import tomllib

import pytest

from labgrade.course.config import ConfigError, Settings, load_settings
from labgrade.course.paths import course_root

# every setting course.toml has, with the TOML type it must be
KEYS = {
    ("limits", "cell_timeout"): int, ("limits", "student_timeout"): int, ("limits", "memory_mb"): int,
    ("limits", "blas_threads"): int, ("limits", "max_notebook_mb"): float,
    ("grading", "jobs"): int, ("grading", "warm"): bool, ("grading", "isolation"): str,
}
# values of every TOML type, written as TOML
VALUES = {int: ["3", "120"], float: ["2.5"], bool: ["true", "false"], str: ['"120"', '"false"', '"judge"'],
          list: ["[1, 2]"], dict: ["{ a = 1 }"]}


def _toml(tmp_path, section: str, key: str, literal: str):
    """The course's own course.toml with ``[section] key = literal``."""
    text = (course_root() / "course.toml").read_text()
    data = tomllib.loads(text)
    assert key in data[section], f"{section}.{key} is not in course.toml: this test's KEYS are stale"
    lines, out, current = text.splitlines(), [], None
    for line in lines:
        if line.startswith("["):
            current = line.strip("[] ")
        if current == section and line.split("=")[0].strip() == key:
            line = f"{key} = {literal}"
        out.append(line)
    path = tmp_path / "course.toml"
    path.write_text("\n".join(out) + "\n")
    return path


def test_the_course_file_loads_and_every_key_is_checked():
    from labgrade.course.config import KNOWN

    s = load_settings()
    assert s.kernels_ahead in (True, False, "auto")
    data = tomllib.loads((course_root() / "course.toml").read_text())
    in_file = {(sec, k) for sec, table in data.items() for k in table}
    # every key of the file is checked here or below (id, due, kernels_ahead have tests of their own)
    assert in_file == set(KEYS) | {("assignment", "id"), ("assignment", "due"), ("grading", "kernels_ahead")}
    assert in_file == {(sec, k) for sec, keys in KNOWN.items() for k in keys}


@pytest.mark.parametrize(("text", "match"), [
    ("[grading]\nkernel_ahead = false\n",
     r"\[grading\] has no setting 'kernel_ahead' \(did you mean 'kernels_ahead'\?\)"),
    ("[limits]\ncell_timout = 30\n", r"did you mean 'cell_timeout'"),
    ("[grading]\nfoo = 1\n", r"\[grading\] has no setting 'foo'; it has jobs, isolation"),
    ("[gradeing]\njobs = 2\n", r"no section \[gradeing\]"),
    ("grading = 5\n", r"\[grading\] must be a table.*got 5"),
    ("[[limits]]\ncell_timeout = 3\n", r"\[limits\] must be a table"),
    ("[assignment]\ndue = 5\n", r"due must be a date and time.*got 5"),
    ("[limits]\nmax_notebook_mb = inf\n", r"max_notebook_mb must be a positive size.*got inf"),
    ("[limits]\nmax_notebook_mb = nan\n", r"max_notebook_mb must be a positive size.*got nan"),
])
def test_a_misspelled_or_misplaced_setting_is_refused_by_name(tmp_path, text, match):
    """A typo would otherwise be ignored and its default used without a word."""
    path = tmp_path / "course.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=match):
        load_settings(path)


def test_a_due_date_may_be_a_toml_date_time(tmp_path):
    path = tmp_path / "course.toml"
    path.write_text("[assignment]\ndue = 2026-12-18T23:59:00Z\n")
    assert load_settings(path).due_datetime.day == 18


def test_the_isolation_key_is_checked_even_when_the_environment_overrides_it(tmp_path, monkeypatch):
    monkeypatch.setenv("LABGRADE_ISOLATION", "none")
    with pytest.raises(ConfigError, match=r"\[grading\] isolation must be a string, got 5"):
        load_settings(_toml(tmp_path, "grading", "isolation", "5"))


@pytest.mark.parametrize(("literal", "hint"), [('"120"', True), ('"abc"', False), ('"2.5"', False)])
def test_the_quotes_hint_is_given_only_when_the_unquoted_value_would_do(tmp_path, literal, hint):
    with pytest.raises(ConfigError) as err:
        load_settings(_toml(tmp_path, "limits", "cell_timeout", literal))
    assert ("without quotes" in str(err.value)) is hint


@pytest.mark.parametrize("value", ["on", "yes", 1, None])
def test_a_setting_made_in_code_is_held_to_the_same_rule(value):
    with pytest.raises(ConfigError, match=r"kernels_ahead must be true, false or \"auto\""):
        Settings(kernels_ahead=value)
    if value is not None:       # with_overrides skips None: it means "keep the current value"
        with pytest.raises(ConfigError):
            Settings().with_overrides(kernels_ahead=value)


@pytest.mark.parametrize(("where", "literal"), [
    (where, lit) for where, kind in KEYS.items() for vkind, lits in VALUES.items() for lit in lits
    if not (vkind is kind or (kind is float and vkind is int))])
def test_a_value_of_the_wrong_type_is_refused_by_name(tmp_path, monkeypatch, where, literal):
    """A quoted number, a string for a switch, a list...: a ConfigError naming the section, the key, the value
    received and the type expected, never a silent ``bool("false") == True``."""
    monkeypatch.delenv("LABGRADE_ISOLATION", raising=False)
    section, key = where
    with pytest.raises(ConfigError) as err:
        load_settings(_toml(tmp_path, section, key, literal))
    msg = str(err.value)
    assert f"[{section}] {key}" in msg and "must be" in msg
    assert repr(tomllib.loads(f"v = {literal}")["v"]) in msg


@pytest.mark.parametrize(("where", "literal"), [
    (("limits", "cell_timeout"), "0"), (("limits", "student_timeout"), "-5"), (("limits", "memory_mb"), "1"),
    (("limits", "blas_threads"), "-1"), (("grading", "jobs"), "-2"), (("limits", "max_notebook_mb"), "0")])
def test_a_value_out_of_range_is_refused_by_name(tmp_path, where, literal):
    section, key = where
    with pytest.raises(ConfigError, match=rf"\[{section}\] {key} must be .*got {literal}"):
        load_settings(_toml(tmp_path, section, key, literal))


@pytest.mark.parametrize("literal", ['"yes"', '"true"', "1", '"on"', "[true]"])
def test_kernels_ahead_takes_true_false_or_auto_only(tmp_path, literal):
    with pytest.raises(ConfigError, match=r'kernels_ahead must be true, false or "auto".*got'):
        load_settings(_toml(tmp_path, "grading", "kernels_ahead", literal))


@pytest.mark.parametrize(("literal", "value"), [("true", True), ("false", False), ('"auto"', "auto")])
def test_kernels_ahead_values_load(tmp_path, literal, value):
    assert load_settings(_toml(tmp_path, "grading", "kernels_ahead", literal)).kernels_ahead == value


def test_a_file_that_is_not_toml_is_named(tmp_path):
    path = tmp_path / "course.toml"
    path.write_text("[limits]\ncell_timeout = = 3\n")
    with pytest.raises(ConfigError, match=r"course\.toml is not valid TOML"):
        load_settings(path)


@pytest.mark.parametrize(("jobs", "cores"), list(itertools.product(range(1, 9), range(1, 9))))
def test_auto_starts_kernels_ahead_only_while_a_core_is_free(jobs, cores):
    auto = Settings(kernels_ahead="auto")
    assert auto.ahead_for(jobs, cores) is (jobs < cores)
    assert Settings(kernels_ahead=True).ahead_for(jobs, cores) is True
    assert Settings(kernels_ahead=False).ahead_for(jobs, cores) is False


@pytest.mark.parametrize("setting", ["auto", True, False])
def test_grade_all_hands_each_student_the_resolved_setting(tmp_path, monkeypatch, setting):
    """The runner resolves "auto" for its number of jobs before any student is graded; the cluster's task
    for its worker's threads (``cluster._task``)."""
    from labgrade.course.config import default_jobs
    from labgrade.grading import runner

    seen = []
    monkeypatch.setattr(runner, "grade_student",
                        lambda ws, url, s, nbs, settings, *a: seen.append(settings.kernels_ahead)
                        or runner.StudentRun(s))
    ws = runner.course_workspace(tmp_path)
    for s in ("s1", "s2"):
        (ws.submission(s)).mkdir(parents=True)
    cores = default_jobs()
    for jobs in (1, cores, cores + 1):
        for roster in (["s1", "s2"], ["s1"]):
            seen.clear()
            runner.grade_all(ws, "sqlite://", roster, ["01_a"], Settings(kernels_ahead=setting, warm=False),
                             jobs=jobs, progress=False)
            at_once = min(jobs, len(roster))        # one student regraded with --jobs 8: one at a time
            want = (at_once < cores) if setting == "auto" else setting
            assert seen == [want] * len(roster), (jobs, roster)


@pytest.mark.parametrize(("workers", "cores", "want"), [
    # Slurm, the docs' example: 8 one-thread workers on an 8-core node (dask-jobqueue processes=8, cores=8)
    ({f"tcp://n1:{i}": {"host": "n1", "nthreads": 1} for i in range(8)}, 8, False),
    ({f"tcp://n1:{i}": {"host": "n1", "nthreads": 1} for i in range(7)}, 8, True),
    ({"tcp://n1:1": {"host": "n1", "nthreads": 4}}, 8, True),
    # a pod limited to 2 CPUs (its cgroup quota, as default_jobs reads it) with 2 threads
    ({"tcp://10.0.0.5:1": {"host": "10.0.0.5", "nthreads": 2}}, 2, False),
    ({"tcp://10.0.0.5:1": {"host": "10.0.0.5", "nthreads": 1}}, 2, True),
    # two machines: one full is enough to turn it off everywhere (one setting for the run)
    ({"tcp://a:1": {"host": "a", "nthreads": 1}, "tcp://b:1": {"host": "b", "nthreads": 2}}, 2, False),
    ({"tcp://a:1": {"host": "a", "nthreads": 1}, "tcp://b:1": {"host": "b", "nthreads": 1}}, 2, True),
    ({}, 8, False),
])
def test_auto_on_a_cluster_counts_every_worker_of_a_machine(workers, cores, want):
    from labgrade.grading.cluster import cluster_ahead

    assert cluster_ahead(workers, {addr: cores for addr in workers}) is want


def test_the_default_jobs_follow_the_cgroup_quota(monkeypatch):
    """``jobs = 0`` means the cores this process may use, a container's CPU limit included (dask's count)."""
    import dask.system

    from labgrade.course.config import default_jobs

    monkeypatch.setattr(dask.system, "cpu_count", lambda: 3)
    assert default_jobs() == 3


def test_the_student_lab_warns_about_a_bad_course_file_and_keeps_going(tmp_path, capsys):
    """The lab reads only Validate's cell timeout from course.toml: a broken file must not stop a student."""
    from labgrade.lab.launcher import cell_timeout

    assert cell_timeout(tmp_path) == Settings.cell_timeout                 # no course.toml: the default
    (tmp_path / "course.toml").write_text("[limits]\ncell_timeout = 45\n")
    assert cell_timeout(tmp_path) == 45
    (tmp_path / "course.toml").write_text("[limits]\ncell_timeout = \"45\"\n")
    assert cell_timeout(tmp_path) == Settings.cell_timeout
    err = capsys.readouterr().err
    assert "cell_timeout must be a whole number, got '45' (write it without quotes)" in err and "120 s" in err
