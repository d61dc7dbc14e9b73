"""Item analysis of a graded class: reports/item_analysis.html (self-contained).

Rendered from ``templates/item_analysis.html.j2`` by Jinja2 with autoescaping; student ids,
messages and flags are untrusted text, made one line and capped (labgrade.grading.untrusted) before.

Sections (each an ``<h2 id=...>``):

* ``distribution``: the total scores (histogram) and their summary;
* ``items``: each item's mean score, pass rate (full points), and discrimination;
* ``failures``: the failure messages most students hit (first line of the
  error of the test cell, from the autograded notebooks);
* ``discrimination``: the point-biserial correlation of passing an item with
  the rest-score (total minus the item): near 0 or negative, the item does not
  tell strong from weak students (or is broken); above about 0.3 it does.

Students with no submission at all are left out of the statistics (they would
only add zeros). Manually graded answers are listed but not analysed until
graded: at autograde they score nothing.
"""

from __future__ import annotations

import base64
import io
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from labgrade.grading.results import Row, StudentSummary, student_label
from labgrade.grading.staging import student_id_problem
from labgrade.grading.untrusted import CELL_MAX, plain


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt  # matplotlib: only when the report draws its figures

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def point_biserial(passed: np.ndarray, rest: np.ndarray) -> float:
    """Pearson correlation of a 0/1 item result with the rest-score (nan when either is constant)."""
    passed, rest = np.asarray(passed, float), np.asarray(rest, float)
    if len(passed) < 3 or passed.std() == 0 or rest.std() == 0:
        return float("nan")
    return float(np.corrcoef(passed, rest)[0, 1])


def analyse(rows: list[Row], summaries: list[StudentSummary]) -> dict:
    # left out: no submission at all, or a folder name that is not a valid student id (never graded)
    absent = {s.student for s in summaries if s.message == "no submission" or student_id_problem(s.student)}
    students = [s.student for s in summaries if s.student not in absent]
    items = []
    seen = set()
    for r in rows:
        if (r.notebook, r.grade_id) not in seen:
            seen.add((r.notebook, r.grade_id))
            items.append((r.notebook, r.grade_id, r.max_points, r.kind))
    score = {(r.student, r.notebook, r.grade_id): r.points for r in rows}
    message = {(r.student, r.notebook, r.grade_id): r.message for r in rows}
    totals = np.array([sum(score[(s, nb, g)] for nb, g, _, _ in items) for s in students], float)
    out_items = []
    failures = Counter()
    for nb, gid, mx, kind in items:
        pts = np.array([score[(s, nb, gid)] for s in students], float)
        passed = (pts >= mx - 1e-9).astype(float) if mx > 0 else np.zeros(len(students))
        rest = totals - pts
        graded = kind == "auto" or any(
            message[(s, nb, gid)] == "graded by hand" for s in students)
        out_items.append({
            "notebook": nb, "grade_id": gid, "max": mx, "kind": kind, "graded": graded,
            "mean": float(pts.mean()) if len(pts) else float("nan"),
            "pass_rate": float(passed.mean()) if len(pts) else float("nan"),
            "discrimination": point_biserial(passed, rest) if graded else float("nan"),
        })
        if kind == "auto":
            for s in students:
                if score[(s, nb, gid)] < mx:
                    failures[(nb, gid, message[(s, nb, gid)] or "(no message)")] += 1
    return {"students": students, "absent": sorted(absent), "totals": totals, "items": out_items,
            "failures": failures.most_common(), "max_total": sum(mx for _, _, mx, _ in items)}


def _fmt(x: float, spec: str = ".2f") -> str:
    return "n/a" if x != x else format(x, spec)


