"""labgrade.grading.warm: nbgrader forked from a zygote behaves as `python -m nbgrader` started anew."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import psutil
import pytest

from labgrade.course.paths import tool_env
from labgrade.grading.runner import kill_tree
from labgrade.grading.warm import Zygote


@pytest.fixture(scope="module")
def zygote(tmp_path_factory):
    z = Zygote(env=tool_env(PYTHONSAFEPATH="1"), cwd=tmp_path_factory.mktemp("zygote"))
    yield z
    z.close()


def test_a_child_runs_nbgrader_with_its_output_in_the_log(zygote, tmp_path):
    log = tmp_path / "log"
    proc = zygote.spawn(["--version"], cwd=tmp_path, env=tool_env(), log=log)
    assert proc.wait(60) == 0
    assert "nbgrader version" in log.read_text()


def test_a_child_shows_as_the_command_it_runs(zygote, tmp_path):
    script = tmp_path / "nap.py"
    script.write_text("import time\ntime.sleep(30)\n")
    proc = zygote.spawn(["--student", "s1"], cwd=tmp_path, env=tool_env(), log=tmp_path / "log", script=script)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            cmd = psutil.Process(proc.pid).cmdline()
            if "labgrade.grading.warm" not in " ".join(cmd):
                break
            time.sleep(0.02)
        assert cmd == [str(script), "--student", "s1"]
    finally:
        kill_tree(proc)


@pytest.mark.parametrize("args", [["no-such-command"], ["autograde", "x", "--Execute.timeout=soon"],
                                  ["generate_feedback", "x", "--CourseDirectory.root=/nonexistent"]])
def test_the_exit_status_is_nbgraders(zygote, tmp_path, args):
    proc = zygote.spawn(args, cwd=tmp_path, env=tool_env(), log=tmp_path / "log")
    plain = subprocess.run([sys.executable, "-m", "nbgrader", *args], capture_output=True, cwd=tmp_path,
                           env=tool_env())
    assert proc.wait(60) == plain.returncode


PROBE = """
import json, os, resource, sys
print(json.dumps({"pid": os.getpid(), "pgid": os.getpgid(0), "sid": os.getsid(0), "cwd": os.getcwd(),
                  "probe": os.environ.get("LABGRADE_WARM_PROBE"), "zygote_env": "ZYGOTE_ONLY" in os.environ,
                  "as": resource.getrlimit(resource.RLIMIT_AS), "core": resource.getrlimit(resource.RLIMIT_CORE),
                  "argv": sys.argv[1:], "stdin": sys.stdin.read()}))
"""


def test_each_child_has_its_session_environment_folder_and_limits(tmp_path):
    import json

    z = Zygote(env=tool_env(ZYGOTE_ONLY="1"), cwd=tmp_path)
    try:
        probe = tmp_path / "probe.py"
        probe.write_text(PROBE)
        work = tmp_path / "work"
        work.mkdir()
        log = tmp_path / "log"
        proc = z.spawn(["a", "b c"], cwd=work, env=tool_env(LABGRADE_WARM_PROBE="yes"), log=log, memory_mb=3000,
                       script=probe)
        assert proc.wait(60) == 0, log.read_text()
    finally:
        z.close()
    seen = json.loads(log.read_text())
    assert seen["pid"] == proc.pid
    assert seen["pgid"] == seen["sid"] == proc.pid, "not a session of its own"
    assert seen["cwd"] == str(work)
    assert seen["probe"] == "yes" and not seen["zygote_env"], "the run's environment, not the zygote's"
    assert seen["as"] == [3000 * 1024 * 1024] * 2
    assert seen["core"] == [0, 0]
    assert seen["argv"] == ["a", "b c"]
    assert seen["stdin"] == ""


def test_kill_tree_ends_a_child_and_its_group(zygote, tmp_path):
    log = tmp_path / "log"
    proc = zygote.spawn(["--help-all"], cwd=tmp_path, env=tool_env(), log=log)
    kill_tree(proc)
    assert proc.wait(30) is not None
    assert not psutil.pid_exists(proc.pid) or psutil.Process(proc.pid).status() == psutil.STATUS_ZOMBIE


def test_the_zygote_and_its_children_die_with_the_process_that_started_it(tmp_path):
    code = (
        "import sys, time\n"
        "from labgrade.course.paths import tool_env\n"
        "from labgrade.grading.warm import Zygote\n"
        "z = Zygote(env=tool_env(), cwd=sys.argv[1])\n"
        "print(z._proc.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    zpid = int(parent.stdout.readline())
    assert psutil.pid_exists(zpid)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if not psutil.pid_exists(zpid) or psutil.Process(zpid).status() == psutil.STATUS_ZOMBIE:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the zygote outlived the process that started it")


def test_a_zygote_started_without_waiting_serves_its_first_spawn(tmp_path):
    """``Zygote(wait=False)`` returns at once (the caller sets up the gradebook meanwhile); the
    first spawn waits for it to be ready. It is started from this (the main) thread: it dies with
    the thread that started it, so starting it from a short-lived thread would lose it."""
    z = Zygote(env=tool_env(PYTHONSAFEPATH="1"), cwd=tmp_path, wait=False)
    try:
        log = tmp_path / "log"
        proc = z.spawn(["--version"], cwd=tmp_path, env=tool_env(), log=log)
        assert proc.wait(60) == 0 and "nbgrader version" in log.read_text()
    finally:
        z.close()


def test_a_zygote_closed_before_it_started_refuses_to_spawn(tmp_path):
    from labgrade.grading.warm import ZygoteError

    z = Zygote(env=tool_env(PYTHONSAFEPATH="1"), cwd=tmp_path, wait=False)
    z.close()
    with pytest.raises(ZygoteError):
        z.spawn(["--version"], cwd=tmp_path, env=tool_env(), log=tmp_path / "log")
