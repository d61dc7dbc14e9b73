"""Feedback without hidden tests (nbgrader issue #917).

nbgrader's autograde puts the full test cells back (hidden tests included)
before it runs them, and ``generate_feedback`` renders that notebook as it is:
the student would read the hidden tests in the test cell, and again in any
traceback, whose context lines show the source around the failing line.

:class:`HideHiddenTests` is an nbgrader preprocessor added to
``GenerateFeedback.preprocessors`` (after ``GetGrades``). In the notebook being
rendered (never in autograded/), it

* replaces each ``### BEGIN HIDDEN TESTS`` .. ``### END HIDDEN TESTS`` region of a
  cell by one comment line, ``# (hidden tests: not shown)``;
* removes from every error traceback the context lines that belong to a hidden
  region: by line number in frames of the notebook's own cells (``Cell In[n],
  line k`` is mapped to the cell whose execution count is ``n``), and by text
  everywhere else; a failing line that is hidden becomes
  ``---> (a line of the hidden tests)``.

The error's name and message (the first line a student acts on) stay.
"""

from __future__ import annotations

import re

from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from labgrade.course.regions import HIDDEN, has_hidden_tests, hidden_line_numbers, marker

PLACEHOLDER = "# (hidden tests: not shown)"
HIDDEN_LINE = "---> (a line of the hidden tests)"

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
FRAME = re.compile(r"^\s*Cell\s+In\s*\[(\d+)\],\s*line\s+(\d+)")
CONTEXT = re.compile(r"^\s*(-*>)?\s*(\d+)(?: (.*))?$")
CARETS = re.compile(r"^\s*[\^~\s]+$")


def strip_hidden_source(source: str) -> str:
    lines, out, inside = source.split("\n"), [], False
    for line in lines:
        m = marker(line)
        if m is not None and m.kind == HIDDEN and m.begin:
            inside = True
            indent = re.match(r"\s*", line).group(0)
            out.append(indent + PLACEHOLDER)
            continue
        if inside:
            if m is not None and m.kind == HIDDEN:
                inside = False
            continue
        out.append(line)
    return "\n".join(out)


def _clean_frame(text: str, hidden_numbers: set[int] | None, hidden_text: set[str]) -> str:
    """Remove hidden context lines from one traceback entry (may hold several lines)."""
    lines = text.split("\n")
    out, dropped_prev = [], False
    numbers = None
    for line in lines:
        plain = ANSI.sub("", line)
        m = FRAME.match(plain)
        if m:
            numbers = hidden_numbers
            out.append(line)
            dropped_prev = False
            continue
        c = CONTEXT.match(plain)
        if c:
            arrow, number, code = c.group(1), int(c.group(2)), (c.group(3) or "")
            hidden = (numbers is not None and number in numbers) or (
                code.strip() and code.strip() in hidden_text)
            if hidden:
                if arrow:
                    out.append(HIDDEN_LINE)
                dropped_prev = True
                continue
            dropped_prev = False
            out.append(line)
            continue
        if dropped_prev and plain.strip() and CARETS.match(plain):
            continue  # the ^^^^ markers under a removed line
        dropped_prev = False
        out.append(line)
    return "\n".join(out)


def clean_traceback(traceback: list[str], cells_by_count: dict[int, set[int]], hidden_text: set[str]) -> list[str]:
    out = []
    for entry in traceback:
        plain = ANSI.sub("", entry)
        numbers = None
        m = FRAME.search(plain)
        if m:
            numbers = cells_by_count.get(int(m.group(1)), set())
        out.append(_clean_frame(entry, numbers, hidden_text))
    return out


def hide_hidden_tests(nb) -> int:
    """Strip hidden tests from ``nb`` in place. Returns the number of cells changed."""
    by_count: dict[int, set[int]] = {}
    hidden_text: set[str] = set()
    for cell in nb.cells:
        nums = hidden_line_numbers(cell.source)
        if cell.cell_type == "code" and cell.get("execution_count") is not None:
            by_count[cell.execution_count] = nums
        lines = cell.source.split("\n")
        for i in nums:
            text = lines[i - 1].strip()
            if len(text) >= 8 or text.startswith("###"):
                hidden_text.add(text)
    changed = 0
    for cell in nb.cells:
        if has_hidden_tests(cell.source):
            cell.source = strip_hidden_source(cell.source)
            changed += 1
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                new = clean_traceback(list(out.get("traceback", [])), by_count, hidden_text)
                if new != list(out.get("traceback", [])):
                    out["traceback"] = new
                    changed += 1
    return changed


