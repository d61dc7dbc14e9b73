"""Run the answer catalogue: correct answers written differently, and wrong answers
students actually write, through the notebooks' own visible and hidden tests.

Each entry of :mod:`labgrade.variants.answers` replaces one solution of a source notebook;
the notebook then runs as nbgrader's autograder runs it (hidden tests included,
``NBGRADER_EXECUTION=autograde``), and the outcome of every test cell is compared
with what the entry expects: correct answers lose nothing; a wrong answer loses
exactly the items it names, with a failure message containing its hint.

    labgrade catalogue [--only ID ...] [--jobs N]
"""

from __future__ import annotations

import copy
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from labgrade.course.paths import ASSIGNMENT, course_root
from labgrade.variants.answers import ANSWERS
from labgrade.variants.model import Answer, apply_answer, apply_cells
from labgrade.variants.sample import complete_notebook


@dataclass
class Outcome:
    answer: Answer
    failed: dict = field(default_factory=dict)   # test grade_id -> message
    error: str = ""

    @property
    def ok(self) -> bool:
        if self.error:
            return False
        if self.answer.correct:
            return not self.failed
        if set(self.failed) != set(self.answer.lose):
            return False
        # the item the mistake is about (listed first) must name it; items that merely
        # depend on it may point back to that item instead
        return self.answer.hint.lower() in self.failed[self.answer.lose[0]].lower()


def source_path(prefix: str) -> Path:
    return next((course_root() / "source" / ASSIGNMENT).glob(f"{prefix}_*.ipynb"))


def test_cells(nb) -> list:
    return [c for c in nb.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]


def run_answer(answer: Answer, base: nbformat.NotebookNode | None = None) -> Outcome:
    from nbclient import NotebookClient  # nbclient starts kernels: loaded only by the commands that execute notebooks

    nb = copy.deepcopy(base) if base is not None else nbformat.read(source_path(answer.notebook), 4)
    try:
        apply_answer(nb, answer)
        apply_cells(nb, answer)
    except ValueError as exc:
        return Outcome(answer, error=str(exc))
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(course_root())}}).execute()
    failed = {}
    for cell in test_cells(nb):      # as nbgrader's determine_grade: an error, or anything on stderr
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                failed[cell.metadata.nbgrader["grade_id"]] = f"{out.ename}: {out.evalue}"
            elif out.output_type == "stream" and out.get("name") == "stderr":
                failed.setdefault(cell.metadata.nbgrader["grade_id"], f"stderr: {out.text[:300]}")
    return Outcome(answer, failed)


def run_catalogue(answers, jobs: int | None = None) -> list[Outcome]:
    bases = {}
    for a in answers:
        if a.notebook not in bases:
            bases[a.notebook] = nbformat.read(source_path(a.notebook), 4)
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 2) as pool:
        return list(pool.map(lambda a: run_answer(a, bases[a.notebook]), answers))


def _apart(a: Answer, b: Answer) -> bool:
    """Two wrong answers of one notebook may share a submission only if neither touches what the
    other changes or loses (so that what each loses, and the message it gets, are its own)."""
    if a.correct or b.correct or a.notebook != b.notebook:
        return True
    touched_a, touched_b = {a.grade_id, *a.lose}, {b.grade_id, *b.lose}
    return not touched_a & touched_b


def pack(answers) -> list[list[Answer]]:
    """Answers grouped into as few submissions as possible: each submission changes a solution at most
    once, and wrong answers of one notebook share a submission only when they are apart (:func:`_apart`)."""
    students: list[list[Answer]] = []
    for a in answers:
        for group in students:
            if all((b.notebook, b.grade_id) != (a.notebook, a.grade_id) and _apart(a, b) for b in group):
                group.append(a)
                break
        else:
            students.append([a])
    return students


def build_submissions(answers, release_dir: Path, source_dir: Path, out_dir: Path, *,
                      prefix: str = "c", timestamp: str = "2026-12-01 12:00:00.000000 UTC") -> dict:
    """Write ``out_dir/<student>/<assignment>/*.ipynb``: one submission per group of :func:`pack`,
    each notebook the release with the source's solutions and the group's answers in it (only the
    notebooks the group changes). Returns student id -> its answers, and under the key None the
    answers that no longer apply to the notebooks (with the reason)."""
    made = {}
    usable, broken = [], []
    sources = {}
    for a in answers:
        if a.notebook not in sources:
            sources[a.notebook] = next(Path(source_dir).glob(f"{a.notebook}_*.ipynb"))
        try:
            apply_answer(nbformat.read(sources[a.notebook], as_version=4), a)
            usable.append(a)
        except ValueError as exc:
            broken.append(f"{a.id}: {exc}")
    if broken:
        made[None] = broken
    for k, group in enumerate(pack(usable), 1):
        sid = f"{prefix}{k:02d}"
        write_submission(group, release_dir, source_dir, Path(out_dir) / sid / ASSIGNMENT, timestamp=timestamp)
        made[sid] = group
    return made


def write_submission(group, release_dir: Path, source_dir: Path, dest: Path, *, notebooks=None,
                     timestamp: str = "2026-12-01 12:00:00.000000 UTC") -> None:
    """One student's submission in ``dest``: each notebook the release with the source's solutions and
    the answers of ``group`` for it. ``notebooks`` (two-digit prefixes): the notebooks submitted
    (default: those the group changes), the others complete and correct."""
    dest.mkdir(parents=True, exist_ok=True)
    for nbp in sorted(set(notebooks or ()) | {a.notebook for a in group}):
        src_path = next(Path(source_dir).glob(f"{nbp}_*.ipynb"))
        src = nbformat.read(src_path, as_version=4)
        mine = [a for a in group if a.notebook == nbp]
        for a in mine:
            apply_answer(src, a)
        rel = nbformat.read(Path(release_dir) / src_path.name, as_version=4)
        nb = complete_notebook(rel, src, src_path.stem)
        for a in mine:
            apply_cells(nb, a)
        nbformat.write(nb, dest / src_path.name)
    (dest / "timestamp.txt").write_text(timestamp + "\n")


def report(outcomes) -> str:
    lines = [f"{'entry':<34} {'kind':<8} {'expected to lose':<40} {'lost':<40} ok"]
    for o in outcomes:
        a = o.answer
        lost = o.error or ", ".join(sorted(o.failed)) or "-"
        lines.append(f"{a.id:<34} {'correct' if a.correct else 'wrong':<8} "
                     f"{', '.join(a.lose) or '-':<40} {lost:<40} {'yes' if o.ok else 'NO'}")
        if not o.ok and o.failed:
            for gid, msg in o.failed.items():
                lines.append(f"    {gid}: {msg[:300]}")
    n_ok = sum(o.ok for o in outcomes)
    corr = [o for o in outcomes if o.answer.correct]
    wrong = [o for o in outcomes if not o.answer.correct]
    lines.append(f"correct answers with full credit: {sum(o.ok for o in corr)}/{len(corr)}; "
                 f"wrong answers losing exactly the expected items with the expected hint: "
                 f"{sum(o.ok for o in wrong)}/{len(wrong)}; all: {n_ok}/{len(outcomes)}")
    return "\n".join(lines)



def add_arguments(parser) -> None:
    """The options of this module's ``labgrade`` subcommand."""
    parser.add_argument("--only", nargs="*", help="entry ids to run")
    parser.add_argument("--jobs", type=int, default=None)


def command(args) -> int:
    answers = [a for a in ANSWERS if not args.only or a.id in args.only]
    outcomes = run_catalogue(answers, args.jobs)
    print(report(outcomes))
    return 0 if all(o.ok for o in outcomes) else 1
