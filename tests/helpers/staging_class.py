"""Issue 12, classes 1, 3 and 7: one class of hostile submissions (files, links, ids, text), graded once.

Shared by test_staging.py and test_untrusted_text.py: :func:`graded_class` builds the class in a
temporary course directory (Part 1 only, ``--isolation none``: what is tested here is what reaches
nbgrader, not the sandbox) and grades it with the real pipeline (labgrade.pipeline.run: staging, nbgrader
autograde in parallel, generate_feedback, grades.csv, students.csv, item_analysis.html), once per
test session.

Every hostile submission would score the full 6 autograded points of Part 1 if its trick worked
(it links to, or hard-links, or carries code that fakes, a complete notebook); a plain copy of the
release scores 0 (its stubs raise NotImplementedError), which is what each must score.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path

import nbformat

from labgrade.course.build import generate_release
from labgrade.course.config import load_settings
from labgrade.course.paths import ASSIGNMENT, course_root
from labgrade.grading.gradebook import default_db_url
from labgrade.grading.runner import Workspace
from labgrade.pipeline import run, submitted_names
from labgrade.variants.sample import complete_notebook, solution_cells

NB = "01_mathematical_foundations"
AUTO_ITEMS = ("test_theoretical_std", "test_uniform_bound")
VICTIM = "alice"
MARK = "PWNED-" + uuid.uuid4().hex[:12]      # written by any payload that runs; must appear nowhere
MAX_NOTEBOOK_MB = 1                           # course.toml [limits] max_notebook_mb for this run
XSS = "XSS-" + uuid.uuid4().hex[:8]           # marker inside every active-HTML payload
FORMULA = "=cmd|' /C calc'!A0"

# hostile ids: folder names (refused, reported) and one only in the roster (cannot be a folder name)
BAD_FOLDERS = ["-rf", "a*", "=HYPERLINK(\"evil.example\",\"x\")", "with space", "new\nline", ".hidden"]
BAD_ROSTER_ONLY = [".."]

# student -> what is refused (a word of the reason) and what the submission is
LINKS = {
    "link_classmate": ("symbolic link", "01 is a symlink to alice's notebook"),
    "link_source": ("symbolic link", "01 is a symlink to the source notebook (solutions, hidden tests)"),
    "link_gradebook": ("symbolic link", "01 is a symlink to the gradebook"),
    "link_passwd": ("symbolic link", "01 is a symlink to /etc/passwd"),
    "link_devzero": ("symbolic link", "01 is a symlink to /dev/zero"),
    "hardlink": ("hard link", "01 is a hard link to a complete notebook outside submitted/"),
    "fifo": ("FIFO", "01 is a FIFO"),
    "device": ("character device", "01 is a device node (1, 5) = /dev/zero, made with mknod"),
    "directory": ("directory", "01 is a directory"),
    "oversized": ("more than the limit", f"01 is a complete notebook padded past {MAX_NOTEBOOK_MB} MiB"),
    "dir_symlink": ("symbolic link", "submitted/dir_symlink is a symlink to alice's folder"),
    "wi_symlink": ("symbolic link", "submitted/wi_symlink/weight_init is a symlink to alice's"),
}
EXTRA_LINKS = {"gradebook.db": "gradebook", "source.ipynb": "source", "passwd": "passwd",
               "classmate.ipynb": "classmate", "zero": "zero"}
PAYLOAD_FILES = ("initlab.py", "labcheck.py", "ipykernel_launcher.py", "sitecustomize.py", "nbgrader_config.py",
                 "usercustomize.py")


def digest(folder: Path) -> dict:
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for f in filenames:
            p = Path(dirpath) / f
            if p.is_symlink():
                out[str(p.relative_to(folder))] = "link:" + os.readlink(p)
            elif p.is_file():
                out[str(p.relative_to(folder))] = hashlib.sha256(p.read_bytes()).hexdigest()
            else:
                out[str(p.relative_to(folder))] = "special"
    return out


def files_containing(folder: Path, needle: bytes, skip=("__pycache__", ".git", ".venv")) -> list[str]:
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if d not in skip]
        for f in filenames:
            p = Path(dirpath) / f
            try:
                if p.is_file() and not p.is_symlink() and p.stat().st_size < 50_000_000 and needle in p.read_bytes():
                    found.append(str(p))
            except OSError:
                continue
    return found


def _payload(name: str) -> str:
    """Python that, if it ever ran, would leave MARK behind and fake full marks."""
    return (f"import pathlib\npathlib.Path({str(MARK_DIR)!r}, {name!r}).write_text({MARK!r})\n"
            f"def theoretical_std(*a, **k):\n    return 0.125\n"
            f"def check_close(*a, **k):\n    return None\n")


MARK_DIR = Path(tempfile.gettempdir())   # replaced per run


def _xss_notebook(release_nb):
    """The release notebook plus active content in markdown, raw cells and outputs, and a solution
    whose error message (echoed into grades.csv) is a formula, a script and 3 MB long."""
    nb = nbformat.from_dict(release_nb)
    for cell in solution_cells(nb).values():
        if "def theoretical_std" in cell.source:
            cell.source = ("def theoretical_std(method, fan_in, fan_out):\n"
                           f"    raise ValueError({FORMULA!r} + '<script>alert(\"{XSS}-msg\")</script>'"
                           " + 'A' * 3_000_000)\n")
    md = nbformat.v4.new_markdown_cell(
        f"<script>alert('{XSS}-md')</script>\n\n<img src=x onerror=\"alert('{XSS}-img')\">\n\n"
        f"[click](javascript:alert('{XSS}-href'))\n\n<iframe src=\"javascript:alert('{XSS}-iframe')\"></iframe>\n\n"
        f"<a href=\"#\" onclick=\"alert('{XSS}-onclick')\">x</a>\n\n"
        f"<style>body{{background:url(javascript:{XSS})}}</style>")
    raw = nbformat.v4.new_raw_cell(f"<script>alert('{XSS}-raw')</script>", metadata={"raw_mimetype": "text/html"})
    code = nbformat.v4.new_code_cell(
        "import os, sys\n"
        "print('SAFEPATH', sys.flags.safe_path, '' in sys.path, os.getcwd() in sys.path)\n"
        "from IPython.display import HTML, SVG, Javascript, Markdown, display\n"
        f"display(HTML(\"<script>alert('{XSS}-html')</script><b onmouseover=\\\"alert('{XSS}-b')\\\">b</b>\"))\n"
        f"display(Javascript(\"alert('{XSS}-js')\"))\n"
        f"display(Markdown(\"<script>alert('{XSS}-mdout')</script>\"))\n"
        f"display(SVG('<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(\"{XSS}-svg\")</script></svg>'))\n"
        f"display({{'image/png': '\\\"><script>alert(\"{XSS}-png\")</script>'}}, raw=True)\n"
        f"display({{'text/html': '<p>x</p>'}}, metadata={{'filenames': {{'image/png': '../../../gradebook.db'}}}},"
        f" raw=True)\n")
    code.metadata["tags"] = [f"x\" onmouseover=\"alert('{XSS}-tag')"]
    nb.cells[1:1] = [md, raw, code]
    return nb


_CACHE: dict = {}


def _private_course(workdir: Path) -> Workspace:
    """A course view of Part 1 whose source notebook is a private copy (a snapshot: the repository's
    source/ may be edited while the tests run; this copy must come out of grading unchanged)."""
    view = workdir / ".grading" / "course-view"
    (view / "source" / ASSIGNMENT).mkdir(parents=True)
    shutil.copyfile(course_root() / "source" / ASSIGNMENT / f"{NB}.ipynb", view / "source" / ASSIGNMENT / f"{NB}.ipynb")
    (view / "nbgrader_config.py").symlink_to(course_root() / "nbgrader_config.py")
    return Workspace(root=view, workdir=workdir)


def graded_class() -> dict:
    """Build and grade the class once; return what the tests look at."""
    if "result" in _CACHE:
        return _CACHE
    tmp = Path(tempfile.mkdtemp(prefix="labgrade-staging-"))
    atexit.register(shutil.rmtree, tmp, True)
    global MARK_DIR
    MARK_DIR = tmp / "marks"
    MARK_DIR.mkdir()
    workdir = tmp / "course"
    workdir.mkdir()
    ws = _private_course(workdir)
    release = workdir / ".grading" / "sample-release"
    generate_release(ws.root, release)
    src_path = Path(os.path.realpath(ws.root / "source" / ASSIGNMENT / f"{NB}.ipynb"))
    release_nb = nbformat.read(release / ASSIGNMENT / f"{NB}.ipynb", as_version=4)
    source_nb = nbformat.read(src_path, as_version=4)
    complete = complete_notebook(release_nb, source_nb, NB)
    url = default_db_url(ws.workdir)
    outside = tmp / "outside"
    outside.mkdir()

    def folder(student: str) -> Path:
        d = ws.submitted / student / ASSIGNMENT
        d.mkdir(parents=True)
        (d / "timestamp.txt").write_text("2026-12-01 12:00:00.000000 UTC\n")
        return d

    nbformat.write(complete, folder(VICTIM) / f"{NB}.ipynb")
    victim_nb = ws.submission(VICTIM) / f"{NB}.ipynb"
    # links and special files in place of the notebook
    folder("link_classmate")
    (ws.submission("link_classmate") / f"{NB}.ipynb").symlink_to(victim_nb)
    (folder("link_source") / f"{NB}.ipynb").symlink_to(src_path)
    (folder("link_gradebook") / f"{NB}.ipynb").symlink_to(ws.workdir / "gradebook.db")
    (folder("link_passwd") / f"{NB}.ipynb").symlink_to("/etc/passwd")
    (folder("link_devzero") / f"{NB}.ipynb").symlink_to("/dev/zero")
    nbformat.write(complete, outside / "copy.ipynb")
    os.link(outside / "copy.ipynb", folder("hardlink") / f"{NB}.ipynb")
    os.mkfifo(folder("fifo") / f"{NB}.ipynb")
    made_device = True
    try:
        os.mknod(folder("device") / f"{NB}.ipynb", 0o644 | 0o020000, os.makedev(1, 5))
    except PermissionError:          # not root, or no CAP_MKNOD: the FIFO case covers special files
        made_device = False
        (ws.submission("device") / f"{NB}.ipynb").symlink_to("/dev/null")
    (folder("directory") / f"{NB}.ipynb").mkdir()
    big = nbformat.from_dict(complete)
    big.metadata["padding"] = "x" * (MAX_NOTEBOOK_MB * 1024 * 1024 + 1000)
    nbformat.write(big, folder("oversized") / f"{NB}.ipynb")
    (ws.submitted / "dir_symlink").symlink_to(ws.submitted / VICTIM)
    (ws.submitted / "wi_symlink").mkdir()
    (ws.submitted / "wi_symlink" / ASSIGNMENT).symlink_to(ws.submission(VICTIM))
    # a plain release notebook with links, Python files that would shadow modules if they were on
    # sys.path, a package folder and a timestamp.txt that is a link beside it (never copied)
    d = folder("extras")
    nbformat.write(release_nb, d / f"{NB}.ipynb")
    for name, target in EXTRA_LINKS.items():
        (d / name).symlink_to({"gradebook": ws.workdir / "gradebook.db", "source": src_path, "passwd": "/etc/passwd",
                               "classmate": victim_nb, "zero": "/dev/zero"}[target])
    for name in PAYLOAD_FILES:
        (d / name).write_text(_payload(name))
    (d / "initlab").mkdir()
    (d / "initlab" / "__init__.py").write_text(_payload("initlab/__init__.py"))
    (d / "timestamp.txt").unlink()
    (d / "timestamp.txt").symlink_to(ws.submission(VICTIM) / "timestamp.txt")
    # active content and formula/script/huge messages
    nbformat.write(_xss_notebook(release_nb), folder("xss") / f"{NB}.ipynb")
    # hostile ids, each with a complete notebook
    for bad in BAD_FOLDERS:
        nbformat.write(complete, folder(bad) / f"{NB}.ipynb")

    hostile = [*LINKS, "extras", "xss"]
    roster = [VICTIM, *hostile, *submitted_names_bad(ws), *BAD_ROSTER_ONLY]
    before = {"source": digest(src_path.parent), "submitted": digest(ws.submitted),
              "outside": digest(outside), "release": digest(release)}
    settings = load_settings().with_overrides(cell_timeout=20, student_timeout=120, isolation="none",
                                              max_notebook_mb=MAX_NOTEBOOK_MB)
    t0 = time.monotonic()
    result = run(ws, url, roster, settings, jobs=2, feedback=True, report=True, quiet=True,
                 resettable=set(roster))
    seconds = time.monotonic() - t0
    db = sqlite3.connect(ws.workdir / "gradebook.db")
    try:
        gb_students = {r[0] for r in db.execute("select id from student")}
    finally:
        db.close()
    points = {(r.student, r.grade_id): (r.points, r.max_points) for r in result["rows"]}
    _CACHE.update({
        "ws": ws, "result": result, "seconds": seconds, "points": points, "roster": roster,
        "hostile": hostile, "before": before, "src_dir": src_path.parent, "outside": outside,
        "release": release, "made_device": made_device, "gb_students": gb_students, "tmp": tmp,
        "solution_lines": _solution_lines(source_nb, release_nb),
    })
    return _CACHE


def submitted_names_bad(ws) -> list[str]:
    """The invalid folder names, as labgrade's roster lists them (os.scandir, not a glob)."""
    names = submitted_names(ws)
    return [n for n in names if n in BAD_FOLDERS]


def _solution_lines(source_nb, release_nb) -> tuple[list[str], list[str]]:
    """Lines of the source's solution regions, and of its hidden tests, that the release does not contain."""
    rel = "\n".join(c.source for c in release_nb.cells)
    solutions, hidden = [], []
    for c in source_nb.cells:
        where = None
        for line in c.source.splitlines():
            t = line.strip()
            if t.startswith("### BEGIN"):
                where = solutions if "SOLUTION" in t else hidden
                continue
            if t.startswith("### END"):
                where = None
                continue
            if where is not None and len(t) >= 25 and t not in rel:
                where.append(t)
    return solutions, hidden


def repo_root() -> Path:
    return course_root()
