"""Run the answer catalogue: correct answers written differently, and wrong answers
students actually write, through the notebooks' own visible and hidden tests.

Each entry of :mod:`labgrade.answers` replaces one solution of a source notebook;
the notebook then runs as nbgrader's autograder runs it (hidden tests included,
``NBGRADER_EXECUTION=autograde``), and the outcome of every test cell is compared
with what the entry expects: correct answers lose nothing; a wrong answer loses
exactly the items it names, with a failure message containing its hint.

    python -m labgrade.catalogue [--only ID ...] [--jobs N]
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import ASSIGNMENT, course_root
from .variants import apply_variant


@dataclass(frozen=True)
class Answer:
    """One catalogue entry."""

    id: str
    notebook: str                  # two-digit prefix, e.g. "02"
    grade_id: str                  # the solution cell it changes
    correct: bool
    lose: tuple[str, ...] = ()     # test cells it must fail (wrong answers)
    hint: str = ""                 # text the failure message of lose[0] must contain
    code: str | None = None        # replacement of the solution region
    subs: tuple = ()               # or substitutions in it
    why: str = ""                  # what the variant is, in words


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
    from nbclient import NotebookClient

    nb = copy.deepcopy(base) if base is not None else nbformat.read(source_path(answer.notebook), 4)
    try:
        apply_variant(nb, answer.grade_id, code=answer.code, subs=answer.subs)
    except ValueError as exc:
        return Outcome(answer, error=str(exc))
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(course_root())}}).execute()
    failed = {}
    for cell in test_cells(nb):
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                failed[cell.metadata.nbgrader["grade_id"]] = f"{out.ename}: {out.evalue}"
    return Outcome(answer, failed)


def run_catalogue(answers, jobs: int | None = None) -> list[Outcome]:
    bases = {}
    for a in answers:
        if a.notebook not in bases:
            bases[a.notebook] = nbformat.read(source_path(a.notebook), 4)
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 2) as pool:
        return list(pool.map(lambda a: run_answer(a, bases[a.notebook]), answers))


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


def main(argv=None) -> int:
    from .answers import ANSWERS

    parser = argparse.ArgumentParser(prog="python -m labgrade.catalogue", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", help="entry ids to run")
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args(argv)
    answers = [a for a in ANSWERS if not args.only or a.id in args.only]
    outcomes = run_catalogue(answers, args.jobs)
    print(report(outcomes))
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
