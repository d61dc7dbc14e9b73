"""Isolated grading (``isolation = "judge"``): nbgrader preprocessors around the judge.

Switched on by ``LABGRADE_ISOLATION=judge`` in the environment of ``nbgrader autograde``,
which labgrade sets from ``course.toml`` ``[grading] isolation`` (``"judge"`` by default;
:meth:`labgrade.course.config.Settings.kernel_env`); ``nbgrader_config.py`` then calls
:func:`configure`:

* :class:`JudgeNotebook` (first sanitize preprocessor) rebuilds the notebook to run
  from the **source** notebook: every cell but the solutions is the instructor's
  (the test cells with their hidden tests, as nbgrader's OverwriteCells would put
  them back, and also the unlocked plain cells); each code solution cell becomes
  ``%%student <names>`` + the student's code (:mod:`labgrade.sandbox.judge`), cells the
  student added run in the worker only. What the student changed in test cells
  (edited, deleted, duplicated, re-typed, metadata) is recorded as a flag.
* the kernel loads :mod:`labgrade.sandbox.judge` (``--IPKernelApp.extensions``);
* :class:`FinishJudge` (right after Execute) puts the student's own source back in
  the solution cells (feedback shows what they wrote) and stores the flags in the
  notebook's metadata (``metadata.labgrade.flags``), read by :func:`notebook_flags`.
"""

from __future__ import annotations

import ast
import copy
import json
import os
import tempfile
from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor

from labgrade.course.regions import without_hidden_tests
from labgrade.sandbox import judge

ENV = "LABGRADE_ISOLATION"
FLAGS_DIR_ENV = "LABGRADE_FLAGS_DIR"    # set by labgrade's runner: <workdir>/.grading/flags/<student>/
_META_KEYS = ("grade", "solution", "locked", "points", "task")
_STATE: dict = {}   # from JudgeNotebook to FinishJudge (one notebook at a time, in nbgrader's process)


def enabled() -> bool:
    return os.environ.get(ENV, "") == "judge"


def configure(c) -> None:
    """Add the judge to nbgrader's autograde (called from nbgrader_config.py)."""
    from nbgrader.converters.autograde import Autograde  # nbgrader loads ~1300 modules

    traits = Autograde.class_traits()
    sanitize = list(traits["sanitize_preprocessors"].default())
    auto = list(traits["autograde_preprocessors"].default())
    c.Autograde.sanitize_preprocessors = [JudgeNotebook, *sanitize]
    # after nbconvert's ClearMetadataPreprocessor (which would drop metadata.labgrade)
    i = max(k for k, p in enumerate(auto) if p.__name__ in ("Execute", "ClearMetadataPreprocessor"))
    c.Autograde.autograde_preprocessors = [ArmJudge, *auto[: i + 1], FinishJudge, *auto[i + 1:]]
    c.Execute.extra_arguments = ["--IPKernelApp.extensions=labgrade.sandbox.judge"]


def visible_source(text: str) -> str:
    """A test cell as students receive it: hidden tests removed (as nbgrader's ClearHiddenTests)."""
    return without_hidden_tests(text)


def _nbmeta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _defined_names(code: str) -> list[str]:

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


def _key(cell) -> str | None:
    return _nbmeta(cell).get("grade_id") or cell.get("id")


