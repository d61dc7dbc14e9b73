"""Build the generated folders from ``source/`` (the one copy anyone edits).

* ``release/weight_init/``: the student version, by ``nbgrader generate_assignment``;
* ``notebooks/``: the complete lab for reading, solutions in place, hidden tests
  and nbgrader markers removed, executed with outputs and figures stored.

``labgrade release`` (make release) writes both; ``--check`` rebuilds into a temporary
folder and fails (exit 1) when a committed file differs: release notebooks are
compared whole, rendered notebooks with their outputs set aside (nbval checks
that the stored outputs reproduce).
"""

from __future__ import annotations

import copy
import filecmp
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from labgrade.course.paths import ASSIGNMENT, course_root, tool_env
from labgrade.course.regions import SOLUTION, without_hidden_tests, without_markers
from labgrade.course.schema import create_gradebook


def source_notebooks(root: Path) -> list[Path]:
    return sorted((root / "source" / ASSIGNMENT).glob("[0-9][0-9]_*.ipynb"))


def generate_release(root: Path, release_dir: Path) -> None:
    """Run nbgrader generate_assignment into ``release_dir``/weight_init."""
    with tempfile.TemporaryDirectory() as tmp:
        create_gradebook(f"sqlite:///{tmp}/gradebook.db")     # here: nbgrader would run `alembic heads`
        cmd = [
            sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT, "--force",
            f"--CourseDirectory.root={root}",
            f"--CourseDirectory.release_directory={release_dir}",
            f"--CourseDirectory.db_url=sqlite:///{tmp}/gradebook.db",
            "--log-level=WARN",
        ]
        subprocess.run(cmd, cwd=root, check=True, env=tool_env())
    # nbgrader copies every file of source/<assignment>; keep only what students get
    for junk in (release_dir / ASSIGNMENT).rglob(".ipynb_checkpoints"):
        shutil.rmtree(junk)


def render_cell_source(cell) -> str:
    return without_markers(without_hidden_tests(cell.source), SOLUTION).rstrip("\n")


def render_notebook(src_path: Path) -> nbformat.NotebookNode:
    """The reading version of a source notebook, not yet executed."""
    nb = nbformat.read(src_path, as_version=4)
    out = copy.deepcopy(nb)
    for cell in out.cells:
        meta = cell.metadata.pop("nbgrader", None)
        cell.source = render_cell_source(cell)
        if meta and meta.get("grade") and meta.get("solution") and cell.cell_type == "markdown":
            cell.source = "**Model answer.**\n\n" + cell.source
        cell.metadata.pop("deletable", None)
        cell.metadata.pop("editable", None)
    return out


def execute(nb: nbformat.NotebookNode, cwd: Path) -> nbformat.NotebookNode:
    from nbclient import NotebookClient  # nbclient starts kernels: loaded only by the commands that execute notebooks

    # coalesce_streams: one output per stream of a cell, however the kernel happened to flush it, so
    # that regenerating notebooks/ changes nothing unless what the notebook prints changes
    client = NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=False, coalesce_streams=True,
                            resources={"metadata": {"path": str(cwd)}})
    client.execute()
    nb.metadata.pop("widgets", None)
    return nb


def build_notebooks(root: Path, out_dir: Path, *, run: bool = True) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("[0-9][0-9]_*.ipynb"):
        old.unlink()
    for path in source_notebooks(root):
        nb = render_notebook(path)
        if run:
            print(f"executing {path.name}", flush=True)
            nb = execute(nb, out_dir)
        nbformat.write(nb, out_dir / path.name)


def _strip_outputs(nb: dict) -> dict:
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    nb["metadata"].pop("language_info", None)
    return nb


def check(root: Path) -> list[str]:
    """Return the stale or missing generated files (empty when all is in sync)."""
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        generate_release(root, tmp / "release")
        fresh, committed = tmp / "release" / ASSIGNMENT, root / "release" / ASSIGNMENT
        names = {p.name for p in fresh.iterdir()} | (
            {p.name for p in committed.iterdir()} if committed.is_dir() else set())
        for name in sorted(names):
            a, b = fresh / name, committed / name
            if not b.exists():
                problems.append(f"release/{ASSIGNMENT}/{name} is missing")
            elif not a.exists():
                problems.append(f"release/{ASSIGNMENT}/{name} has no source")
            elif not filecmp.cmp(a, b, shallow=False):
                problems.append(f"release/{ASSIGNMENT}/{name} is stale")
        for path in source_notebooks(root):
            target = root / "notebooks" / path.name
            if not target.exists():
                problems.append(f"notebooks/{path.name} is missing")
                continue
            want = _strip_outputs(json.loads(nbformat.writes(render_notebook(path))))
            have = _strip_outputs(json.loads(target.read_text()))
            if want != have:
                problems.append(f"notebooks/{path.name} is stale")
        extra = {p.name for p in (root / "notebooks").glob("[0-9][0-9]_*.ipynb")} - {
            p.name for p in source_notebooks(root)}
        problems += [f"notebooks/{name} has no source" for name in sorted(extra)]
    return problems



def add_arguments(parser) -> None:
    """The options of this module's ``labgrade`` subcommand."""
    parser.add_argument("--check", action="store_true", help="fail if release/ or notebooks/ are stale")
    parser.add_argument("--no-execute", action="store_true", help="render notebooks/ without running them")


def command(args) -> int:
    root = course_root()
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    if args.check:
        problems = check(root)
        for p in problems:
            print(p)
        if problems:
            print("Run `make release` and commit release/ and notebooks/.")
            return 1
        print("release/ and notebooks/ are in sync with source/.")
        return 0
    generate_release(root, root / "release")
    print(f"wrote release/{ASSIGNMENT}/")
    build_notebooks(root, root / "notebooks", run=not args.no_execute)
    print("wrote notebooks/")
    return 0