def render(rows: list[Row], summaries: list[StudentSummary], title: str = "") -> str:
    import matplotlib  # matplotlib: only when the report draws its figures

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # matplotlib: only when the report draws its figures
    import matplotlib.ticker  # matplotlib: only when the report draws its figures

    a = analyse(rows, summaries)
    totals, items = a["totals"], a["items"]
    status_counts = Counter(s.status for s in summaries)

    fig, ax = plt.subplots(figsize=(7, 3.2))
    bins = np.linspace(0, max(a["max_total"], 1), 21)
    ax.hist(totals, bins=bins, color="#4c72b0", edgecolor="white")
    ax.set_xlabel("total score (points)")
    ax.set_ylabel("students")
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_title(f"Score distribution ({len(totals)} submissions)")
    dist_png = _png(fig)

    auto = [it for it in items if it["graded"]]
    labels = [f"{it['notebook'][:2]}:{it['grade_id']}" for it in auto]
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(auto) + 1.2))
    y = np.arange(len(auto))
    ax.barh(y, [it["pass_rate"] for it in auto], color="#55a868")
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("pass rate (fraction of students with full points)")
    ax.set_title("Pass rate per item")
    pass_png = _png(fig)

    fig, ax = plt.subplots(figsize=(7, 0.35 * len(auto) + 1.2))
    disc = [it["discrimination"] for it in auto]
    ax.barh(y, [0 if d != d else d for d in disc],
            color=["#c44e52" if (d == d and d < 0.2) else "#8172b2" for d in disc])
    ax.axvline(0.3, color="grey", ls="--", lw=1)
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(-1, 1)
    ax.set_xlabel("point-biserial correlation with the rest-score")
    ax.set_title("Discrimination per item (dashed: 0.3)")
    disc_png = _png(fig)

    mean = _fmt(float(totals.mean())) if len(totals) else "n/a"
    median = _fmt(float(np.median(totals))) if len(totals) else "n/a"
    flagged: dict[str, list[str]] = {}
    for r in rows:
        if r.flags and f"{r.notebook}: {r.flags}" not in flagged.setdefault(r.student, []):
            flagged[r.student].append(f"{r.notebook}: {r.flags}")
    context = {
        "title": plain(title, 200),
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "n_students": len(a["students"]),
        "n_absent": len(a["absent"]),
        "absent": [_label(s) for s in a["absent"][:MAX_ABSENT_LISTED]]
        + (["..."] if len(a["absent"]) > MAX_ABSENT_LISTED else []),
        "status_counts": ", ".join(f"{plain(k, 40)} {v}" for k, v in sorted(status_counts.items())),
        "mean": mean, "median": median, "max_total": f"{a['max_total']:g}",
        "dist_png": dist_png, "pass_png": pass_png, "disc_png": disc_png,
        "items": [{
            "notebook": plain(it["notebook"], 100), "grade_id": plain(it["grade_id"], 100),
            "kind": it["kind"] if it["graded"] else it["kind"] + " (not graded yet)",
            "max": f"{it['max']:g}", "mean": _fmt(it["mean"]), "pass_rate": _fmt(it["pass_rate"] * 100, ".0f"),
            "discrimination": _fmt(it["discrimination"]),
            "low": it["discrimination"] == it["discrimination"] and it["discrimination"] < 0.2,
        } for it in items],
        "failures": [{"count": n, "notebook": plain(nb, 100), "grade_id": plain(gid, 100),
                      "message": plain(msg, CELL_MAX)} for (nb, gid, msg), n in a["failures"][:40]],
        "flagged": [(_label(student), plain(" | ".join(lines), FLAGS_MAX))
                    for student, lines in sorted(flagged.items()) if lines],
    }
    return _template().render(**context)


MAX_ABSENT_LISTED = 200     # students without submission named in the report
FLAGS_MAX = 1500            # characters of one student's flags in the report


def _label(student: str) -> str:
    return plain(student_label(student), 80)


def _template():
    """The report's Jinja2 template (lib/labgrade/reports/templates/), autoescaping on."""
    import jinja2  # Jinja2: only when HTML is rendered

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    return env.get_template("item_analysis.html.j2")


def write_report(rows: list[Row], summaries: list[StudentSummary], path: Path, title: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(rows, summaries, title))
    return path


def failure_messages(rows: list[Row]) -> dict[tuple[str, str], Counter]:
    """(notebook, grade_id) -> Counter of failure messages (helper for tests)."""
    out: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for r in rows:
        if r.kind == "auto" and r.points < r.max_points:
            out[(r.notebook, r.grade_id)][r.message] += 1
    return out
