"""Issue 12, class 7: everything a student writes is untrusted text, wherever it ends up.

End to end (the class of :mod:`staging_class`, graded once): the ``xss`` student's notebook carries
``<script>``, event handlers, ``javascript:`` links, raw HTML cells, HTML / JavaScript / Markdown /
SVG outputs, a forged PNG and a solution whose error message (echoed into grades.csv and the
report) is a spreadsheet formula with a script, 3 MB long; six students have hostile ids. Then no
CSV cell starts a formula, holds a control character or exceeds the cap, the CSV files read with the
csv module's default field limit, and neither the report nor the feedback contains active content
with the payloads. Plus unit tests of the neutralizer, the report and the feedback sanitizer.
"""

from __future__ import annotations

import csv
from html.parser import HTMLParser

import nbformat
import pytest

from helpers import staging_class as sc
from labgrade.course.paths import ASSIGNMENT
from labgrade.grading.results import Row, StudentSummary, write_grades_csv, write_students_csv
from labgrade.grading.untrusted import CELL_MAX, csv_cell, plain
from labgrade.reports.feedback import clean_html, sanitize_notebook
from labgrade.reports.report import render

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
DEFAULT_CSV_LIMIT = 131072


@pytest.fixture(scope="module")
def graded():
    return sc.graded_class()


class Audit(HTMLParser):
    """Where a marker shows up in an HTML page: as active content (script, handler, URL) or as text."""

    ACTIVE_ATTRS = {"href", "src", "srcdoc", "action", "formaction", "data", "style", "xlink:href", "background"}
    ACTIVE_TAGS = {"script", "style", "iframe", "object", "embed", "base", "meta", "link", "form", "svg", "math"}

    def __init__(self, marker: str):
        super().__init__(convert_charrefs=True)
        self.marker = marker
        self.active: list[str] = []
        self.text = []
        self.stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") and self.marker in value:
                self.active.append(f"<{tag} {name}={value[:80]!r}>")
            if name in self.ACTIVE_ATTRS and (self.marker in value or value.strip().lower().startswith("javascript:")):
                self.active.append(f"<{tag} {name}={value[:80]!r}>")
        if tag in self.ACTIVE_TAGS and any(self.marker in (v or "") for _, v in attrs):
            self.active.append(f"<{tag}> with the marker in an attribute")
        if tag not in ("br", "img", "hr", "meta", "link", "input", "col", "area", "base", "wbr", "source"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        if self.marker in data:
            inside = [t for t in self.stack if t in self.ACTIVE_TAGS]
            if inside:
                self.active.append(f"marker inside <{inside[-1]}>: {data.strip()[:80]!r}")
            else:
                self.text.append(data)


def audit(html: str, marker: str) -> Audit:
    a = Audit(marker)
    a.feed(html)
    a.close()
    return a


def _rows(path):
    saved = csv.field_size_limit(DEFAULT_CSV_LIMIT)      # read as a default reader would
    try:
        with open(path, newline="") as fh:
            return list(csv.reader(fh))
    finally:
        csv.field_size_limit(saved)


# --- end to end ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["grades.csv", "students.csv"])
def test_csv_cells_are_inert_and_capped(graded, name):
    path = graded["ws"].reports / name
    assert path.stat().st_size < 200_000
    rows = _rows(path)
    assert len(rows) > 10
    for row in rows:
        for cell in row:
            assert not cell.startswith(TRIGGERS), cell[:80]
            assert len(cell) <= CELL_MAX + 1, len(cell)
            assert cell.isprintable(), repr(cell[:80])


def test_formula_and_script_messages_are_text(graded):
    ws = graded["ws"]
    rows = [r for r in _rows(ws.reports / "grades.csv") if r[0] == "xss"]
    msg = {r[2]: r[6] for r in rows}["test_theoretical_std"]
    assert msg.startswith("ValueError: " + sc.FORMULA), msg[:100]
    assert msg.endswith("\u2026") and len(msg) <= CELL_MAX
    students = {r[0]: r for r in _rows(ws.reports / "students.csv")}
    assert "'=HYPERLINK(\"evil.example\",\"x\")" in students       # the id, shown as text
    assert "'-rf" in students and "new\\nline" in students


def test_report_has_no_active_content_and_is_capped(graded):
    html = (graded["ws"].reports / "item_analysis.html").read_text()
    assert len(html) < 2_000_000
    a = audit(html, sc.XSS)
    assert not a.active, a.active
    assert any(sc.XSS in t for t in a.text), "the xss message should be shown, as text"
    assert "<script" not in html.lower()


def test_feedback_has_no_active_content(graded):
    ws = graded["ws"]
    page = ws.feedback / "xss" / ASSIGNMENT / f"{sc.NB}.html"
    html = page.read_text()
    assert len(html) < 2_000_000
    a = audit(html, sc.XSS)
    assert not a.active, a.active
    shown = "\n".join(a.text)
    for part in ("-md", "-raw", "-html", "-mdout"):      # scripts are shown as text (handlers are dropped)
        assert sc.XSS + part in shown, f"{part}: the payload should be shown as text, not dropped or run"
    assert 'src="../../../gradebook.db"' not in html
    # the page is still nbgrader's feedback: scores and the student's answer are there
    assert "Score:" in html and "theoretical_std" in html


def test_feedback_of_honest_student_keeps_its_markup(graded):
    html = (graded["ws"].feedback / sc.VICTIM / ASSIGNMENT / f"{sc.NB}.html").read_text()
    assert "<h1" in html and "<strong>" in html and "&lt;p&gt;" not in html and "&lt;h1" not in html


# --- units ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", " =1", "\uff1dcmd",
                                   "=cmd|' /C calc'!A0", "=HYPERLINK(\"http://x\",\"y\")", "\x00=1", "\n=1"])