def judge_notebook(student_nb, source_nb):
    """The notebook the judge runs and the plan of what its worker runs.

    Every cell of the source appears once, in the source's order, marked (``metadata.labgrade``)
    for :class:`ArmJudge`: ``student`` for a solution (the student's code as the body; proxies for
    the names the source solution defines), ``test`` for a test cell (the source's, hidden tests
    included), ``mirror`` for any other code cell (the source's as the body; the student's version,
    or nothing if they deleted it, in the returned plan). Cells the student added come right after
    the cell they follow in the student's notebook, as ``student`` cells with no names.
    Returns ``(notebook, plan, sources)``: plan maps a mirror key to the student's code, sources a
    solution's grade_id to the student's code (put back by :class:`FinishJudge`).
    """
    out = copy.deepcopy(source_nb)
    keys = {_key(c) for c in source_nb.cells}
    matched: dict[str, object] = {}
    added: dict[str | None, list] = {}
    anchor = None
    for cell in student_nb.cells:
        k = _key(cell)
        if k in keys and k not in matched:
            matched[k] = cell
            anchor = k
        elif cell.cell_type in ("code", "markdown") and cell.source.strip():
            added.setdefault(anchor, []).append(cell)
    plan: dict[str, str] = {}
    sources: dict[str, str] = {}
    cells = []
    n_added = 0

    def emit_added(after):
        nonlocal n_added
        for extra in added.get(after, []):
            n_added += 1
            if extra.cell_type == "markdown":
                cells.append(nbformat.v4.new_markdown_cell(extra.source, id=f"lg-added-{n_added}"))
                continue
            new = nbformat.v4.new_code_cell(extra.source, id=f"lg-added-{n_added}")
            new.metadata["labgrade"] = {"kind": "student", "key": f"added-{n_added}", "names": []}
            cells.append(new)

    emit_added(None)
    for cell in out.cells:
        meta = _nbmeta(cell)
        k = _key(cell)
        sub = matched.get(k)
        if cell.cell_type == "markdown":
            if meta.get("solution") and sub is not None and sub.cell_type == "markdown":
                cell.source = sub.source
        elif meta.get("solution"):
            code = sub.source if sub is not None and sub.cell_type == "code" else "raise NotImplementedError()"
            sources[meta.get("grade_id")] = code
            cell.metadata["labgrade"] = {"kind": "student", "key": meta.get("grade_id"),
                                         "names": _defined_names(cell.source)}
            cell.source = code
        elif meta.get("grade"):
            cell.metadata["labgrade"] = {"kind": "test", "key": meta.get("grade_id"), "names": []}
        elif cell.cell_type == "code":
            mkey = f"m{len(plan)}"
            plan[mkey] = sub.source if sub is not None and sub.cell_type == "code" else ""
            cell.metadata["labgrade"] = {"kind": "mirror", "key": mkey, "names": []}
        cells.append(cell)
        emit_added(k)
    out.cells = cells
    prune_mirrors(cells)
    return out, plan, sources


# --- which of the instructor's plain cells the judge itself must run ------------------------------------

_GLOBAL_RNG = {"seed", "rand", "randn", "random", "randint", "normal", "uniform", "standard_normal", "choice",
               "shuffle", "permutation", "random_sample", "set_state", "binomial", "poisson", "exponential"}
_DYNAMIC = {"exec", "eval", "globals", "vars", "locals", "__import__", "get_ipython"}


