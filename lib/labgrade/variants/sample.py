"""The sample class: submissions built from the release and the source, seeded.

``build_class`` writes ``<submitted>/<student>/weight_init/*.ipynb`` (and
``timestamp.txt``) for every student of :data:`labgrade.variants.mutations.STUDENTS`:

* the complete, correct submission is the release with the solution regions of
  ``source/`` put back in place of nbgrader's stubs (code and written answers);
* mistakes are the substitutions of :mod:`labgrade.variants.mutations` applied to it; a
  substitution that does not apply raises :class:`MutationError`;
* the seed only sets the submission times (before the due date, or after it
  for the late student), so two builds with one seed are identical.

    labgrade sample OUT_DIR [--seed 44]
"""

from __future__ import annotations

import copy
import json
import random
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

import nbformat

from labgrade.course.build import generate_release
from labgrade.course.config import Settings, load_settings
from labgrade.course.paths import ASSIGNMENT, course_root
from labgrade.course.regions import SOLUTION, regions
from labgrade.variants.model import Variant, notebook_stem
from labgrade.variants.mutations import STUDENTS, SampleStudent, mutation

CODE_STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]
TEXT_STUB = ["YOUR ANSWER HERE"]


class MutationError(RuntimeError):
    """A mutation of the sample class no longer applies to the notebooks."""


def _regions(source: str) -> list[tuple[str, list[str]]]:
    """The solution regions of a source cell: (indent of the BEGIN line, body lines)."""
    return [(r.indent, r.body) for r in regions(source, SOLUTION)]


def fill_cell(release_source: str, source_source: str, stub: list[str], where: str) -> str:
    """Put the solution regions of the source cell in place of the stubs of the release cell."""
    regions = _regions(source_source)
    lines = release_source.split("\n")
    out, i, k = [], 0, 0
    while i < len(lines):
        if k < len(regions):
            indent = regions[k][0]
            want = [indent + s for s in stub]
            if lines[i:i + len(want)] == want:
                out.extend(regions[k][1])
                i += len(want)
                k += 1
                continue
        out.append(lines[i])
        i += 1
    if k != len(regions):
        raise MutationError(f"{where}: found {k} stub(s) for {len(regions)} solution region(s)")
    return "\n".join(out)


def solution_cells(nb) -> dict[str, nbformat.NotebookNode]:
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


def complete_notebook(release_nb, source_nb, name: str):
    """The release notebook with every solution region of the source filled in."""
    nb = copy.deepcopy(release_nb)
    src = solution_cells(source_nb)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("solution"):
            continue
        gid = meta["grade_id"]
        if gid not in src:
            raise MutationError(f"{name}: release cell {gid!r} has no source cell")
        stub = CODE_STUB if cell.cell_type == "code" else TEXT_STUB
        cell.source = fill_cell(cell.source, src[gid].source, stub, f"{name}:{gid}")
    return nb


def apply_mutation(nb, m: Variant) -> None:
    """Apply the substitutions of ``m`` to its solution cell of ``nb``, a complete (filled) notebook."""
    if m.code is not None:
        raise MutationError(f"mutation {m.id!r} replaces the whole solution: the sample class takes substitutions")
    cells = solution_cells(nb)
    if m.grade_id not in cells:
        raise MutationError(f"mutation {m.id!r}: notebook {m.notebook} has no solution cell {m.grade_id!r}")
    cell = cells[m.grade_id]
    source = cell.source
    for old, new in m.subs:
        found = source.count(old)
        if (found != m.count) if m.count is not None else found == 0:
            raise MutationError(
                f"mutation {m.id!r} does not apply: {m.notebook}:{m.grade_id} contains the text "
                f"{old!r} {found} time(s), expected {m.count or 'at least 1'}. The notebook changed: update "
                f"labgrade/variants/mutations.py or answers.py (and tests/helpers/sample_expectations.py).")
        source = source.replace(old, new)
    if source == cell.source:
        raise MutationError(f"mutation {m.id!r} changes nothing")
    cell.source = source


def _timestamp(dt) -> str:
    return dt.strftime("%Y-%m-%d %H:%M:%S.%f") + " UTC"


