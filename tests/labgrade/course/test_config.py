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


def test_the_course_file_loads_and_names_every_checked_key():
    s = load_settings()
    assert s.kernels_ahead in (True, False, "auto")
    data = tomllib.loads((course_root() / "course.toml").read_text())
    assert set(KEYS) <= {(sec, k) for sec, table in data.items() for k in table}


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
        seen.clear()
        runner.grade_all(ws, "sqlite://", ["s1", "s2"], ["01_a"], Settings(kernels_ahead=setting, warm=False),
                         jobs=jobs, progress=False)
        want = (jobs < cores) if setting == "auto" else setting
        assert seen == [want, want]
