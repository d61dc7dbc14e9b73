"""Item analysis of a graded class: reports/item_analysis.html (self-contained).

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
import html
import io
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from .results import Row, StudentSummary


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def point_biserial(passed: np.ndarray, rest: np.ndarray) -> float:
    """Pearson correlation of a 0/1 item result with the rest-score (nan when either is constant)."""
    passed, rest = np.asarray(passed, float), np.asarray(rest, float)
    if len(passed) < 3 or passed.std() == 0 or rest.std() == 0:
        return float("nan")
    return float(np.corrcoef(passed, rest)[0, 1])


def analyse(rows: list[Row], summaries: list[StudentSummary]) -> dict:
    absent = {s.student for s in summaries if s.message == "no submission"}
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
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

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

    e = html.escape
    mean = _fmt(float(totals.mean())) if len(totals) else "n/a"
    median = _fmt(float(np.median(totals))) if len(totals) else "n/a"
    parts = [f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Item analysis: {e(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60em; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }}
td, th {{ border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
.low {{ color: #b00; font-weight: bold; }}
img {{ max-width: 100%; }}
</style></head><body>
<h1>Item analysis: {e(title)}</h1>
<p>Generated {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} from nbgrader's gradebook and the
autograded notebooks. {len(a['students'])} submissions analysed
{f"({len(a['absent'])} students without submission left out: {e(', '.join(a['absent']))})" if a['absent'] else ""}.
Students by status: {e(', '.join(f'{k} {v}' for k, v in sorted(status_counts.items())))}.</p>
""",
             f"""<h2 id="distribution">Score distribution</h2>
<p>Mean {mean}, median {median} of {a['max_total']:g} points
(manually graded answers count 0 until graded).</p>
<img alt="histogram of total scores" src="{dist_png}">
""",
             """<h2 id="items">Items: mean score, pass rate, discrimination</h2>
<table><tr><th>notebook</th><th>item</th><th>kind</th><th>max</th><th>mean</th><th>pass rate</th>
<th>discrimination</th></tr>"""]
    for it in items:
        d = it["discrimination"]
        cls = ' class="num low"' if d == d and d < 0.2 else ' class="num"'
        kind = it["kind"] if it["graded"] else it["kind"] + " (not graded yet)"
        parts.append(f"<tr><td>{e(it['notebook'])}</td><td>{e(it['grade_id'])}</td><td>{e(kind)}</td>"
                     f"<td class=num>{it['max']:g}</td><td class=num>{_fmt(it['mean'])}</td>"
                     f"<td class=num>{_fmt(it['pass_rate'] * 100, '.0f')}%</td><td{cls}>{_fmt(d)}</td></tr>")
    parts.append(f"""</table>
<img alt="pass rate per item" src="{pass_png}">
<h2 id="failures">Most frequent failure messages</h2>
<p>First line of the error raised in the test cell (autograded notebooks), counted over students.</p>
<table><tr><th>students</th><th>notebook</th><th>item</th><th>message</th></tr>""")
    for (nb, gid, msg), n in a["failures"][:40]:
        parts.append(f"<tr><td class=num>{n}</td><td>{e(nb)}</td><td>{e(gid)}</td><td>{e(msg)}</td></tr>")
    parts.append(f"""</table>
<h2 id="discrimination">Discrimination</h2>
<p>Point-biserial correlation between passing the item (full points: 1, else 0) and the rest-score
(the student's total without this item). An item that strong students pass and weak students fail has a
high value; below 0.2 (red) the item does not separate them, or everyone passes or fails it
(n/a: no variation).</p>
<img alt="discrimination per item" src="{disc_png}">
""")
    flagged: dict[str, list[str]] = {}
    for r in rows:
        if r.flags and f"{r.notebook}: {r.flags}" not in flagged.setdefault(r.student, []):
            flagged[r.student].append(f"{r.notebook}: {r.flags}")
    flagged = {s: f for s, f in flagged.items() if f}
    if flagged:
        parts.append("""<h2 id="flags">Flagged submissions</h2>
<p>What isolated grading (course.toml <code>isolation = "judge"</code>) detected: tampered test cells,
monkeypatching, values that are not plain data, calls of the reference, timeouts, file or process access.
Flagged items earned nothing from the attempt; review them by hand.</p>
<ul>""")
        for student, lines in sorted(flagged.items()):
            parts.append(f"<li><b>{e(student)}</b>: {e(' | '.join(lines))[:1500]}</li>")
        parts.append("</ul>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


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