def build_class(release_dir: Path, out_dir: Path, *, seed: int = 44, settings: Settings | None = None,
                root: Path | None = None, students: list[SampleStudent] | None = None) -> dict:
    """Write the sample class into ``out_dir`` (nbgrader's submitted/ folder).

    ``release_dir`` is the folder holding ``weight_init/`` (the release). Returns a
    manifest: the roster, what was done to each student, the skipped mutations.
    """
    root = root or course_root()
    settings = settings or load_settings()
    students = STUDENTS if students is None else students
    rel = Path(release_dir) / ASSIGNMENT
    src = root / "source" / ASSIGNMENT
    names = sorted(p.stem for p in rel.glob("[0-9][0-9]_*.ipynb"))
    if not names:
        raise FileNotFoundError(f"no release notebooks in {rel}")
    release = {n: nbformat.read(rel / f"{n}.ipynb", as_version=4) for n in names}
    complete = {n: complete_notebook(release[n], nbformat.read(src / f"{n}.ipynb", as_version=4), n)
                for n in names}
    rng = random.Random(seed)
    due = settings.due_datetime
    out_dir = Path(out_dir)
    manifest = {"seed": seed, "notebooks": names, "students": {}, "skipped_mutations": []}
    for st in students:
        entry = {"what": st.what, "submitted": st.submitted, "mutations": [], "late": st.late,
                 "dropped": [n for n in st.drop if n in names],
                 "corrupt": [n for n in st.corrupt if n in names]}
        manifest["students"][st.id] = entry
        dest = out_dir / st.id / ASSIGNMENT
        if dest.exists():
            shutil.rmtree(dest)
        if not st.submitted:
            continue
        nbs = copy.deepcopy(release if st.start == "release" else complete)
        for mname in st.mutations:
            m = mutation(mname)
            stem = notebook_stem(m.notebook, nbs)
            if stem is None:
                manifest["skipped_mutations"].append(f"{st.id}:{mname} (notebook {m.notebook} does not exist yet)")
                continue
            apply_mutation(nbs[stem], m)
            entry["mutations"].append(mname)
        dest.mkdir(parents=True)
        for n, nb in nbs.items():
            if n in st.drop:
                continue
            text = nbformat.writes(nb)
            if n in st.corrupt:
                text = text[: len(text) // 2]   # a truncated file: not JSON
            (dest / f"{n}.ipynb").write_text(text)
        if st.late:
            when = due + timedelta(hours=rng.uniform(2, 48))
        else:
            when = due - timedelta(hours=rng.uniform(1, 96))
        (dest / "timestamp.txt").write_text(_timestamp(when) + "\n")
        entry["timestamp"] = _timestamp(when)
    return manifest


def roster(students: list[SampleStudent] | None = None) -> list[str]:
    return [s.id for s in (STUDENTS if students is None else students)]



def add_arguments(parser) -> None:
    """The options of this module's ``labgrade`` subcommand."""
    parser.add_argument("out", type=Path, help="the submitted/ folder to write")
    parser.add_argument("--seed", type=int, default=44)
    parser.add_argument("--release", type=Path, default=None,
                        help="folder holding weight_init/ (default: a fresh release from source/)")


def command(args) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        release = args.release
        if release is None:
            release = Path(tmp) / "release"
            generate_release(course_root(), release)
        manifest = build_class(release, args.out, seed=args.seed)
    print(json.dumps(manifest, indent=1))
    return 0


def make_sample_class(ws, seed: int) -> dict:
    """Release the lab (:func:`labgrade.course.build.generate_release`) and write the sample class into
    ``ws.submitted``; refuses a submitted/ that holds other students."""
    others = sorted(p.name for p in ws.submitted.iterdir() if p.is_dir()
                    and p.name not in roster()) if ws.submitted.is_dir() else []
    if others:
        raise SystemExit(f"{ws.submitted} holds submissions that are not the sample class "
                         f"({', '.join(others[:3])}...): run the demo elsewhere, with --course-dir DIR")
    release = ws.workdir / ".grading" / "sample-release"
    if release.exists():
        shutil.rmtree(release)
    generate_release(ws.root, release)
    return build_class(release, ws.submitted, seed=seed, root=ws.root)
