"""``labgrade lab``'s student working folder and server settings (no browser needed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from labgrade.course.paths import ASSIGNMENT
from labgrade.lab import launcher as lab


def _release(tmp_path: Path, **notebooks: str) -> Path:
    rel = tmp_path / "release"
    rel.mkdir(exist_ok=True)
    for name, text in notebooks.items():
        (rel / f"{name}.ipynb").write_text(text)
    return rel


def test_copies_the_release_and_hides_the_folder_from_git(tmp_path):
    rel = _release(tmp_path, **{"01_a": "one", "02_b": "two"})
    work = tmp_path / "student"
    report = lab.sync_release(rel, work)
    assert report.new == ["01_a.ipynb", "02_b.ipynb"]
    assert (work / ASSIGNMENT / "02_b.ipynb").read_text() == "two"
    assert (work / ".gitignore").read_text().splitlines()[-1] == "*"


def test_never_overwrites_a_students_work(tmp_path):
    rel = _release(tmp_path, **{"01_a": "one"})
    work = tmp_path / "student"
    lab.sync_release(rel, work)
    mine = work / ASSIGNMENT / "01_a.ipynb"
    mine.write_text("my answer")
    (rel / "01_a.ipynb").write_text("one, corrected")
    report = lab.sync_release(rel, work)
    assert mine.read_text() == "my answer"
    assert report.outdated == ["01_a.ipynb"]
    assert any("--reset 01" in line for line in report.lines(work / ASSIGNMENT))
    assert lab.sync_release(rel, work).outdated == ["01_a.ipynb"]   # said again until reset


def test_new_part_lands_and_untouched_copies_follow_the_release(tmp_path):
    rel = _release(tmp_path, **{"01_a": "one"})
    work = tmp_path / "student"
    lab.sync_release(rel, work)
    (rel / "01_a.ipynb").write_text("one, corrected")
    _release(tmp_path, **{"02_b": "two"})
    report = lab.sync_release(rel, work)
    assert report.updated == ["01_a.ipynb"] and report.new == ["02_b.ipynb"]
    assert (work / ASSIGNMENT / "01_a.ipynb").read_text() == "one, corrected"


def test_reset_keeps_a_backup(tmp_path):
    rel = _release(tmp_path, **{"01_a": "one", "02_b": "two"})
    work = tmp_path / "student"
    lab.sync_release(rel, work)
    (work / ASSIGNMENT / "02_b.ipynb").write_text("my broken attempt")
    report = lab.sync_release(rel, work, reset=("02",))
    assert report.reset == ["02_b.ipynb"]
    assert (work / ASSIGNMENT / "02_b.ipynb").read_text() == "two"
    backups = list((work / lab.STATE / "backup").glob("*/02_b.ipynb"))
    assert [b.read_text() for b in backups] == ["my broken attempt"]
    with pytest.raises(SystemExit, match="no such release notebook"):
        lab.sync_release(rel, work, reset=("07",))


def test_empty_release_says_make_release(tmp_path):
    with pytest.raises(SystemExit, match="make release"):
        lab.sync_release(_release(tmp_path), tmp_path / "student")


def test_server_settings_student_view(tmp_path):
    rel = _release(tmp_path, **{"01_a": "one", "02_b": "two"})
    conf = lab.write_lab_config(tmp_path, timeout=77, release_dir=rel)
    disabled = json.loads((conf / "labconfig" / "page_config.json").read_text())["disabledExtensions"]
    assert set(disabled) == set(lab.INSTRUCTOR_PLUGINS)
    assert not set(disabled) & set(lab.STUDENT_PLUGINS)
    server = json.loads((conf / "jupyter_server_config.json").read_text())
    assert set(server["ServerApp"]["jpserver_extensions"]) == set(lab.INSTRUCTOR_SERVER_EXTENSIONS)
    nbgrader_config = (conf / "nbgrader_config.py").read_text()
    assert "c.Execute.timeout = 77" in nbgrader_config
    exchange = tmp_path / lab.STATE / "exchange"
    assert f"c.Exchange.root = {str(exchange)!r}" in nbgrader_config
    outbound = exchange / lab.COURSE_ID / "outbound" / ASSIGNMENT
    assert sorted(p.name for p in outbound.iterdir()) == ["01_a.ipynb", "02_b.ipynb"]
    env = lab.lab_env(conf, base={"PATH": "/usr/bin"})
    assert env["JUPYTER_CONFIG_PATH"].split(":")[0] == str(conf)
    assert env["JUPYTER_PATH"].split(":")[0] == str(Path(sys.prefix) / "share" / "jupyter")
    cmd = lab.lab_command(tmp_path, port=8899)
    assert cmd[:3] == [sys.executable, "-m", "jupyterlab"]
    assert "--ServerApp.ip=127.0.0.1" in cmd and "--ServerApp.port=8899" in cmd
    assert f"--ServerApp.port_retries={lab.PORT_RETRIES}" in cmd    # Jupyter Server finds a free port
    assert "--ServerApp.open_browser=False" in cmd
    assert not any("token" in arg.lower() for arg in cmd)            # Jupyter Server makes the token


def test_server_info_is_read_from_jupyters_runtime_file(tmp_path):
    """What ``jupyter server list --json`` reads: ``jpserver-<pid>.json`` in the runtime folder."""
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        info = {"url": "http://127.0.0.1:8901/", "token": "abc", "pid": sleeper.pid}
        (tmp_path / f"jpserver-{sleeper.pid}.json").write_text(json.dumps(info))
        assert lab.wait_for_server(sleeper, {"JUPYTER_RUNTIME_DIR": str(tmp_path)}, timeout=5) == info
    finally:
        lab.stop(sleeper)
    dead = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    dead.wait()
    with pytest.raises(RuntimeError, match="exited with code 3"):
        lab.wait_for_server(dead, {"JUPYTER_RUNTIME_DIR": str(tmp_path)}, timeout=5)