def _stores(node) -> set[str]:
    out = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            out.add(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(n.name)
        elif isinstance(n, ast.arg):
            out.add(n.arg)
    return out


def _base(node):
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _cell_names(code: str):
    """(names it may change, names it reads from earlier cells, module aliases it imports, whether it
    draws from a global random state, whether it must run anyway) for one cell; None if it is not
    plain Python (magics). Changing a name includes assigning it, assigning into it
    (``x[0] = ...``, ``x.a = ...``), calling a method of it (``rng.normal()``, ``h.append()``) and
    passing it to a call (which may mutate it)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    changes, reads, modules, rng, dynamic = set(), set(), set(), False, False
    bound: set[str] = set()
    for stmt in tree.body:
        stores = _stores(stmt)
        loads = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        loads |= {n.target.id for n in ast.walk(stmt) if isinstance(n, ast.AugAssign)
                  and isinstance(n.target, ast.Name)}
        reads |= loads - bound - (stores - {n.target.id for n in ast.walk(stmt) if isinstance(n, ast.AugAssign)
                                            and isinstance(n.target, ast.Name)})
        changes |= stores
        for n in ast.walk(stmt):
            if isinstance(n, (ast.Attribute, ast.Subscript)) and isinstance(n.ctx, (ast.Store, ast.Del)):
                if (b := _base(n)) is not None:
                    changes.add(b)
            elif isinstance(n, ast.Call):
                if isinstance(n.func, ast.Attribute) and (b := _base(n.func.value)) is not None:
                    changes.add(b)
                for a in [*n.args, *(k.value for k in n.keywords)]:
                    if (b := _base(a.value if isinstance(a, ast.Starred) else a)) is not None:
                        changes.add(b)
                if isinstance(n.func, ast.Name) and n.func.id in _DYNAMIC:
                    dynamic = True
            elif isinstance(n, (ast.Import, ast.ImportFrom)):
                for a in n.names:
                    modules.add((a.asname or a.name).split(".")[0])
                if isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names):
                    dynamic = True
            elif isinstance(n, ast.Attribute) and n.attr in _GLOBAL_RNG:
                base = n.value
                if isinstance(base, ast.Attribute) and base.attr == "random" or \
                        isinstance(base, ast.Name) and base.id == "random":
                    rng = True
            elif isinstance(n, ast.Name) and n.id in _DYNAMIC:
                dynamic = True
        bound |= stores
    return changes, reads, modules, rng, dynamic


def prune_mirrors(cells) -> None:
    """Mark (``labgrade.judge_skips``) the instructor's plain cells the judge need not run itself.

    The worker runs every cell of the student's notebook; the judge runs the source version of
    a plain cell only for what later test cells read. A plain cell is skipped in the judge when
    it has no dynamic code (exec, globals(), magics), no draw from a global random
    state that a later cell also draws from, and no name (beside imported modules and the
    graded functions, whose proxies the judge binds) that a later test cell or a kept plain
    cell uses. The judge then runs only its import statements, and the cell's output in the
    autograded notebook is the worker's text output.
    A demo that calls the student's function 10,000 times costs the judge nothing.
    """
    info = []
    modules: set[str] = set()
    graded: set[str] = set()
    for cell in cells:
        lg = cell.get("metadata", {}).get("labgrade") or {}
        graded.update(lg.get("names") or [])
        parsed = _cell_names(cell.source) if cell.cell_type == "code" else None
        if parsed:
            modules |= parsed[2]
        info.append(parsed)
    ignore = modules | graded
    needed: set[str] = set()
    later_rng = False
    for cell, parsed in zip(reversed(cells), reversed(info), strict=True):
        lg = cell.get("metadata", {}).get("labgrade") or {}
        kind = lg.get("kind")
        if cell.cell_type != "code" or kind == "student":
            continue
        if parsed is None:
            needed = {"*"}          # not analysable: everything before it is needed
            later_rng = True
            continue
        changes, reads, _mods, rng, dynamic = parsed
        if kind == "mirror" and not (dynamic or (rng and later_rng) or "*" in needed
                                     or (changes - ignore) & needed):
            lg["judge_skips"] = True
            continue
        needed = (needed - (changes - reads)) | (reads - ignore)
        later_rng = later_rng or rng or kind == "test"


# --- what the submitted source does, read by the judge (the worker cannot hide it) ----------------------

_GUARD_NAMES = {"__wrapped__", "_guard", "__initlab_reference__", "_forbidden", "_calls", "forbid"}
_DYNAMIC_CALLS = {"exec", "eval", "compile", "__import__", "globals", "vars", "locals", "breakpoint"}
_DYNAMIC_MODULES = {"importlib", "inspect", "ctypes", "gc", "builtins", "dis", "marshal", "types", "pickle"}


def _uses_initlab(tree) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "initlab":
            return True
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if any(m.split(".")[0] == "initlab" for m in mods):
                return True
    return False


def source_flags(code: str, graded: set[str], where: str) -> list[str]:
    """What a student's cell does that the instructor should look at: reaching initlab's reference of
    a function this notebook grades, its guard, or dynamic code (exec/eval, getattr by a computed
    name, importlib, inspect, ...). Read from the source, in the judge: a flag, never points."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    found: list[str] = []

    def add(text):
        if text not in found:
            found.append(text)

    initlab_used = _uses_initlab(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "initlab":
            for a in node.names:
                if a.name in graded or a.name == "*":
                    add(f"reference: {where} imports initlab's {a.name} (the function it must write)")
                if a.name in _GUARD_NAMES:
                    add(f"reference: {where} imports initlab's guard ({a.name})")
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for m in mods:
                if m.split(".")[0] in _DYNAMIC_MODULES:
                    add(f"dynamic: {where} imports {m.split('.')[0]}")
                if m.startswith("initlab._guard"):
                    add(f"reference: {where} imports initlab's guard")
        elif isinstance(node, ast.Attribute):
            if node.attr in graded and initlab_used:
                add(f"reference: {where} reaches initlab's {node.attr} (the function it must write)")
            if node.attr in _GUARD_NAMES or node.attr in ("__globals__", "__code__", "__closure__"):
                add(f"reference: {where} uses {node.attr}")
            if node.attr == "modules" and isinstance(node.value, ast.Name) and node.value.id == "sys":
                add(f"dynamic: {where} uses sys.modules")
        elif isinstance(node, ast.Name) and node.id in _GUARD_NAMES - {"forbid"}:
            add(f"reference: {where} uses {node.id}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            fn = node.func.id
            if fn in _DYNAMIC_CALLS:
                add(f"dynamic: {where} calls {fn}()")
            if fn in ("getattr", "setattr", "delattr", "hasattr") and len(node.args) >= 2:
                name = node.args[1]
                if not isinstance(name, ast.Constant):
                    add(f"dynamic: {where} calls {fn}() with a computed name")
                elif name.value in graded or name.value in _GUARD_NAMES:
                    add(f"reference: {where} calls {fn}(..., {name.value!r})")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and initlab_used \
                and node.value in graded:
            add(f"reference: {where} names {node.value!r} next to initlab (e.g. initlab.initialize)")
    return found


def submission_source_flags(student_nb, source_nb) -> list[str]:
    """:func:`source_flags` over every code cell of the student's that runs in the worker."""
    graded: set[str] = set()
    for cell in source_nb.cells:
        meta = _nbmeta(cell)
        if meta.get("solution") and cell.cell_type == "code":
            graded.update(_defined_names(cell.source))
    source_by_key = {_key(c): c for c in source_nb.cells}
    flags: list[str] = []
    for i, cell in enumerate(student_nb.cells):
        if cell.cell_type != "code":
            continue
        src = source_by_key.get(_key(cell))
        meta = _nbmeta(cell)
        if src is not None and meta.get("grade") and not meta.get("solution"):
            continue                      # a test cell: the source's runs (tamper flags say if edited)
        if src is not None and not meta.get("solution") and src.source == cell.source:
            continue                      # an instructor's cell, unchanged
        where = f"cell {meta.get('grade_id') or i + 1}"
        # what the instructor's own version of an edited cell does is not the student's doing
        theirs = set(source_flags(src.source, graded, where)) if src is not None and not meta.get("solution") \
            else set()
        for f in source_flags(cell.source, graded, where):
            if f not in flags and f not in theirs:
                flags.append(f)
    return flags


def notebook_files(name: str, env=os.environ) -> tuple[str, str] | None:
    """The flags and plan files of notebook ``name`` in the folder labgrade's runner names, if it does."""
    flags_dir = env.get(FLAGS_DIR_ENV)
    if not flags_dir:
        return None
    return str(Path(flags_dir) / f"{name}.jsonl"), str(Path(flags_dir) / f"{name}.plan.json")


def kernel_env_for(name: str, env: dict) -> dict:
    """The environment the kernel of notebook ``name`` gets, given the one of the notebook before it
    (the kernel started ahead, labgrade.grading.ahead): only the judge's files differ between them."""
    files = notebook_files(name, env)
    if env.get(ENV, "") != "judge" or files is None:
        return dict(env)
    return {**env, judge.FLAGS_ENV: files[0], judge.PLAN_ENV: files[1]}


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
        flags = tamper_flags(nb, source_nb) + submission_source_flags(nb, source_nb)
        new, plan, sources = judge_notebook(nb, source_nb)
        _STATE["sources"] = sources
        new.metadata = nb.metadata
        # the flags file outlives a notebook whose kernel dies (no FinishJudge then): labgrade's
        # runner names a folder of its own for it, read by flags_of
        files = notebook_files(name)
        if files:
            Path(os.environ[FLAGS_DIR_ENV]).mkdir(parents=True, exist_ok=True)
            path, plan_path = files
        else:
            fd, path = tempfile.mkstemp(prefix=f"labgrade-flags-{name}-", suffix=".jsonl")
            os.close(fd)
            fd, plan_path = tempfile.mkstemp(prefix=f"labgrade-plan-{name}-", suffix=".json")
            os.close(fd)
        with open(path, "w") as fh:
            for text in flags:
                fh.write(json.dumps({"kind": "", "text": text}) + "\n")
        Path(plan_path).write_text(json.dumps(plan))
        _STATE["plan"] = plan_path
        os.environ[judge.FLAGS_ENV] = path
        os.environ[judge.PLAN_ENV] = plan_path
        timeout = self.config.get("Execute", {}).get("timeout")
        if timeout:
            # a little under nbgrader's cell timeout: the judge stops the worker first and says so
            os.environ[judge.TIMEOUT_ENV] = str(max(1.0, 0.9 * float(timeout) - 1))
        db = str(cd.get("db_url") or "")
        protected = [str(root), str(source_dir), str(Path(__file__).resolve().parents[3])]
        if db.startswith("sqlite:///"):
            protected.append(db[len("sqlite:///"):])
        os.environ["LABGRADE_PROTECTED"] = os.pathsep.join(protected)
        return new, resources


class ArmJudge(Preprocessor):
    """Right before Execute (after nbgrader's OverwriteCells put the locked cells back): the
    ``%%lg`` line on every cell JudgeNotebook marked."""

    enabled = True

    def preprocess(self, nb, resources):
        for cell in nb.cells:
            lg = cell.get("metadata", {}).get("labgrade")
            if cell.cell_type == "code" and isinstance(lg, dict) and lg.get("kind"):
                names = " ".join(lg.get("names") or [])
                kind = "mirror-only" if lg.get("judge_skips") else lg["kind"]
                cell.source = f"%%lg {kind} {lg['key']} {names}".rstrip() + "\n" + cell.source
        return nb, resources


class FinishJudge(Preprocessor):
    """After Execute: the student's source back in place, the judge's flags into the metadata."""

    enabled = True

    def preprocess(self, nb, resources):
        sources = _STATE.pop("sources", {})
        for cell in nb.cells:
            if cell.cell_type == "code" and cell.source.startswith("%%lg "):
                cell.source = cell.source.split("\n", 1)[1] if "\n" in cell.source else ""
            meta = _nbmeta(cell)
            if meta.get("solution") and meta.get("grade_id") in sources and cell.cell_type == "code":
                cell.source = sources[meta["grade_id"]]
            cell.get("metadata", {}).pop("labgrade", None)
        path = os.environ.pop(judge.FLAGS_ENV, None)
        judge_flags, worker_flags = read_flag_file(Path(path), split=True) if path else ([], [])
        if path:
            Path(path).unlink(missing_ok=True)
        plan = _STATE.pop("plan", None) or os.environ.pop(judge.PLAN_ENV, None)
        os.environ.pop(judge.PLAN_ENV, None)
        if plan:
            Path(plan).unlink(missing_ok=True)
        nb.metadata["labgrade"] = {"isolation": "judge", "flags": judge_flags, "worker_flags": worker_flags}
        return nb, resources


JUDGE_FLAGS_MAX = 200      # judge-side flags kept per notebook (each at most 300 characters)
WORKER_FLAGS_MAX = 30      # flags the student's own process reported (it could send any number)


def read_flag_file(path: Path, *, split: bool = False):
    """The flags in a judge's JSON-lines file: judge-side ones ("kind: text", first occurrence of
    each, at most JUDGE_FLAGS_MAX) then the worker's (at most WORKER_FLAGS_MAX, never counted
    against the judge's). ``split``: return the two lists apart."""
    judge_side: list[str] = []
    worker_side: list[str] = []
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        lines = []
    for line in lines:
        try:
            rec = json.loads(line)
            kind, text = str(rec["kind"]), str(rec["text"])[:300]
        except Exception:
            continue
        if kind == "worker":
            if text not in worker_side and len(worker_side) < WORKER_FLAGS_MAX:
                worker_side.append(text)
            continue
        if kind:
            text = f"{kind}: {text}"
        if text not in judge_side and len(judge_side) < JUDGE_FLAGS_MAX:
            judge_side.append(text)
    if split:
        return judge_side, worker_side
    return judge_side + worker_side


def notebook_flags(path: Path) -> list[str]:
    """The flags stored in an autograded notebook (empty if none or not graded in judge mode)."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:
        return []
    meta = nb.metadata.get("labgrade", {})
    out: list[str] = []
    for key in ("flags", "worker_flags"):
        flags = meta.get(key, [])
        if isinstance(flags, list):
            out.extend(str(f) for f in flags)
    return out


def flags_of(autograded_dir: Path, flags_dir: Path, notebook: str) -> list[str]:
    """The flags of one graded notebook: from its autograded copy, or, when its kernel died and
    no copy was written, from the judge's file left in ``flags_dir``
    (:meth:`labgrade.grading.runner.Workspace.flags_dir`, emptied before each student's grading)."""
    path = Path(autograded_dir) / f"{notebook}.ipynb"
    if path.exists():
        return notebook_flags(path)
    return read_flag_file(Path(flags_dir) / f"{notebook}.jsonl")


def student_flags(autograded_dir: Path, flags_dir: Path) -> dict[str, list[str]]:
    """notebook -> flags, for one student (notebooks without flags left out)."""
    names = {p.stem for p in Path(autograded_dir).glob("*.ipynb")} | {p.stem for p in Path(flags_dir).glob("*.jsonl")}
    return {nb: f for nb in sorted(names) if (f := flags_of(autograded_dir, flags_dir, nb))}
