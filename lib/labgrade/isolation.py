"""Isolated grading (``isolation = "judge"``): nbgrader preprocessors around the judge.

Switched on by ``LABGRADE_ISOLATION=judge`` in the environment of ``nbgrader autograde``,
which labgrade sets from ``course.toml`` ``[grading] isolation`` (``"judge"`` by default;
:meth:`labgrade.config.Settings.kernel_env`); ``nbgrader_config.py`` then calls
:func:`configure`:

* :class:`JudgeNotebook` (first sanitize preprocessor) rebuilds the notebook to run
  from the **source** notebook: every cell but the solutions is the instructor's
  (the test cells with their hidden tests, as nbgrader's OverwriteCells would put
  them back, and also the unlocked plain cells); each code solution cell becomes
  ``%%student <names>`` + the student's code (:mod:`labgrade.judge`), cells the
  student added run in the worker only. What the student changed in test cells
  (edited, deleted, duplicated, re-typed, metadata) is recorded as a flag.
* the kernel loads :mod:`labgrade.judge` (``--IPKernelApp.extensions``);
* :class:`FinishJudge` (right after Execute) puts the student's own source back in
  the solution cells (feedback shows what they wrote) and stores the flags in the
  notebook's metadata (``metadata.labgrade.flags``), read by :func:`notebook_flags`.
"""

from __future__ import annotations

import copy
import json
import os
import re
import tempfile
from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor

from . import judge

ENV = "LABGRADE_ISOLATION"
FLAGS_DIR_ENV = "LABGRADE_FLAGS_DIR"    # set by labgrade's runner: <workdir>/.grading/flags/<student>/
HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?", re.S | re.M)
_META_KEYS = ("grade", "solution", "locked", "points", "task")
_STATE: dict = {}   # from JudgeNotebook to FinishJudge (one notebook at a time, in nbgrader's process)


def enabled() -> bool:
    return os.environ.get(ENV, "") == "judge"


def configure(c) -> None:
    """Add the judge to nbgrader's autograde (called from nbgrader_config.py)."""
    from nbgrader.converters.autograde import Autograde

    traits = Autograde.class_traits()
    sanitize = list(traits["sanitize_preprocessors"].default())
    auto = list(traits["autograde_preprocessors"].default())
    c.Autograde.sanitize_preprocessors = [JudgeNotebook, *sanitize]
    # after nbconvert's ClearMetadataPreprocessor (which would drop metadata.labgrade)
    i = max(k for k, p in enumerate(auto) if p.__name__ in ("Execute", "ClearMetadataPreprocessor"))
    c.Autograde.autograde_preprocessors = [*auto[: i + 1], FinishJudge, *auto[i + 1:]]
    c.Execute.extra_arguments = ["--IPKernelApp.extensions=labgrade.judge"]


def visible_source(text: str) -> str:
    """A test cell as students receive it: hidden tests removed (as nbgrader's ClearHiddenTests)."""
    return HIDDEN.sub("", text)


def _nbmeta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _defined_names(code: str) -> list[str]:
    import ast

    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))]


def tamper_flags(student_nb, source_nb) -> list[str]:
    """What the student changed in the test cells and the nbgrader metadata."""
    flags = []
    by_id: dict[str, list] = {}
    for cell in student_nb.cells:
        gid = _nbmeta(cell).get("grade_id")
        if gid:
            by_id.setdefault(gid, []).append(cell)
    source_ids = set()
    for cell in source_nb.cells:
        meta = _nbmeta(cell)
        gid = meta.get("grade_id")
        if not gid:
            continue
        source_ids.add(gid)
        found = by_id.get(gid, [])
        if not found:
            flags.append(f"tamper: cell {gid} was deleted (or its nbgrader metadata removed)")
            continue
        if len(found) > 1:
            flags.append(f"tamper: cell {gid} appears {len(found)} times")
        sub = found[0]
        if sub.cell_type != cell.cell_type:
            flags.append(f"tamper: cell {gid} was changed from {cell.cell_type} to {sub.cell_type}")
        smeta = _nbmeta(sub)
        changed = [k for k in _META_KEYS if smeta.get(k) != meta.get(k) and not (k == "task" and not smeta.get(k)
                                                                                  and not meta.get(k))]
        if changed:
            flags.append(f"tamper: nbgrader metadata of cell {gid} changed ({', '.join(changed)})")
        if meta.get("grade") and not meta.get("solution") and \
                visible_source(cell.source).strip() != sub.source.strip():
            flags.append(f"tamper: test cell {gid} was edited")
    for gid in sorted(set(by_id) - source_ids):
        flags.append(f"tamper: unknown nbgrader cell {gid}")
    return flags


