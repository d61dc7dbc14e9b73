"""labgrade.reports.feedback.FeedbackHTMLExporter: nbgrader's feedback page, without nbconvert's
second parse of it. The pages must be those nbconvert makes, the parse's changes aside."""

from __future__ import annotations

import base64
import os

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbconvert.exporters import HTMLExporter
from traitlets.config import Config

from labgrade.reports.feedback import NO_ALT, FeedbackHTMLExporter, clean_html, markdown2html

PNG = base64.b64encode(bytes.fromhex(      # a 1x1 PNG
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082")).decode()


def feedback_config() -> Config:
    """What ``nbgrader generate_feedback`` and labgrade's options give the exporter."""
    import nbgrader.converters.generate_feedback as gf

    here = os.path.dirname(gf.__file__)
    c = Config()
    c.HTMLExporter.template_name = "feedback"
    c.HTMLExporter.extra_template_basedirs = [os.path.abspath(os.path.join(here, "..", "server_extensions",
                                                                           "formgrader", "templates"))]
    c.HTMLExporter.extra_template_paths = [os.path.abspath(os.path.join(
        here, "..", "server_extensions", "formgrader", "static", "node_modules", "bootstrap", "dist", "css"))]
    c.HTMLExporter.sanitize_html = True
    c.HTMLExporter.filters = {"markdown2html": markdown2html, "clean_html": clean_html}
    return c


def notebook(seed: int) -> nbformat.NotebookNode:
    """A graded-looking notebook: markdown with and without images, code with text, HTML, images,
    an error, and text that looks like tags (``<img`` written by a student)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    words = ["<img src=x onerror=alert(1)>", "a < b > c", f"seed {seed}", "alt=\"fake\"", "<IMG", "&lt;img"]
    md = (f"# Part {seed}\n\n{words[seed % len(words)]}\n\n"
          f"![a plot](data:image/png;base64,{PNG})\n\n<img src=\"data:image/png;base64,{PNG}\">\n")
    nb.cells.append(nbformat.v4.new_markdown_cell(md))
    code = nbformat.v4.new_code_cell(f"print({words[(seed + 1) % len(words)]!r})", execution_count=1)
    code.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": f"test_{seed}", "points": 2,
                                 "score": seed % 3, "locked": True}
    code.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text=words[(seed + 2) % len(words)] + "\n"),
        nbformat.v4.new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"}),
        nbformat.v4.new_output("execute_result", execution_count=1,
                               data={"text/html": f"<b>{words[(seed + 3) % len(words)]}</b>"
                                                  f"<img src=\"data:image/png;base64,{PNG}\" alt=\"kept\">",
                                     "text/plain": "x"}),
        nbformat.v4.new_output("error", ename="AssertionError", evalue=words[(seed + 4) % len(words)],
                               traceback=["Traceback", f"<img {seed}>"]),
    ]
    nb.cells.append(code)
    return nb


def nbconvert_post_pass(html: str) -> str:
    """What nbconvert 7.17's ``HTMLExporter.from_notebook_node`` does after rendering."""
    soup = BeautifulSoup(html, features="html.parser")
    for elem in soup.select("img:not([alt])"):
        elem.attrs["alt"] = NO_ALT
    for elem in soup.select(".jp-Notebook div.jp-Cell-inputWrapper"):
        elem.attrs["tabindex"] = "0"
    for elem in soup.select(".jp-Notebook div.jp-OutputArea-output"):
        elem.attrs["tabindex"] = "0"
    return str(soup)


@pytest.mark.parametrize("seed", range(6))
def test_the_page_is_nbconverts_without_the_second_parse(seed):
    nb = notebook(seed)
    res = {"nbgrader": {"score": seed % 3, "max_score": 2, "late_penalty": 0, "notebook": f"part_{seed}"}}
    theirs, _ = HTMLExporter(config=feedback_config()).from_notebook_node(nb, resources=dict(res))
    ours, _ = FeedbackHTMLExporter(config=feedback_config()).from_notebook_node(nb, resources=dict(res))
    assert "jp-Cell-inputWrapper" not in theirs         # the classic template: nothing to make focusable
    assert ours != theirs                              # (the parse re-serializes: not byte-equal)
    assert nbconvert_post_pass(ours) == theirs         # ... and nothing else differs
    # every image has an alt text, the ones that had one keep it, and no tag was added
    soup = BeautifulSoup(ours, features="html.parser")
    imgs = soup.find_all("img")
    assert imgs and all(img.get("alt") for img in imgs)
    assert any(img["alt"] == "kept" for img in imgs) and any(img["alt"] == NO_ALT for img in imgs)
    assert len(imgs) == len(BeautifulSoup(theirs, features="html.parser").find_all("img"))
    # the student's text stays text
    assert not soup.find_all("img", onerror=True) and not soup.find_all("img", src="x")


def test_generate_feedback_uses_it():
    from labgrade.grading.runner import FEEDBACK_OPTIONS

    assert "--GenerateFeedback.exporter_class=labgrade.reports.feedback.FeedbackHTMLExporter" in FEEDBACK_OPTIONS
