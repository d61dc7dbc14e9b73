"""The student bundle (packaging/student_bundle.py, `make student-bundle`): what a course hands students.

It is built once into a temporary folder, then:

* scanned, every file and every member of its wheels and zip, for any line of a solution or a hidden
  test of source/weight_init (the line as written and as escaped inside a notebook's JSON);
* checked to hold no grader (no labgrade module, no answer catalogue) and, in its wheels, exactly
  the files of lib/initlab and lib/labcheck;
* unzipped outside the repository and started with its launcher (PYTHONPATH empty), which creates a
  fresh venv, installs the bundle there and starts JupyterLab serving weight_init/; then every
  release notebook run in that venv's kernel as a student's first Run All does (slow):
  every import of every cell resolves in that venv (each imported name too), initlab and labcheck
  come from the venv, every cell above the notebook's first exercise runs without error, and the run
  stops at an exercise left undone (NotImplementedError), never at an import or a missing name.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "source" / "weight_init"
RELEASE = ROOT / "release" / "weight_init"
REGION = re.compile(r"^[ \t]*### BEGIN (SOLUTION|HIDDEN TESTS)[^\n]*\n(.*?)^[ \t]*### END \1", re.S | re.M)
MIN_LINE = 12  # shorter lines ("return x", "else:") say nothing about an answer


def notebook_text(path: Path) -> str:
    nb = json.loads(path.read_text())
    return "\n".join("".join(c["source"]) for c in nb["cells"])


def secret_lines() -> set[str]:
    """Lines of the source notebooks' solution and hidden-test regions (and of their markdown model
    answers) that students must never see: all but the short ones, those the release shows anyway
    (a solution region's text that is also the exercise's scaffold), and those of initlab's and
    labcheck's own code, which the notebooks import and the bundle ships by design."""
    lines = set()
    for path in sorted(SOURCE.glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            src = "".join(cell["source"])
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell["cell_type"] == "markdown" and meta.get("solution"):
                lines.update(src.splitlines())
            for m in REGION.finditer(src):
                lines.update(m.group(2).splitlines())
    public = "\n".join(notebook_text(p) for p in RELEASE.glob("*.ipynb"))
    public += "\n".join(p.read_text() for pkg in ("initlab", "labcheck") for p in (ROOT / "lib" / pkg).rglob("*.py"))
    return {s for s in (line.strip() for line in lines) if len(s) >= MIN_LINE and s not in public}


def bundle_texts(root: Path):
    """(name, text) of every file under root, recursing into zip archives (wheels included)."""

    def walk_zip(name, data):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for member in zf.namelist():
                yield from one(f"{name}!{member}", zf.read(member))

    def one(name, data):
        if data[:4] == b"PK\x03\x04":
            yield from walk_zip(name, data)
        else:
            yield name, data.decode("utf-8", errors="replace")

    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        yield from one(str(path.relative_to(root)), path.read_bytes())


def scan(root: Path, secrets: set[str]) -> list[tuple[str, str]]:
    """Every (file, secret line) found in the bundle."""
    needles = [(s, json.dumps(s)[1:-1]) for s in secrets]
    return [(name, s) for name, text in bundle_texts(root) for s, escaped in needles
            if s in text or escaped in text]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle") / "student-bundle"
    subprocess.run([sys.executable, str(ROOT / "packaging" / "student_bundle.py"), "--out", str(out)],
                   check=True, cwd=out.parent)
    return out


def test_bundle_holds_the_release_wheels_guide_and_launcher(bundle):
    names = {str(p.relative_to(bundle)) for p in bundle.rglob("*") if p.is_file()}
    assert {f"weight_init/{p.name}" for p in RELEASE.glob("*.ipynb")} <= names
    for nb in RELEASE.glob("*.ipynb"):
        assert (bundle / "weight_init" / nb.name).read_bytes() == nb.read_bytes()
    assert {"README.md", "GUIDE.md", "requirements.txt", "start-lab.py", "start-lab.sh", "start-lab.bat"} <= names
    wheels = sorted(p.name.split("-")[0] for p in (bundle / "wheels").glob("*.whl"))
    assert wheels == ["initlab", "labcheck"]
    assert (bundle.parent / "student-bundle.zip").is_file()
    # the guide's links work offline: web links, in-page anchors and files of the bundle only
    for target in re.findall(r"\]\(([^)\s]+)\)", (bundle / "GUIDE.md").read_text()):
        assert re.match(r"[a-z]+:|#", target) or (bundle / target.split("#")[0]).exists(), target


def test_bundle_has_no_grader_and_wheels_hold_only_the_student_packages(bundle):
    everything = [name for name, _ in bundle_texts(bundle.parent)]
    assert not [n for n in everything if re.search(r"(^|[/!])labgrade([/.]|$)", n)]
    assert not [n for n in everything if re.search(r"(^|[/!])(answers|catalogue|mutations)\.py$", n)]
    assert not [n for n in everything if "source/" in n or "tests/" in n]
    for wheel in (bundle / "wheels").glob("*.whl"):
        pkg = wheel.name.split("-")[0]
        with zipfile.ZipFile(wheel) as zf:
            files = {n for n in zf.namelist() if ".dist-info/" not in n}
            assert files == {f"{pkg}/{p.relative_to(ROOT / 'lib' / pkg)}"
                             for p in (ROOT / "lib" / pkg).rglob("*.py")}, wheel.name
            for name in files:
                assert zf.read(name) == (ROOT / "lib" / name).read_bytes(), name


def test_bundle_holds_no_solution_or_hidden_test_line(bundle):
    secrets = secret_lines()
    assert len(secrets) > 500  # the regions were found
    found = scan(bundle.parent, secrets)
    assert not found, "\n".join(f"{name}: {line}" for name, line in found[:20])


def test_the_scan_finds_a_solution_line_in_a_wheel_and_in_a_notebook(bundle, tmp_path):
    secret = sorted(secret_lines())[0]
    copy = tmp_path / "student-bundle"
    copy.mkdir()
    wheel = next((bundle / "wheels").glob("initlab-*.whl"))
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(copy / wheel.name, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "initlab/fans.py":
                data += f"\n# {secret}\n".encode()
            dst.writestr(item, data)
    nb = json.loads((RELEASE / "02_initialization_strategies.ipynb").read_text())
    nb["cells"][0]["source"].append("\n" + secret)
    (copy / "02.ipynb").write_text(json.dumps(nb))
    assert {name for name, _ in scan(copy, {secret})} == {f"{wheel.name}!initlab/fans.py", "02.ipynb"}


RUNNER = textwrap.dedent('''
    import ast, importlib, json
    from pathlib import Path
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    report = {}
    for path in sorted(Path.cwd().glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        missing = []
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            code = "\\n".join(l for l in cell.source.splitlines() if not l.lstrip().startswith(("%", "!")))
            for node in ast.walk(ast.parse(code)):
                names = []
                if isinstance(node, ast.Import):
                    names = [(a.name, None) for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = [(node.module, a.name) for a in node.names if a.name != "*"]
                for module, name in names:
                    try:
                        mod = importlib.import_module(module)
                    except ImportError as exc:
                        missing.append(f"{module}: {exc}")
                        continue
                    if name and not hasattr(mod, name):
                        try:
                            importlib.import_module(f"{module}.{name}")
                        except ImportError:
                            missing.append(f"{module}.{name}")
        # Run All: stops at the first cell that fails
        failed = None
        try:
            NotebookClient(nb, timeout=300, kernel_name="python3").execute()
        except CellExecutionError as exc:
            failed = exc.ename
        code_cells = [c for c in nb.cells if c.cell_type == "code"]
        ran = [i for i, c in enumerate(code_cells) if c.get("execution_count")]
        errors = [i for i, c in enumerate(code_cells) if any(o.output_type == "error" for o in c.outputs)]
        solutions = [i for i, c in enumerate(code_cells) if c.metadata.get("nbgrader", {}).get("solution")]
        report[path.name] = {"missing": missing, "failed": failed, "error_cell": errors[0] if errors else None,
                             "first_exercise": solutions[0] if solutions else None, "ran": len(ran),
                             "cells": len(code_cells)}
    report["where"] = {m: importlib.import_module(m).__file__ for m in ("initlab", "labcheck")}
    report["labgrade"] = importlib.util.find_spec("labgrade") is not None
    print(json.dumps(report))
''')


@pytest.mark.slow
def test_fresh_venv_installs_the_bundle_and_runs_every_release_notebook(bundle, tmp_path):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "JUPYTER", "VIRTUAL_ENV", "PIP_TARGET", "IPYTHON"))}
    # a home of its own for Jupyter's settings and runtime files (the pip cache stays shared)
    env.update(JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"), JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter-rt"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "lab-settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "lab-workspaces"))
    work = tmp_path / "student"
    work.mkdir()
    # the student's steps (README.md): unzip outside the repository, run the launcher; it creates
    # .venv/, installs requirements.txt and starts JupyterLab on weight_init/
    with zipfile.ZipFile(bundle.parent / "student-bundle.zip") as zf:
        zf.extractall(work)
    here = work / "student-bundle"
    assert ROOT not in here.parents
    root_only = ["--allow-root"] if os.geteuid() == 0 else []  # CI runs as root; Jupyter refuses without it
    lab = subprocess.Popen([sys.executable, "start-lab.py", "--no-browser", *root_only], cwd=here, env=env, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(lab.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 1200
        while not any(re.search(r"http://(127\.0\.0\.1|localhost):\d+/lab\?token=", line) for line in lines):
            assert lab.poll() is None, "".join(lines)[-3000:]
            assert time.monotonic() < deadline, "".join(lines)[-3000:]
            time.sleep(1)
        url = next(m.group(0) for line in lines
                   if (m := re.search(r"http://(127\.0\.0\.1|localhost):\d+/", line)))
        token = next(m.group(1) for line in lines if (m := re.search(r"token=(\w+)", line)))
        with urllib.request.urlopen(f"{url}api/contents/02_initialization_strategies.ipynb?content=0&token={token}",
                                    timeout=30) as response:
            assert json.load(response)["name"] == "02_initialization_strategies.ipynb"  # served from weight_init/
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(lab.pid, signal.SIGTERM)
        lab.wait(timeout=60)
    py = here / ".venv" / "bin" / "python"
    env["PATH"] = f"{here / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["MPLBACKEND"] = "Agg"
    (tmp_path / "runner.py").write_text(RUNNER)
    done = subprocess.run([str(py), str(tmp_path / "runner.py")], cwd=here / "weight_init", env=env,
                          capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])

    assert not report.pop("labgrade")
    for module, origin in report.pop("where").items():
        assert origin.startswith(str(here / ".venv")), (module, origin)
    assert sorted(report) == sorted(p.name for p in RELEASE.glob("*.ipynb"))
    for name, nb in report.items():
        assert not nb["missing"], (name, nb["missing"])
        # every cell above the first exercise runs; Run All then stops at an exercise left undone
        assert nb["first_exercise"] is not None and nb["error_cell"] is not None, (name, nb)
        assert nb["failed"] == "NotImplementedError", (name, nb)
        assert nb["error_cell"] >= nb["first_exercise"], (name, nb)