def judge_notebook(student_nb, source_nb):
    """The notebook the judge runs: the source's cells, the student's solutions through ``%%student``."""
    out = copy.deepcopy(source_nb)
    source_ids = {c.get("id") for c in source_nb.cells}
    sol: dict[str, object] = {}
    before: dict[str, list[str]] = {}
    pending: list[str] = []
    for cell in student_nb.cells:
        meta = _nbmeta(cell)
        gid = meta.get("grade_id")
        if gid and meta.get("solution"):
            if gid not in sol:
                sol[gid] = cell
                before[gid], pending = pending, []
        elif cell.cell_type == "code" and not gid and cell.get("id") not in source_ids and cell.source.strip():
            pending.append(cell.source)
    cells = []
    for cell in out.cells:
        meta = _nbmeta(cell)
        gid = meta.get("grade_id")
        if not (gid and meta.get("solution")):
            cells.append(cell)
            continue
        sub = sol.get(gid)
        if cell.cell_type == "markdown":
            if sub is not None and sub.cell_type == "markdown":
                cell.source = sub.source
            cells.append(cell)
            continue
        for k, extra in enumerate(before.get(gid, [])):
            cells.append(nbformat.v4.new_code_cell("%%student\n" + extra, id=f"{cell.get('id', gid)}-x{k}"))
        code = sub.source if sub is not None and sub.cell_type == "code" else "raise NotImplementedError()"
        names = _defined_names(cell.source)
        _STATE["sources"][gid] = code
        cell.source = f"%%student {' '.join(names)}\n{code}"
        cells.append(cell)
    out.cells = cells
    return out


class JudgeNotebook(Preprocessor):
    """Rebuild the submitted notebook from the source notebook (first sanitize preprocessor)."""

    enabled = True

    def preprocess(self, nb, resources):
        info = resources.get("nbgrader", {})
        name, assignment = info.get("notebook"), info.get("assignment")
        cd = self.config.get("CourseDirectory", {})
        root = Path(cd.get("root") or os.getcwd())
        source_dir = Path(cd.get("source_directory") or "source")
        if not source_dir.is_absolute():
            source_dir = root / source_dir
        source_nb = nbformat.read(source_dir / assignment / f"{name}.ipynb", as_version=4)
        flags = tamper_flags(nb, source_nb)
        _STATE["sources"] = {}
        new = judge_notebook(nb, source_nb)
        new.metadata = nb.metadata
        # the flags file outlives a notebook whose kernel dies (no FinishJudge then): labgrade's
        # runner names a folder of its own for it, read by flags_of
        flags_dir = os.environ.get(FLAGS_DIR_ENV)
        if flags_dir:
            Path(flags_dir).mkdir(parents=True, exist_ok=True)
            path = str(Path(flags_dir) / f"{name}.jsonl")
        else:
            fd, path = tempfile.mkstemp(prefix=f"labgrade-flags-{name}-", suffix=".jsonl")
            os.close(fd)
        with open(path, "w") as fh:
            for text in flags:
                fh.write(json.dumps({"kind": "", "text": text}) + "\n")
        os.environ[judge.FLAGS_ENV] = path
        timeout = self.config.get("Execute", {}).get("timeout")
        if timeout:
            # a little under nbgrader's cell timeout: the judge stops the worker first and says so
            os.environ[judge.TIMEOUT_ENV] = str(max(1.0, 0.9 * float(timeout) - 1))
        db = str(cd.get("db_url") or "")
        protected = [str(root), str(source_dir), str(Path(__file__).resolve().parents[2])]
        if db.startswith("sqlite:///"):
            protected.append(db[len("sqlite:///"):])
        os.environ["LABGRADE_PROTECTED"] = os.pathsep.join(protected)
        return new, resources


class FinishJudge(Preprocessor):
    """After Execute: the student's source back in place, the judge's flags into the metadata."""

    enabled = True

    def preprocess(self, nb, resources):
        sources = _STATE.pop("sources", {})
        for cell in nb.cells:
            meta = _nbmeta(cell)
            if meta.get("solution") and meta.get("grade_id") in sources and cell.cell_type == "code":
                cell.source = sources[meta["grade_id"]]
        path = os.environ.pop(judge.FLAGS_ENV, None)
        flags = read_flag_file(Path(path)) if path else []
        if path:
            Path(path).unlink(missing_ok=True)
        nb.metadata["labgrade"] = {"isolation": "judge", "flags": flags[:30]}
        return nb, resources


def read_flag_file(path: Path) -> list[str]:
    """The flags in a judge's JSON-lines file ("kind: text", first occurrence of each, at most 30)."""
    flags: list[str] = []
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        return flags
    for line in lines:
        try:
            rec = json.loads(line)
            kind, text = str(rec["kind"]), str(rec["text"])
        except Exception:
            continue
        if kind not in ("", "worker"):
            text = f"{kind}: {text}"
        if text not in flags:
            flags.append(text)
    return flags[:30]


def notebook_flags(path: Path) -> list[str]:
    """The flags stored in an autograded notebook (empty if none or not graded in judge mode)."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:
        return []
    flags = nb.metadata.get("labgrade", {}).get("flags", [])
    return [str(f) for f in flags] if isinstance(flags, list) else []


def flags_of(autograded_dir: Path, flags_dir: Path, notebook: str) -> list[str]:
    """The flags of one graded notebook: from its autograded copy, or, when its kernel died and
    no copy was written, from the judge's file left in ``flags_dir``
    (:meth:`labgrade.runner.Workspace.flags_dir`, emptied before each student's grading)."""
    path = Path(autograded_dir) / f"{notebook}.ipynb"
    if path.exists():
        return notebook_flags(path)
    return read_flag_file(Path(flags_dir) / f"{notebook}.jsonl")


def student_flags(autograded_dir: Path, flags_dir: Path) -> dict[str, list[str]]:
    """notebook -> flags, for one student (notebooks without flags left out)."""
    names = {p.stem for p in Path(autograded_dir).glob("*.ipynb")} | {p.stem for p in Path(flags_dir).glob("*.jsonl")}
    return {nb: f for nb in sorted(names) if (f := flags_of(autograded_dir, flags_dir, nb))}