def test_csv_cell_neutralizes_formulas(value):
    cell = csv_cell(value)
    assert cell.startswith("'"), cell
    assert cell.isprintable()


@pytest.mark.parametrize("value", ["AssertionError: x is 1", "s01_correct", "0.5", "", "graded"])
def test_csv_cell_leaves_plain_text(value):
    assert csv_cell(value) == value


def test_plain_strips_controls_and_caps():
    assert plain("a\nb\r\nc \x1b[31mred\x1b[0m\u202eevil\u200b\x00") == "a b c red evil"
    huge = "x" * 5_000_000
    out = csv_cell(huge)
    assert len(out) == CELL_MAX and out.endswith("\u2026")
    assert plain(None) == ""


def test_csv_files_round_trip_hostile_rows(tmp_path):
    msg = "=cmd|' /C calc'!A0\n<script>alert(1)</script>" + "A" * 3_000_000
    rows = [Row("=evil", "01_x", "test_a", 0, 3, "graded", msg, flags="+flag\x1b[2J")]
    write_grades_csv(rows, tmp_path / "g.csv")
    write_students_csv([StudentSummary("-rf", "graded", 0, 3, 0, {}, msg)], tmp_path / "s.csv")
    for name in ("g.csv", "s.csv"):
        assert (tmp_path / name).stat().st_size < 2000
        for row in _rows(tmp_path / name)[1:]:
            assert all(not c.startswith(TRIGGERS) and c.isprintable() for c in row), row


def test_report_escapes_and_caps():
    msg = "<script>alert('X-1')</script>" + "B" * 5_000_000
    rows = [Row(f"s{i}", "01_x", "test_a", 0, 3, "graded", msg, flags=f"<img src=x onerror=alert('X-1')> {i}" * 1000)
            for i in range(3)]
    rows.append(Row("\"><script>alert('X-1')</script>", "01_x", "test_a", 0, 3, "failed", "refused", ""))
    summaries = [StudentSummary(r.student, r.status, 0, 3, 0, {}, "") for r in rows]
    html = render(rows, summaries, "t<script>alert('X-1')</script>")
    assert len(html) < 500_000
    a = audit(html, "X-1")
    assert not a.active, a.active
    assert "<script" not in html.lower()


def test_clean_html_allow_list():
    dirty = ("<script>alert('X-2')</script><img src=x onerror=\"alert('X-2')\">"
             "<a href=\"javascript:alert('X-2')\">a</a>"
             "<a href=\"data:text/html,<script>alert('X-2')</script>\">d</a><iframe src=\"/X-2\"></iframe>"
             "<svg onload=\"alert('X-2')\"></svg><p style=\"background:url(javascript:X-2)\">p</p>"
             "<img src=\"data:image/png;base64,AAAA\" alt=\"ok\"><a href=\"https://example.org/\">ok</a>"
             "<table><tr><td colspan=\"2\"><b>ok</b></td></tr></table><h2 id=\"x\">h</h2>")
    out = clean_html(dirty)
    a = audit(out, "X-2")
    assert not a.active, a.active
    assert '<img alt="ok" src="data:image/png;base64,AAAA">' in out or 'src="data:image/png;base64,AAAA"' in out
    assert '<a href="https://example.org/">ok</a>' in out
    assert "<table>" in out and "<b>ok</b>" in out and '<h2 id="x">' in out


def test_sanitize_notebook_keeps_only_safe_outputs():
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"x": "</script><script>X-3"}}
    code = nbformat.v4.new_code_cell("x", metadata={"nbgrader": {"grade_id": "a\"><script>X-3</script>"}})
    code.outputs = [
        nbformat.v4.new_output("display_data", data={"application/javascript": "X-3()", "text/plain": "ok"}),
        nbformat.v4.new_output("display_data", data={"image/png": "\"><script>X-3</script>"}),
        nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo="},
                               metadata={"filenames": {"image/png": "../../gradebook.db"},
                                         "image/png": {"width": 10, "onload": "X-3"}}),
        nbformat.v4.new_output("display_data", data={"application/vnd.jupyter.widget-view+json": {"model_id": "X-3"}}),
        nbformat.v4.new_output("stream", name="stdout", text="s" * 1_000_000),
    ]
    nb.cells = [code]
    sanitize_notebook(nb)
    assert "widgets" not in nb.metadata
    outs = nb.cells[0].outputs
    assert [list(o.get("data", {})) for o in outs] == [["text/plain"], ["image/png"], []]
    assert outs[1].metadata == {"image/png": {"width": 10}}
    assert len(outs[2].text) <= 100_000
    assert "<" not in nb.cells[0].metadata["nbgrader"]["grade_id"]
    text = nbformat.writes(nb).replace(nb.cells[0].metadata["nbgrader"]["grade_id"], "")
    assert "X-3" not in text
