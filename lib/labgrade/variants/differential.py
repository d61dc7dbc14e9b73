"""The differential test of isolated grading: the answer catalogue graded by the real pipeline
twice, without isolation (plain nbgrader) and in the sandbox, item by item.

An honest answer must get in the sandbox exactly the grade plain nbgrader gives it, and a
wrong answer must lose there exactly what it loses in plain nbgrader. The catalogue's answers
(:mod:`labgrade.variants.answers`) are packed into as few submissions as possible
(:func:`labgrade.variants.catalogue.pack`: each submission changes a solution at most once), graded
with ``labgrade``'s pipeline (nbgrader autograde, parallel students) in both modes, and
compared: same points per item, and every item where each answer says it should be.

    labgrade differential [--notebooks 01 02 ...] [--only ID ...] [--jobs N]
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from labgrade.course.build import generate_release
from labgrade.course.config import load_settings
from labgrade.course.paths import ASSIGNMENT
from labgrade.grading.runner import course_workspace
from labgrade.pipeline import run
from labgrade.variants.answers import ANSWERS
from labgrade.variants.catalogue import build_submissions
from labgrade.variants.model import Answer

MODES = ("none", "judge")
LIMITS = {"cell_timeout": 30, "student_timeout": 600}


@dataclass
class Differential:
    answers: dict[str, list[Answer]]                  # student -> the answers in their submission
    points: dict[str, dict] = field(default_factory=dict)   # mode -> (student, notebook, item) -> (pts, max, msg)
    seconds: dict[str, float] = field(default_factory=dict)
    broken: list[str] = field(default_factory=list)          # answers that no longer apply, and why

    def differences(self) -> list[str]:
        a, b = (self.points[m] for m in MODES)
        out = []
        for key in sorted(set(a) | set(b)):
            pa, pb = a.get(key, (None, None, "")), b.get(key, (None, None, ""))
            if pa[:2] != pb[:2]:
                out.append(f"{'/'.join(key)}: {pa[0]} of {pa[1]} without isolation, {pb[0]} of {pb[1]} in the "
                           f"sandbox ({(pb[2] or pa[2])[:200]!r})")
        return out

    def expectation_failures(self, mode: str) -> list[str]:
        """Items that are not where the answers say: a correct answer losing points, a wrong one
        losing other items than it names, or its first item's message without its hint."""
        out = []
        points = self.points[mode]
        for sid, group in self.answers.items():
            lose = {g for a in group if not a.correct for g in a.lose}
            notebooks = {a.notebook for a in group}
            for (student, nb, gid), (pts, full, msg) in points.items():
                if student != sid or nb[:2] not in notebooks or pts is None or gid.startswith("answer_"):
                    continue
                if gid in lose and pts != 0:
                    who = [a.id for a in group if gid in a.lose]
                    out.append(f"{mode}: {sid} {nb}:{gid} scored {pts} of {full}; {who} should lose it")
                if gid not in lose and pts != full:
                    out.append(f"{mode}: {sid} {nb}:{gid} scored {pts} of {full} ({msg[:160]!r}); answers in "
                               f"this submission: {[a.id for a in group if a.notebook == nb[:2]]}")
            for a in group:
                if a.correct or not a.hint:
                    continue
                msgs = [m for (s, nb, gid), (_, _, m) in points.items() if s == sid and gid == a.lose[0]]
                if msgs and a.hint.lower() not in msgs[0].lower():
                    out.append(f"{mode}: {a.id}: the message of {a.lose[0]} does not name the mistake "
                               f"({a.hint!r} not in {msgs[0][:200]!r})")
        return out


def grade_both(answers, workdir: Path, *, jobs: int = 2, limits: dict | None = None) -> Differential:
    workdir = Path(workdir)
    notebooks = sorted({a.notebook for a in answers})
    ws = course_workspace(workdir, notebooks)
    release = workdir / ".grading" / "differential-release"
    generate_release(ws.root, release)
    made = build_submissions(answers, release / ASSIGNMENT, ws.root / "source" / ASSIGNMENT, ws.submitted)
    broken = made.pop(None, [])
    roster = sorted(made)
    diff = Differential(answers=made, broken=broken)
    for mode in MODES:
        settings = load_settings().with_overrides(**{**LIMITS, **(limits or {})}, isolation=mode)
        url = f"sqlite:///{workdir / f'gradebook-{mode}.db'}"
        t0 = time.monotonic()
        result = run(ws, url, roster, settings, jobs=jobs, feedback=False, report=False, quiet=True,
                     resettable=set(roster))
        diff.seconds[mode] = time.monotonic() - t0
        diff.points[mode] = {(r.student, r.notebook, r.grade_id): (r.points, r.max_points, r.message or "")
                             for r in result["rows"]}
    return diff



def add_arguments(parser) -> None:
    """The options of this module's ``labgrade`` subcommand."""
    parser.add_argument("--notebooks", nargs="*", help="two-digit prefixes of the notebooks to include")
    parser.add_argument("--only", nargs="*", help="catalogue entry ids")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None)


def command(args) -> int:
    answers = [a for a in ANSWERS if (not args.only or a.id in args.only)
               and (not args.notebooks or a.notebook in args.notebooks)]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="labgrade-differential-"))
    diff = grade_both(answers, workdir, jobs=args.jobs)
    differences = diff.differences()
    n_items = len(diff.points["none"])
    print(f"{len(answers)} answers in {len(diff.answers)} submissions, {n_items} graded items per mode "
          f"(none {diff.seconds['none']:.0f} s, judge {diff.seconds['judge']:.0f} s)")
    print(f"items graded differently in the sandbox: {len(differences)}")
    for d in differences:
        print("  " + d)
    bad = [f"does not apply: {b}" for b in diff.broken] + [f for m in MODES for f in diff.expectation_failures(m)]
    print(f"items not where the catalogue says: {len(bad)}")
    for b in bad:
        print("  " + b)
    return 0 if not differences and not bad else 1
