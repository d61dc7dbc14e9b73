"""Fixtures of the browser test: Debian's chromium, driven by Playwright for Python, and a
JupyterLab started on a copy of the student release the way ``make lab`` starts it.

No browser is downloaded: Playwright drives ``/usr/bin/chromium`` (``LABGRADE_CHROMIUM``
overrides the path). Without it the tests are skipped, unless ``LABGRADE_REQUIRE_BROWSER=1``
(set by .ci/run), which turns the skip into a failure.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers.require import unavailable
from labgrade.course.paths import ASSIGNMENT, course_root
from labgrade.lab import launcher as labmod

ROOT = course_root()
RELEASE = ROOT / "release" / ASSIGNMENT
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = Path(os.environ.get("LABGRADE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

# JupyterLab user settings of the test: no news prompt (it would cover the notebook in the
# screenshots and asks the internet), every cell attached to the page (the test finds
# cells by their index in the notebook).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def _unavailable(reason: str):
    unavailable(reason, "LABGRADE_REQUIRE_BROWSER", "the browser test")


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: apt-get install chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("playwright (for Python) is not installed in the course environment")
    return CHROMIUM


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    return ARTIFACTS


@dataclass
class StudentLab:
    base: str           # http://127.0.0.1:PORT
    token: str
    workdir: Path       # the server's root: weight_init/ (the release) and the prepared notebooks
    log: Path

    def url(self, path: str) -> str:
        return f"{self.base}/lab/tree/{path}?token={self.token}"

    def log_tail(self, n: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A student working folder: ``weight_init/`` copied from the release by ``make lab``'s own
    copy step; the test module prepares more notebooks beside it."""
    work = tmp_path_factory.mktemp("student")
    labmod.sync_release(RELEASE, work)
    return work


@pytest.fixture(scope="module")
def student_lab(chromium, workdir, tmp_path_factory):
    """JupyterLab on ``workdir`` with the command line and environment of ``make lab``, plus its
    own config, runtime, settings and workspace folders; stopped (kernels too) at the end."""
    state = tmp_path_factory.mktemp("jupyter")
    for rel, value in LAB_SETTINGS.items():
        path = state / "settings" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    config_dir = labmod.write_lab_config(workdir, timeout=labmod.cell_timeout(ROOT), release_dir=RELEASE)
    env = labmod.lab_env(
        config_dir,
        JUPYTER_CONFIG_DIR=str(state / "config"),
        JUPYTER_RUNTIME_DIR=str(state / "runtime"),
        JUPYTER_DATA_DIR=str(state / "data"),
        JUPYTERLAB_SETTINGS_DIR=str(state / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(state / "workspaces"),
        IPYTHONDIR=str(state / "ipython"),
    )
    log = state / "jupyterlab.log"
    with open(log, "w") as out:
        proc = labmod.start_server(labmod.lab_command(workdir, port=0), cwd=workdir, env=env, log=out)
    try:
        try:
            info = labmod.wait_for_server(proc, env, timeout=90)
        except RuntimeError as exc:
            pytest.fail(f"JupyterLab did not come up: {exc}\n--- {log}:\n{log.read_text()[-4000:]}",
                        pytrace=False)
        lab = StudentLab(info["url"].rstrip("/"), info["token"], workdir, log)
        problems = labmod.check_extensions(lab.base, lab.token)
        if problems:
            pytest.fail("nbgrader's student extension is not available in JupyterLab:\n  "
                        + "\n  ".join(problems) + f"\n--- {log}:\n{lab.log_tail()}", pytrace=False)
        yield lab
    finally:
        labmod.stop(proc)
        (ARTIFACTS / "jupyterlab.log").parent.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "jupyterlab.log").write_text(log.read_text(errors="replace"))


@pytest.fixture()
def page(chromium, artifacts):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.console_errors = []
        page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
        page.on("pageerror", lambda e: page.console_errors.append(str(e)))
        try:
            yield page
        finally:
            context.close()
            browser.close()