class HideHiddenTests(Preprocessor):
    """nbgrader preprocessor: the feedback shows no hidden test, in cells or tracebacks."""

    enabled = Bool(True, help="strip hidden tests (nbconvert preprocessors are off by default)").tag(config=True)

    def preprocess(self, nb, resources):
        hide_hidden_tests(nb)
        return nb, resources


# --- no active content in the feedback: it is opened by the student and the instructor ------------
#
# nbconvert's HTML exporter puts the HTML of markdown cells, raw cells and text/html outputs into
# the page as it is, and runs application/javascript outputs in <script> tags; nbgrader's feedback
# template renders markdown without nbconvert's own ``clean_html`` even with ``sanitize_html``. The
# feedback is generated with ``HTMLExporter.sanitize_html = True`` (no javascript or widget outputs,
# SVG as <img>), with this module's ``markdown2html`` and ``clean_html`` as the exporter's filters
# (every piece of notebook HTML passes an allow-list: formatting, tables, links, embedded images; no
# script, no event handlers, no style, no javascript: or data: links, no image from a URL), and
# with :class:`SanitizeFeedback`, which keeps only outputs the page renders safely.

SAFE_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p", "pre", "q", "s",
    "samp", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "u", "ul", "var",
})
SAFE_PROTOCOLS = frozenset({"http", "https", "mailto", "data"})
IMAGE_DATA = re.compile(r"data:image/(png|jpeg|gif|webp|svg\+xml)[;,]", re.I)
OUTPUT_MIMES = ("text/plain", "text/html", "text/markdown", "text/latex", "image/png", "image/jpeg",
                "image/svg+xml")
BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*")
GRADE_ID = re.compile(r"[^A-Za-z0-9_.:-]")
OUTPUT_TEXT_MAX = 100_000    # characters of one output's text kept in the feedback
ERROR_TEXT_MAX = 20_000      # characters of an error message, and of each traceback entry


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    if name in ("class", "id", "title"):
        return True
    if tag == "a" and name == "href":
        v = value.strip().lower()
        return v.startswith(("http:", "https:", "mailto:", "#")) or ":" not in v.split("/")[0]
    if tag == "img" and name == "src":
        v = value.strip()
        return bool(IMAGE_DATA.match(v))      # embedded images only: the page loads nothing from elsewhere
    if tag == "img" and name in ("alt", "width", "height"):
        return True
    if tag in ("td", "th") and name in ("colspan", "rowspan", "align"):
        return True
    if tag in ("ol",) and name == "start":
        return True
    return False


def clean_html(html) -> str:
    """The HTML with everything outside the allow-list escaped (shown as text, never run)."""
    import bleach  # bleach: only when feedback HTML is cleaned (nbconvert's process)

    text = html.decode("utf-8", "replace") if isinstance(html, bytes) else str(html)
    return bleach.clean(text, tags=SAFE_TAGS, attributes=_allowed_attribute, protocols=SAFE_PROTOCOLS,
                        strip=False, strip_comments=True)


def _markdown2html(context, source) -> str:
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath  # nbconvert's markdown renderer

    cell = context.get("cell", {}) or {}
    attachments = cell.get("attachments", {}) if hasattr(cell, "get") else {}
    path = (context.get("resources", {}) or {}).get("metadata", {}).get("path", "")
    renderer = IPythonRenderer(escape=False, attachments=attachments, embed_images=False, path=path)
    return clean_html(MarkdownWithMath(renderer=renderer).render(source))


def _pass_context(fn):
    from jinja2 import pass_context  # Jinja2: only when HTML is rendered

    return pass_context(fn)


markdown2html = _pass_context(_markdown2html)
markdown2html.__doc__ = "nbconvert's markdown2html (mistune, math kept for MathJax), then :func:`clean_html`."


def _image_ok(value) -> bool:
    return isinstance(value, str) and bool(BASE64.fullmatch(value))


