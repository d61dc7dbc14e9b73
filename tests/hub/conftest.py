"""Fixtures of the hub test: the course's JupyterHub (labgrade.hub) with an instructor and two students,
started as ``labgrade hub`` starts it, and Debian's chromium driven by Playwright.

It needs root (the hub creates Unix users and setuids to them), ``/usr/bin/chromium`` and
``/usr/bin/python3``. Without them the test is skipped, unless ``LABGRADE_REQUIRE_HUB=1`` (set by
.ci/run), which turns the skip into a failure. The users (``l44t-*``), the exchange and the hub's state
are removed at the end; the two environments are kept in ``/srv/labgrade-hubtest`` (rebuilt only
when their inputs change).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from helpers.require import unavailable
from labgrade.course.paths import course_root

ROOT = course_root()
ARTIFACTS = ROOT / "test-artifacts" / "hub"
CHROMIUM = Path(os.environ.get("LABGRADE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
HUB_ROOT = Path(os.environ.get("LABGRADE_HUB_TEST_ROOT", "/srv/labgrade-hubtest"))
PREFIX = "l44t-"


def _unavailable(reason: str):
    unavailable(reason, "LABGRADE_REQUIRE_HUB", "the hub test")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    return ARTIFACTS


def _clean(names, exchange: Path, root: Path) -> None:
    from labgrade.hub import accounts

    accounts.remove_users(names)
    for path in (exchange, root / "state", root / "hub-settings.json", root / "jupyterhub_config.py"):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        elif path.exists():
            path.unlink()


@pytest.fixture(scope="module")
def hub(artifacts):
    if os.geteuid() != 0:
        _unavailable("the hub test runs as root (it creates Unix users and the hub setuids to them)")
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: apt-get install chromium")
    if not Path("/usr/bin/python3").exists():
        _unavailable("/usr/bin/python3 is missing: apt-get install python3")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("playwright (for Python) is not installed in the course environment")
    from labgrade.hub import accounts, server

    exchange = HUB_ROOT.with_name(HUB_ROOT.name + "-exchange")
    instructor, students = accounts.roster_names(PREFIX, 2)
    _clean([instructor, *students], exchange, HUB_ROOT)
    bundle = os.environ.get("LABGRADE_HUB_BUNDLE")
    # --protect-repository removes the others' permissions of the repository's solutions: put them back after
    modes = {p: p.stat().st_mode for p in (ROOT / x for x in server.PRIVATE) if p.exists()}
    t0 = time.monotonic()
    h = server.prepare(root=HUB_ROOT, exchange=exchange, prefix=PREFIX, students=2,
                       bundle=Path(bundle) if bundle else None, protect=True)
    try:
        server.start(h, port=0)
        h.extra["setup_seconds"] = round(time.monotonic() - t0, 1)
        yield h
    finally:
        server.stop(h)
        if h.log and h.log.exists():
            shutil.copy(h.log, ARTIFACTS / "jupyterhub.log")
        _clean([a.name for a in h.accounts], exchange, HUB_ROOT)
        for p, mode in modes.items():
            if p.exists():
                os.chmod(p, mode)


@pytest.fixture(scope="module")
def browser(hub):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
