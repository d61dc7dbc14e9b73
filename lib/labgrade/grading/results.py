"""Results of a grading run: grades.csv, students.csv, the printed table.

Scores come from nbgrader's gradebook (so manual grades entered in formgrader
count); the failure messages from the autograded notebooks' outputs; the
status from what the grading run saw (``.grading/runs.json``).

Status of a notebook (column ``status`` of grades.csv), of a student
(students.csv) the worst of its notebooks, in this order:

``failed``     autograde could not grade it: the kernel died, the file is not a notebook, ...
``timed_out``  a cell ran past the per-cell timeout, or the student's grading hit the per-student limit
``missing``    the notebook (or the whole submission) was not submitted
``late``       graded, submitted after the due date (timestamp.txt)
``graded``     graded, on time

Everything a student controls (messages, flags, file names, student ids) is untrusted text: the
CSV files get it through :func:`labgrade.grading.untrusted.csv_cell` (one line, no control characters, at
most 500 characters, a leading ``'`` before a spreadsheet formula), the table through
:func:`labgrade.grading.untrusted.plain`. Files refused at staging (labgrade.grading.staging) fail their notebook,
are flagged ("staging: ...") and listed in students.csv.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat

from labgrade.course.paths import ASSIGNMENT
from labgrade.grading.errors import notebook_errors
from labgrade.grading.gradebook import open_gradebook
from labgrade.grading.runner import StudentRun, Workspace
from labgrade.grading.staging import display_name, student_id_problem
from labgrade.grading.untrusted import csv_cell, plain, raise_csv_field_limit
from labgrade.sandbox.isolation import flags_of

STATUS_ORDER = ["failed", "timed_out", "missing", "late", "graded"]


@dataclass
class Item:
    notebook: str
    grade_id: str
    max_points: float
    kind: str        # "auto" (autograder tests) or "manual" (written answer, graded by hand)


@dataclass
class Row:
    student: str
    notebook: str
    grade_id: str
    points: float
    max_points: float
    status: str
    message: str
    kind: str = "auto"
    needs_manual_grade: bool = False
    flags: str = ""      # what isolated grading detected in this notebook (tampering, exits, ...), "; "-separated

    CSV_FIELDS = ("student", "notebook", "grade_id", "points", "max_points", "status", "message", "flags")


@dataclass
class StudentSummary:
    student: str
    status: str
    points: float
    max_points: float
    seconds_late: float
    notebooks: dict
    message: str


def items_from_source(root: Path) -> list[Item]:
    """The graded items, in notebook and cell order, from the source notebooks' nbgrader metadata."""
    out = []
    for path in sorted((root / "source" / ASSIGNMENT).glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") or meta.get("task"):
                kind = "manual" if (meta.get("solution") or meta.get("task")) else "auto"
                out.append(Item(path.stem, meta["grade_id"], float(meta.get("points", 0)), kind))
    return out


def save_runs(ws: Workspace, runs: dict[str, StudentRun]) -> None:
    path = ws.workdir / ".grading" / "runs.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    old = load_runs(ws)
    old.update({s: asdict(r) for s, r in runs.items()})
    path.write_text(json.dumps(old, indent=1, sort_keys=True))


def load_runs(ws: Workspace) -> dict:
    path = ws.workdir / ".grading" / "runs.json"
    return json.loads(path.read_text()) if path.exists() else {}


def collect(ws: Workspace, url: str, students: list[str], runs: dict | None = None,
            cell_timeout: int | None = None) -> tuple[list[Row], list[StudentSummary]]:
    """Rows (student x item) and per-student summaries from the gradebook and autograded/."""
    from nbgrader.api import MissingEntry  # nbgrader.api loads SQLAlchemy: only when results are collected

    with open_gradebook(url) as gb:
        graded_notebooks = {nb.name for nb in gb.find_assignment(ASSIGNMENT).notebooks}
    items = [i for i in items_from_source(ws.root) if i.notebook in graded_notebooks]
    runs = load_runs(ws) if runs is None else {s: (asdict(r) if isinstance(r, StudentRun) else r)
                                                for s, r in runs.items()}
    notebooks = sorted({i.notebook for i in items})
    rows: list[Row] = []
    summaries: list[StudentSummary] = []
    with open_gradebook(url) as gb:
        for student in students:
            run = runs.get(student, {})
            nb_state = dict(run.get("notebooks", {}))
            errors_run = run.get("errors", {})
            bad_id = student_id_problem(student)
            if bad_id:      # never graded, never in a path or the gradebook
                why = f"refused: {bad_id}"
                nb_state = {nb: "failed" for nb in notebooks}
                errors_run = {"*": why, **{nb: why for nb in notebooks}}
                run = {**run, "errors": errors_run}
                sub = None
            else:
                try:
                    sub = gb.find_submission(ASSIGNMENT, student)
                except MissingEntry:
                    sub = None
            refused = dict(run.get("refused", {}))
            refused_nb = {name[: -len(".ipynb")]: why for name, why in refused.items() if name.endswith(".ipynb")}
            late = float(sub.total_seconds_late) if sub is not None else 0.0
            grades = {}
            if sub is not None:
                for snb in sub.notebooks:
                    for g in snb.grades:
                        grades[(snb.name, g.name)] = g
            nb_status, nb_msg, nb_flags = {}, {}, {}
            for nb in notebooks:
                fl = [] if bad_id else list(flags_of(ws.autograded_dir(student), ws.flags_dir(student), nb))
                if nb in refused_nb:
                    fl.insert(0, f"staging: {nb}.ipynb refused ({refused_nb[nb]})")
                nb_flags[nb] = "; ".join(fl)
                state = nb_state.get(nb)
                if state is None:   # no run recorded: infer from the files
                    if not (ws.submission(student) / f"{nb}.ipynb").exists():
                        state = "missing"
                    elif not (ws.autograded_dir(student) / f"{nb}.ipynb").exists():
                        state = "failed"
                    else:
                        state = "ok"
                errs, cell_timed_out = ({}, False) if bad_id else notebook_errors(
                    ws.autograded_dir(student) / f"{nb}.ipynb")
                if state == "ok":
                    if cell_timed_out:
                        status = "timed_out"
                        limit = f" ({cell_timeout} s)" if cell_timeout else ""
                        nb_msg[nb] = f"a cell ran past the per-cell timeout{limit} and was interrupted"
                    else:
                        status = "late" if late > 0 else "graded"
                elif state == "missing":
                    status = "missing"
                    nb_msg[nb] = "no submission" if sub is None and not _submitted(ws, student) \
                        else "notebook not submitted"
                else:
                    status = state
                    nb_msg[nb] = errors_run.get(nb, "not graded")
                nb_status[nb] = (status, errs)
            for item in items:
                status, errs = nb_status[item.notebook]
                g = grades.get((item.notebook, item.grade_id))
                points = float(g.score) if g is not None and g.score is not None else 0.0
                needs = bool(g.needs_manual_grade) if g is not None else False
                if status in ("missing", "failed") or nb_state.get(item.notebook) == "timed_out":
                    message = nb_msg.get(item.notebook, "not graded")   # the notebook was not graded
                elif item.kind == "manual":
                    if g is not None and g.manual_score is not None:
                        message = "graded by hand"
                    else:
                        message = "manual grading pending (scores 0 until graded in formgrader)"
                elif points < item.max_points:
                    message = errs.get(item.grade_id) or "no points (no error output recorded)"
                else:
                    message = ""
                rows.append(Row(student, item.notebook, item.grade_id, points, item.max_points, status,
                                message, item.kind, needs, nb_flags.get(item.notebook, "")))
            st_rows = [r for r in rows if r.student == student]
            statuses = {s for s, _ in nb_status.values()}
            status = next(s for s in STATUS_ORDER if s in statuses or s == "graded")
            msgs = [f"{nb}: {m}" for nb, m in nb_msg.items()]
            if bad_id:
                msgs = [f"refused: {bad_id}"]
            elif sub is None and not _submitted(ws, student):
                msgs = ["no submission"]
            if late > 0:
                msgs.append(f"submitted {late / 3600:.1f} h after the due date")
            if run.get("errors", {}).get("*") and not bad_id:
                msgs.append(run["errors"]["*"])
            if refused:
                msgs.append("refused at staging: " + ", ".join(f"{name} ({why})" for name, why in refused.items()))
            if run.get("ignored"):
                msgs.append("not graded (only the notebooks and timestamp.txt are copied): "
                            + ", ".join(run["ignored"]))
            flagged = [nb for nb, f in nb_flags.items() if f]
            if flagged:
                msgs.append(f"flagged in {', '.join(flagged)}: {nb_flags[flagged[0]][:300]}")
            summaries.append(StudentSummary(
                student, status, sum(r.points for r in st_rows), sum(r.max_points for r in st_rows), late,
                {nb: s for nb, (s, _) in nb_status.items()}, "; ".join(msgs)))
    return rows, summaries


def _submitted(ws: Workspace, student: str) -> bool:
        return os.path.lexists(ws.submitted / student)


def student_label(student: str) -> str:
    """How a student id is shown: as is if valid, else escaped to printable ASCII."""
    return student if not student_id_problem(student) else display_name(student)


def write_grades_csv(rows: list[Row], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(Row.CSV_FIELDS)
        for r in rows:
            w.writerow([csv_cell(student_label(r.student)), csv_cell(r.notebook), csv_cell(r.grade_id),
                        _num(r.points), _num(r.max_points), csv_cell(r.status), csv_cell(r.message),
                        csv_cell(r.flags)])


def write_students_csv(summaries: list[StudentSummary], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["student", "status", "points", "max_points", "seconds_late", "message"])
        for s in summaries:
            w.writerow([csv_cell(student_label(s.student)), csv_cell(s.status), _num(s.points),
                        _num(s.max_points), f"{s.seconds_late:.0f}", csv_cell(s.message)])


def read_grades_csv(path: Path) -> list[dict]:
    raise_csv_field_limit()
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _num(x: float) -> str:
    return f"{x:g}"


def table(rows: list[Row], summaries: list[StudentSummary]) -> str:
    """The grade table printed at the end of a run: points per notebook, total, status."""
    notebooks = sorted({r.notebook for r in rows})
    short = [nb[:2] for nb in notebooks]
    per = {}
    for r in rows:
        per[(r.student, r.notebook)] = per.get((r.student, r.notebook), 0.0) + r.points
    maxima = {}
    for r in rows:
        if r.student == rows[0].student:
            maxima[r.notebook] = maxima.get(r.notebook, 0.0) + r.max_points
    names = {s.student: plain(student_label(s.student), 64) for s in summaries}
    width = max([len("student")] + [len(n) for n in names.values()])
    head = f"{'student':<{width}}  " + " ".join(f"{s:>5}" for s in short) + f"  {'total':>11}  status"
    lines = [head, f"{'(max)':<{width}}  " + " ".join(f"{maxima.get(nb, 0):>5g}" for nb in notebooks)
             + f"  {sum(maxima.values()):>11g}", "-" * len(head)]
    for s in summaries:
        cells = []
        for nb in notebooks:
            st = s.notebooks.get(nb, "")
            mark = {"missing": "-", "failed": "F", "timed_out": "T"}.get(st)
            val = per.get((s.student, nb), 0.0)
            cells.append(f"{mark if mark and val == 0 else f'{val:g}':>5}")
        total = f"{s.points:g}/{s.max_points:g}"
        lines.append(f"{names[s.student]:<{width}}  " + " ".join(cells) + f"  {total:>11}  {s.status}")
    lines.append("")
    lines.append("- missing, F failed, T timed out. Manually graded answers score 0 until graded in formgrader.")
    return "\n".join(lines)
