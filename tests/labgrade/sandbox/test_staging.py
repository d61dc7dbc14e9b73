"""Issue 12, classes 1 and 3: only regular notebook files (and timestamp.txt) leave submitted/.

The class of :mod:`staging_class` (links to a classmate's notebook, the source notebook, the
gradebook, /etc/passwd and /dev/zero; a hard link, a FIFO, a device node, a directory, an
oversized notebook; a symlinked student or assignment folder; links and Python files beside the
notebook; hostile student ids) is graded once with the real pipeline, then: what each gains
(nothing), what is refused and reported, that nothing outside the grading outputs changed, and that
the attackers' autograded/ and feedback/ hold nothing foreign. Plus unit tests of staging and of the
student-id check.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import pytest

from helpers import staging_class as sc
from labgrade.course.config import Settings
from labgrade.course.paths import ASSIGNMENT
from labgrade.grading.staging import display_name, stage_submission, student_id_problem, valid_student_id


@pytest.fixture(scope="module")
def graded():
    return sc.graded_class()


def _csv(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


# --- what the attacks gain --------------------------------------------------------------------------

def test_victim_keeps_full_points(graded):
    for gid in sc.AUTO_ITEMS:
        got, full = graded["points"][(sc.VICTIM, gid)]
        assert got == full > 0, (gid, got, full)
    assert graded["result"]["runs"][sc.VICTIM].notebooks[sc.NB] == "ok"


@pytest.mark.parametrize("student", [*sc.LINKS, "extras", "xss"])
def test_hostile_submission_gains_nothing(graded, student):
    """Each scores what a plain copy of the release scores: 0 on every autograded item."""
    for gid in sc.AUTO_ITEMS:
        got, _ = graded["points"][(student, gid)]
        assert got == 0, f"{student} scored {got} on {gid}"


@pytest.mark.parametrize("student", list(sc.LINKS))
def test_refused_file_is_failed_and_reported(graded, student):
    word, what = sc.LINKS[student]
    if student == "device" and not graded["made_device"]:
        word = "symbolic link"
    run = graded["result"]["runs"][student]
    assert run.notebooks[sc.NB] == "failed", (student, what)
    ws = graded["ws"]
    rows = [r for r in _csv(ws.reports / "grades.csv") if r["student"] == student]
    assert rows and all(r["status"] == "failed" for r in rows)
    assert all("refused" in r["message"] and word in r["message"] for r in rows), rows[0]["message"]
    students = {r["student"]: r for r in _csv(ws.reports / "students.csv")}
    assert students[student]["status"] == "failed"
    assert "refused" in students[student]["message"] and word in students[student]["message"]
    if student not in ("dir_symlink", "wi_symlink"):      # a notebook refused: flagged on its rows
        assert all(r["flags"].startswith("staging:") for r in rows), rows[0]["flags"]
        html = (ws.reports / "item_analysis.html").read_text()
        assert f"<b>{student}</b>" in html


def test_files_beside_the_notebook_are_listed_not_copied(graded):
    ws = graded["ws"]
    students = {r["student"]: r["message"] for r in _csv(ws.reports / "students.csv")}
    assert graded["result"]["runs"]["extras"].notebooks[sc.NB] == "ok"     # the notebook itself is graded
    for name in [*sc.EXTRA_LINKS, *sc.PAYLOAD_FILES, "initlab"]:
        assert name in students["extras"], (name, students["extras"])
    for out in (ws.autograded_dir("extras"), ws.feedback / "extras" / ASSIGNMENT):
        # timestamp.txt was refused: only the notebook (and its feedback page) is there
        assert sorted(p.name for p in out.iterdir()) in ([f"{sc.NB}.ipynb"], [f"{sc.NB}.html"]), out


def test_refused_timestamp_is_reported(graded):
    students = {r["student"]: r["message"] for r in _csv(graded["ws"].reports / "students.csv")}
    assert "refused at staging: timestamp.txt (is a symbolic link" in students["extras"]


def test_kernel_runs_with_safe_path(graded):
    """The kernel nbgrader started (cwd = the autograded notebook's folder) has PYTHONSAFEPATH: neither
    '' nor that folder is on sys.path (IPython adds '' unless safe_path is set)."""
    import nbformat

    nb = nbformat.read(graded["ws"].autograded_dir("xss") / f"{sc.NB}.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
                      if o.get("output_type") == "stream")
    assert "SAFEPATH True False False" in printed, printed[:300]


def test_payloads_never_ran(graded):
    assert not list((graded["tmp"] / "marks").iterdir()), "a Python file of a submission was imported"


# --- hostile student ids --------------------------------------------------------------------------

def test_hostile_ids_refused_reported_and_never_in_the_gradebook(graded):
    ws = graded["ws"]
    assert set(sc.submitted_names_bad(ws)) == set(sc.BAD_FOLDERS)     # every folder name is seen
    bad = sc.BAD_FOLDERS + sc.BAD_ROSTER_ONLY
    assert graded["gb_students"] == {s for s in graded["roster"] if s not in bad}
    students = {r["student"]: r for r in _csv(ws.reports / "students.csv")}
    for sid in bad:
        label = display_name(sid)
        cell = "'" + label if label[:1] in "=+-@" else label
        assert cell in students, (sid, sorted(students))
        assert students[cell]["status"] == "failed"
        assert students[cell]["message"].startswith("refused: the student id"), students[cell]["message"]
        assert students[cell]["points"] == "0"
        run = graded["result"]["runs"][sid]
        assert set(run.notebooks.values()) == {"failed"}
        if sid != "..":
            assert not (ws.autograded / sid).exists() and not (ws.feedback / sid).exists()
    # "a*" is not a glob: alice (whom nbgrader's glob submitted/a*/weight_init would match) is graded once
    assert graded["result"]["runs"][sc.VICTIM].notebooks[sc.NB] == "ok"
    assert not (ws.workdir / "weight_init").exists()       # ".." never became submitted/../weight_init


# --- nothing outside the grading outputs changed --------------------------------------------------

def test_nothing_outside_the_grading_outputs_changed(graded):
    before = graded["before"]
    assert sc.digest(graded["src_dir"]) == before["source"]
    assert sc.digest(graded["ws"].submitted) == before["submitted"]
    assert sc.digest(graded["outside"]) == before["outside"]
    assert sc.digest(graded["release"]) == before["release"]
    root = sc.repo_root()
    for sub in ("lib", "source", "release", "tests"):
        hits = [p for p in sc.files_containing(root / sub, sc.MARK.encode()) if "staging_class" not in p]
        assert not hits, hits
    # the payloads' text is only in submitted/ (where the students put it)
    assert not sc.files_containing(graded["ws"].workdir, sc.MARK.encode(), skip=("submitted",))


def test_no_foreign_content_in_autograded_or_feedback(graded):
    """No gradebook, /etc/passwd, classmate's or source's solution in the attackers' graded copies and
    feedback; no hidden test in their feedback (autograded/ holds the hidden tests nbgrader ran: its job)."""
    ws = graded["ws"]
    solutions, hidden = graded["solution_lines"]
    assert solutions and hidden
    foreign = [b"SQLite format 3", b"root:x:0:0", b"### BEGIN SOLUTION", *(t.encode() for t in solutions)]
    for student in graded["hostile"]:
        for top, extra in ((ws.autograded / student, []),
                           (ws.feedback / student, [b"### BEGIN HIDDEN TESTS", *(t.encode() for t in hidden)])):
            if not top.exists():
                continue
            for p in top.rglob("*"):
                assert not p.is_symlink() and (p.is_file() or p.is_dir()), p
                if p.is_dir():
                    continue
                if top.parent == ws.feedback or student != "xss":   # xss: a 3 MB error message, by design
                    assert p.stat().st_size < 2_000_000, (p, p.stat().st_size)
                data = p.read_bytes()
                for needle in foreign + extra:
                    assert needle not in data, (student, p.name, needle[:60])


def test_refused_submissions_were_not_run(graded):
    """Nothing staged, no autograde: no graded copy, no feedback, and the run took no time."""
    ws = graded["ws"]
    for student in sc.LINKS:
        assert not ws.autograded_dir(student).exists(), student
        assert not (ws.feedback / student).exists(), student
        assert graded["result"]["runs"][student].seconds < 5
    assert not ws.staged_root.exists() or not any(ws.staged_root.iterdir())    # staged copies removed
    assert graded["seconds"] < 240


# --- units ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("sid", ["s01_correct", "alice", "A.b-c_9", "x" * 64, "0"])
def test_valid_ids(sid):
    assert valid_student_id(sid) and student_id_problem(sid) is None


@pytest.mark.parametrize("sid", ["", ".", "..", "-rf", "a*", "a?", "[ab]", "=HYPERLINK(\"x\")", "+1", "@x",
                                 "with space", "new\nline", "tab\t", ".hidden", "_x", "a/b", "../x", "x" * 65,
                                 "caf\u00e9", "a\u202eb", "a\x00b", None, 5])
def test_invalid_ids(sid):
    assert not valid_student_id(sid) and student_id_problem(sid)


def test_display_name_is_printable_ascii():
    for name in ["new\nline", "a\u202eb", "\x1b[31mred", "x" * 500]:
        shown = display_name(name)
        assert shown.isascii() and shown.isprintable() and len(shown) <= 80


def _submission(tmp_path, student="bob"):
    d = tmp_path / "submitted" / student / ASSIGNMENT
    d.mkdir(parents=True)
    return d


def test_stage_copies_regular_files_only(tmp_path):
    d = _submission(tmp_path)
    (d / "01_a.ipynb").write_text("{}")
    (d / "02_b.ipynb").symlink_to(d / "01_a.ipynb")
    os.mkfifo(d / "03_c.ipynb")
    (d / "04_d.ipynb").write_text("x" * 2000)
    (d / "timestamp.txt").write_text("2026-01-01 00:00:00 UTC")
    (d / "helper.py").write_text("print('hi')")
    (d / "99_unknown.ipynb").write_text("{}")
    (d / os.fsdecode(b"odd\nname\xff.py")).write_text("x")
    import socket
    import tempfile

    sock = socket.socket(socket.AF_UNIX)
    try:
        # a socket path may hold 107 bytes: bind it short, then move it into the submission
        short = tempfile.mkdtemp(prefix="s", dir="/tmp")
        sock.bind(short + "/e")
        os.rename(short + "/e", d / "05_e.ipynb")
        os.rmdir(short)
        st = stage_submission(tmp_path / "submitted", "bob", ["01_a", "02_b", "03_c", "04_d", "05_e"],
                              tmp_path / "stage", max_bytes=1000)
    finally:
        sock.close()
    assert st.problem is None and st.notebooks == ["01_a"] and st.timestamp
    assert set(st.refused_notebooks) == {"02_b", "03_c", "04_d", "05_e"}
    assert "symbolic link" in st.refused_notebooks["02_b"] and "FIFO" in st.refused_notebooks["03_c"]
    assert "limit" in st.refused_notebooks["04_d"] and "socket" in st.refused_notebooks["05_e"]
    assert st.ignored == ["99_unknown.ipynb", "helper.py", "odd\\nname\\udcff.py"]
    staged = sorted(p.name for p in st.directory.iterdir())
    assert staged == ["01_a.ipynb", "timestamp.txt"]
    assert all(p.is_file() and not p.is_symlink() and p.stat().st_nlink == 1 for p in st.directory.iterdir())


def test_stage_refuses_linked_folders(tmp_path):
    real = _submission(tmp_path, "real")
    (real / "01_a.ipynb").write_text("{}")
    (tmp_path / "submitted" / "evil").symlink_to(tmp_path / "submitted" / "real")
    st = stage_submission(tmp_path / "submitted", "evil", ["01_a"], tmp_path / "stage", max_bytes=1000)
    assert st.problem and "symbolic link" in st.problem and not st.notebooks
    assert stage_submission(tmp_path / "submitted", "nobody", ["01_a"], tmp_path / "stage",
                            max_bytes=1000).problem == "no submission"
    assert "student id" in stage_submission(tmp_path / "submitted", "..", ["01_a"], tmp_path / "stage",
                                            max_bytes=1000).problem


def test_max_notebook_mb_from_course_toml(tmp_path):
    from labgrade.course.config import ConfigError, load_settings

    toml = tmp_path / "course.toml"
    toml.write_text("[limits]\nmax_notebook_mb = 2.5\n")
    assert load_settings(toml).max_notebook_bytes == int(2.5 * 1024 * 1024)
    toml.write_text("[limits]\nmax_notebook_mb = 0\n")
    with pytest.raises(ConfigError):
        load_settings(toml)
    assert Settings().max_notebook_mb == 20


def test_kernel_env_has_safe_path(tmp_path):
    """PYTHONSAFEPATH=1 (kernel_env): a module in the working directory is not imported instead of the
    installed one, for ``python -m`` (how the kernel starts) and ``-c``; without it, it would be."""
    env_safe = {**os.environ, **Settings().kernel_env()}
    assert env_safe["PYTHONSAFEPATH"] == "1"
    (tmp_path / "json.py").write_text("print('SHADOWED')\n")
    (tmp_path / "ipykernel_launcher.py").write_text("print('SHADOWED')\n")
    unsafe = {k: v for k, v in env_safe.items() if k != "PYTHONSAFEPATH"}
    for args in (["-c", "import json"], ["-m", "ipykernel_launcher", "--version"]):
        out = subprocess.run([sys.executable, *args], cwd=tmp_path, env=env_safe, capture_output=True, text=True)
        assert "SHADOWED" not in out.stdout, args
        out = subprocess.run([sys.executable, *args], cwd=tmp_path, env=unsafe, capture_output=True, text=True)
        assert "SHADOWED" in out.stdout, args      # the check above is not vacuous
