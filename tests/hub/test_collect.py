"""``labgrade collect``'s rules on a fake exchange (no hub, no root): nbgrader's collect picks the latest
submission of each student, and labgrade's collect class adds its checks. Verified here:

* ``timestamp.txt`` of the collected submission is the exchange's time (the latest ctime in the
  submission folder), not the ``timestamp.txt`` the student wrote (here: a date in 2020);
* a resubmission replaces the submission collected before (``--update``);
* a folder that names one student but belongs to another Unix user is refused (nbgrader only warns);
* symbolic links in a submission are not followed (one pointing at the course's gradebook is left out).
"""

from __future__ import annotations

import datetime
import getpass
import json
import os
import shutil
import time
from pathlib import Path

import pytest
from nbgrader.utils import parse_utc

from labgrade.course.paths import ASSIGNMENT, course_root
from labgrade.hub.exchange import collect, exchange_time

pytestmark = pytest.mark.slow     # nbgrader collect runs three times (a few seconds each)

ROOT = course_root()
COURSE_ID = "lab44-weight-init"
ME = getpass.getuser()
NB = "01_mathematical_foundations.ipynb"


@pytest.fixture()
def course(tmp_path) -> tuple[Path, Path]:
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copy(ROOT / "course.toml", course)
    shutil.copytree(ROOT / "source", course / "source")
    inbound = tmp_path / "exchange" / COURSE_ID / "inbound"
    inbound.mkdir(parents=True)
    return course, tmp_path / "exchange"


def submit(inbound: Path, student: str, stamp: str, text: str, claimed: str | None = None) -> Path:
    d = inbound / f"{student}+{ASSIGNMENT}+{stamp}+{os.urandom(4).hex()}"
    d.mkdir()
    (d / NB).write_text(text)
    (d / "timestamp.txt").write_text(claimed or stamp)
    return d


def test_collect_uses_the_exchange_time_and_the_latest_submission(course, capsys):
    course, exchange = course
    inbound = exchange / COURSE_ID / "inbound"
    before = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)   # parse_utc: naive UTC
    first = submit(inbound, ME, "2026-01-01 10:00:00.000000 UTC", "first", claimed="2020-01-01 00:00:00.000000 UTC")
    (first / "gradebook.ipynb").symlink_to(course / "nbgrader_config.py")
    assert collect(course, exchange=exchange) == 0
    dest = course / "submitted" / ME / ASSIGNMENT
    assert (dest / NB).read_text() == "first"
    assert not (dest / "gradebook.ipynb").exists(), "a symbolic link was followed"
    stamp = parse_utc((dest / "timestamp.txt").read_text())
    assert stamp >= before.replace(microsecond=0) - datetime.timedelta(seconds=1), \
        f"timestamp.txt {stamp} is not the exchange's time (the student claimed 2020)"
    assert abs((stamp - exchange_time(str(first)).replace(tzinfo=None)).total_seconds()) < 1e-3
    out = capsys.readouterr().out
    assert "2020-01-01" in out and "gradebook.ipynb" in out, out

    time.sleep(0.05)
    submit(inbound, ME, "2026-01-02 10:00:00.000000 UTC", "second")
    assert collect(course, exchange=exchange) == 0
    assert (dest / NB).read_text() == "second", "the resubmission did not replace the first submission"


def test_collect_refuses_a_submission_in_another_students_name(course, capsys):
    course, exchange = course
    inbound = exchange / COURSE_ID / "inbound"
    victim = "nobody" if ME != "nobody" else "daemon"
    submit(inbound, victim, "2026-01-03 10:00:00.000000 UTC", "forged")
    assert collect(course, exchange=exchange) == 0
    assert not (course / "submitted" / victim).exists(), "a folder owned by someone else was collected"
    records = [json.loads(x) for x in (course / ".grading" / "collect.jsonl").read_text().splitlines()]
    assert any(r["event"] == "refused" and f"belongs to {ME}" in r["why"] for r in records), records
    assert "refused" in capsys.readouterr().out