def sanitize_output(output) -> bool:
    """Make one output safe to render, in place; False if it is to be dropped."""
    kind = output.get("output_type")
    if kind == "stream":
        text = output.get("text", "")
        output["text"] = text if isinstance(text, str) else "".join(map(str, text))
        output["text"] = output["text"][:OUTPUT_TEXT_MAX]
        return True
    if kind == "error":
        output["ename"] = str(output.get("ename", "Error"))[:500]
        output["evalue"] = str(output.get("evalue", ""))[:ERROR_TEXT_MAX]
        output["traceback"] = [str(t)[:ERROR_TEXT_MAX] for t in list(output.get("traceback", []))[:100]]
        return True
    if kind not in ("display_data", "execute_result"):
        return False
    data = {}
    for mime in OUTPUT_MIMES:
        value = output.get("data", {}).get(mime)
        if value is None:
            continue
        if not isinstance(value, str):
            value = "".join(map(str, value)) if isinstance(value, list) else str(value)
        if mime in ("image/png", "image/jpeg") and not _image_ok(value):
            continue
        data[mime] = value if mime.startswith("image/") else value[:OUTPUT_TEXT_MAX]
    if not data:
        return False
    meta = {}
    for mime, m in dict(output.get("metadata", {})).items():
        if mime in ("image/png", "image/jpeg") and hasattr(m, "items"):
            size = {k: v for k, v in m.items() if k in ("width", "height") and isinstance(v, int | float)}
            if size:
                meta[mime] = size
    output["data"] = data
    output["metadata"] = meta
    for key in list(output):
        if key not in ("output_type", "data", "metadata", "execution_count"):
            del output[key]
    return True


def sanitize_notebook(nb) -> None:
    """Outputs reduced to what renders safely; nbgrader ids made plain; notebook widgets dropped."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        meta = cell.get("metadata", {})
        ng = meta.get("nbgrader") if hasattr(meta, "get") else None
        if hasattr(ng, "get") and ng.get("grade_id") is not None:
            ng["grade_id"] = GRADE_ID.sub("_", str(ng["grade_id"]))[:100]
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", []) if sanitize_output(o)]
        elif "attachments" in cell:
            cell.attachments = {name: {m: v for m, v in (att or {}).items()
                                       if m.startswith("image/") and _image_ok(v)}
                                for name, att in dict(cell.attachments).items()}


class SanitizeFeedback(Preprocessor):
    """nbgrader preprocessor (generate_feedback): only outputs that render without active content."""

    enabled = Bool(True, help="sanitize the notebook before rendering the feedback").tag(config=True)

    def preprocess(self, nb, resources):
        sanitize_notebook(nb)
        return nb, resources


# --- the page itself ---------------------------------------------------------------------------------------

IMG_WITHOUT_ALT = re.compile(r"<img\b(?![^>]*\balt=)", re.I)
NO_ALT = "No description has been provided for this image"     # nbconvert's words


class FeedbackHTMLExporter(HTMLExporter):
    """nbconvert's :class:`~nbconvert.exporters.HTMLExporter` without its BeautifulSoup pass.

    After rendering, nbconvert parses the whole page again (2 MB a student, mostly CSS) to give
    images without one an ``alt`` text and to make JupyterLab-template cells focusable
    (``tabindex`` on ``.jp-Cell-inputWrapper`` and ``.jp-OutputArea-output``): 1.1 s of a
    student's feedback. nbgrader's feedback template is the classic one, which has no ``jp-``
    cells, so the second part never applies; the ``alt`` text is added here by one regular
    expression over the tags (every piece of notebook HTML has been through :func:`clean_html`
    by then, so an ``<img`` in the page is a tag, never text). The rest is
    ``HTMLExporter.from_notebook_node`` of nbconvert 7.17 as it is (the pinned version;
    ``tests/labgrade/reports/test_feedback_exporter.py`` checks the pages are the same).
    Used as ``GenerateFeedback.exporter_class`` (``labgrade.grading.runner.FEEDBACK_OPTIONS``).
    """

    def from_notebook_node(self, nb, resources=None, **kw):
        from nbconvert.exporters.templateexporter import TemplateExporter
        from nbconvert.filters.highlight import Highlight2HTML
        from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        highlight_code = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
        resources = self._init_resources(resources)
        filter_data_type = WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self,
                                                 resources=resources)
        self.register_filter("highlight_code", highlight_code)
        self.register_filter("filter_data_type", filter_data_type)
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        html, missing = IMG_WITHOUT_ALT.subn(f'<img alt="{NO_ALT}"', html)
        if missing:
            self.log.warning("Alternative text is missing on %s image(s).", missing)
        return html, resources
