"""End to end, in headless Chromium: a student works on the Part 2 release notebook in the
JupyterLab that ``make lab`` starts.

1. opens ``weight_init/02_initialization_strategies.ipynb`` (nbgrader's Validate button is
   in the notebook toolbar);
2. types a correct ``xavier_normal`` into its exercise cell, runs the notebook, and sees
   the visible test ``test_xavier_normal`` pass (no error under it; the next, unanswered
   exercise's test stops the run with ``NotImplementedError``);
3. clicks **Validate** and reads nbgrader's verdict: the unanswered exercises fail, the
   answered one does not;
4. opens a copy of the notebook with a wrong ``xavier_normal`` (the variance where the
   standard deviation belongs), runs it, and reads the failing test's message with its hint;
5. opens Nbgrader > Assignment List: ``weight_init`` is listed as downloaded, each of its
   notebooks with a Validate button (the only entry of the Nbgrader menu: the instructor
   tools are off).

A screenshot of each step goes to test-artifacts/browser/ (git-ignored), with the server's
log; on a failure, ``failure.png`` shows the page as it was.
"""

from __future__ import annotations

import json
import re
import textwrap
import time
from pathlib import Path

import pytest

from labgrade.course.paths import ASSIGNMENT

pytestmark = [pytest.mark.browser, pytest.mark.slow]   # slow: `make test-fast` leaves it out

NOTEBOOK = "02_initialization_strategies.ipynb"
EXERCISE = "xavier_normal"            # grade_id of the solution cell
TEST = "test_xavier_normal"           # grade_id of its visible test cell
NEXT_TEST = "test_xavier_uniform"     # the next exercise's test, unanswered in the release
CORRECT = textwrap.dedent('''\
    def xavier_normal(shape, gain=1.0, *, rng=None):
        """Xavier/Glorot normal: N(0, sigma^2), sigma = gain * sqrt(2 / (fan_in + fan_out))."""
        rng = np.random.default_rng(rng)
        fan_in, fan_out = initlab.compute_fans(shape)
        return rng.normal(0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), size=tuple(shape))
    ''')
WRONG = textwrap.dedent('''\
    def xavier_normal(shape, gain=1.0, *, rng=None):
        """Xavier/Glorot normal: N(0, sigma^2), sigma = gain * sqrt(2 / (fan_in + fan_out))."""
        rng = np.random.default_rng(rng)
        fan_in, fan_out = initlab.compute_fans(shape)
        return rng.normal(0.0, gain * 2.0 / (fan_in + fan_out), size=tuple(shape))
    ''')
WRONG_DIR = "wrong_answer"
# what the student must read under test_xavier_normal when the answer is WRONG
FAILURE_MESSAGE = ("AssertionError", "xavier_normal((64, 128)) has std",
                   "It looks like you return the variance where the standard deviation belongs")

STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
VALIDATE = ".jp-NotebookPanel-toolbar .validate-button"


# ------------------------------------------------------------------ helpers

def cell_index(nb_path: Path, grade_id: str) -> int:
    cells = json.loads(nb_path.read_text())["cells"]
    for i, cell in enumerate(cells):
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            return i
    raise AssertionError(f"{nb_path.name} has no cell with grade_id {grade_id!r}")


def prepare_wrong_answer(workdir: Path) -> Path:
    """A copy of the release notebook whose exercise holds a wrong answer."""
    src = workdir / ASSIGNMENT / NOTEBOOK
    nb = json.loads(src.read_text())
    nb["cells"][cell_index(src, EXERCISE)]["source"] = WRONG.splitlines(keepends=True)
    dst = workdir / WRONG_DIR / NOTEBOOK
    dst.parent.mkdir(exist_ok=True)
    dst.write_text(json.dumps(nb, indent=1) + "\n")
    return dst


class Student:
    """What a student does in JupyterLab, with a screenshot per step."""

    def __init__(self, page, lab, artifacts: Path):
        self.page, self.lab, self.artifacts = page, lab, artifacts

    def shot(self, name: str) -> Path:
        path = self.artifacts / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def panel(self):
        return self.page.locator(".jp-NotebookPanel >> visible=true")

    def cell(self, index: int):
        return self.panel().locator(".jp-Notebook .jp-Cell").nth(index)

    def open(self, path: str, n_cells: int) -> None:
        self.page.goto(self.lab.url(path) + "&reset")   # reset: a fresh workspace, this notebook alone
        self.panel().locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
        try:
            self.page.wait_for_selector(VALIDATE, timeout=30_000)
        except Exception:
            pytest.fail("nbgrader's Validate button (.validate-button) is not in the notebook toolbar "
                        "30 s after the notebook opened: the @jupyter/nbgrader labextension did not load"
                        f"\nbrowser errors: {self.page.console_errors}"
                        f"\n--- server log:\n{self.lab.log_tail()}", pytrace=False)
        cells = self.panel().locator(".jp-Notebook .jp-Cell")
        deadline = time.monotonic() + 30
        while cells.count() < n_cells and time.monotonic() < deadline:   # cells attach progressively
            time.sleep(0.2)
        assert cells.count() == n_cells, f"{path}: {cells.count()} cells on the page, {n_cells} in the file"
        self.wait_kernel_idle(timeout=60)

    def kernel_status(self) -> str | None:
        return self.panel().locator(".jp-Notebook-ExecutionIndicator").first.get_attribute("data-status")

    def status_bar(self) -> str:
        return self.page.locator("#jp-main-statusbar").inner_text()

    def wait_kernel_idle(self, timeout: float) -> None:
        """The kernel has started and is idle (the status bar reads "<kernel> | Idle")."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.kernel_status() == "idle" and re.search(r"\|\s*Idle", self.status_bar()):
                return
            time.sleep(0.2)
        raise AssertionError(f"the kernel is not idle after {timeout:.0f} s (status bar "
                             f"{self.status_bar()!r})\n--- server log:\n{self.lab.log_tail()}")

    def type_into(self, index: int, code: str) -> None:
        editor = self.cell(index).locator(".cm-content")
        editor.click()
        self.page.keyboard.press("Control+A")
        self.page.keyboard.press("Delete")
        # one input event, as a paste: CodeMirror adds no indentation or brackets of its own
        self.page.keyboard.insert_text(code.rstrip("\n"))
        self.page.keyboard.press("Escape")
        got = editor.inner_text().replace("\u00a0", " ")
        assert got.strip() == code.strip(), f"the cell holds\n{got}\ninstead of\n{code}"

    def run_all(self, until_index: int, timeout: float = 90) -> None:
        """Run > Run All Cells, and wait until the run has stopped at or after ``until_index``."""
        self.page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
        self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        deadline = time.monotonic() + timeout
        prompt = self.cell(until_index).locator(".jp-InputPrompt")
        while time.monotonic() < deadline:
            text = prompt.inner_text()
            if re.search(r"\[\d+\]", text) and self.kernel_status() == "idle":
                busy = self.panel().locator(".jp-InputPrompt", has_text="[*]").count()
                if not busy:
                    return
            time.sleep(0.25)
        raise AssertionError(f"cell {until_index} did not run within {timeout:.0f} s "
                             f"(prompt {prompt.inner_text()!r}, kernel {self.kernel_status()!r})")

    def scroll_to(self, index: int) -> None:
        self.cell(index).evaluate("e => e.scrollIntoView({block: 'start'})")
        time.sleep(0.3)

    def errors_under(self, index: int) -> str:
        out = self.cell(index).locator(STDERR)
        return "\n".join(out.nth(i).inner_text() for i in range(out.count()))


# ------------------------------------------------------------------ the test

def test_student_works_validates_and_reads_a_failing_test(page, student_lab, artifacts):
    started = time.monotonic()
    release_nb = student_lab.workdir / ASSIGNMENT / NOTEBOOK
    assert release_nb.exists(), f"{NOTEBOOK} is not in the student release release/{ASSIGNMENT}/"
    n_cells = len(json.loads(release_nb.read_text())["cells"])
    exercise, test, next_test = (cell_index(release_nb, g) for g in (EXERCISE, TEST, NEXT_TEST))
    wrong_nb = prepare_wrong_answer(student_lab.workdir)
    student = Student(page, student_lab, artifacts)
    try:
        # 1. open the Part 2 release notebook
        student.open(f"{ASSIGNMENT}/{NOTEBOOK}", n_cells)
        assert "YOUR CODE HERE" in student.cell(exercise).inner_text(), "the release exercise is not a stub"
        student.scroll_to(exercise)
        student.shot("1_open_release_notebook")

        # 2. answer one exercise, run the notebook, see its visible test pass
        student.type_into(exercise, CORRECT)
        student.run_all(until_index=next_test)
        assert re.search(r"\[\d+\]", student.cell(test).locator(".jp-InputPrompt").inner_text()), \
            f"{TEST} did not run"
        errors = student.errors_under(test)
        assert not errors, f"{TEST} fails with a correct {EXERCISE}:\n{errors}"
        assert "NotImplementedError" in student.errors_under(next_test), \
            f"the run should stop at the unanswered exercise's test {NEXT_TEST}"
        student.scroll_to(exercise)
        student.shot("2_answer_passes_visible_test")

        # 3. nbgrader's Validate button: saves, runs the notebook on the server, shows a verdict
        page.locator(VALIDATE).click()
        dialog = page.locator(".jp-Dialog")
        dialog.wait_for(timeout=90_000)
        title = dialog.locator(".jp-Dialog-header").inner_text()
        if title.strip() != "Validation Results":
            student.shot("3_validate_verdict")
            pytest.fail(f"the Validate button did not validate: dialog {title!r}: "
                        f"{dialog.locator('.jp-Dialog-body').inner_text()}", pytrace=False)
        message = dialog.locator("#validation-message")
        verdict = message.inner_text()
        assert "validation-failed" in (message.get_attribute("class") or ""), verdict
        assert "The following cell failed" in verdict and "NotImplementedError" in verdict, verdict
        assert f"{EXERCISE}((64, 128)" not in verdict, \
            f"validation reports {TEST} failing although the saved answer is correct:\n{verdict}"
        student.shot("3_validate_verdict")
        dialog.locator(".jp-Dialog-footer button").first.click()
        dialog.wait_for(state="detached", timeout=10_000)

        # 4. a notebook with a wrong answer: the failing test's message, with its hint
        student.open(f"{WRONG_DIR}/{NOTEBOOK}", n_cells)
        student.run_all(until_index=test)
        errors = student.errors_under(test)
        for piece in FAILURE_MESSAGE:
            assert piece in errors, f"the output of {TEST} lacks {piece!r}:\n{errors}"
        student.scroll_to(test)
        student.shot("4_wrong_answer_assertion_message")

        # 5. nbgrader's Assignment List (the student's menu holds nothing else)
        page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Nbgrader$")).click()
        entries = page.locator(".lm-Menu-content .lm-Menu-itemLabel").all_inner_texts()
        assert [e for e in entries if e.strip()] == ["Assignment List"], entries
        page.locator(".lm-Menu-itemLabel", has_text="Assignment List").click()
        downloaded = page.locator("#fetched_assignments_list")
        downloaded.get_by_text(ASSIGNMENT, exact=True).first.click()
        page.get_by_text(NOTEBOOK.removesuffix(".ipynb"), exact=True).first.wait_for(timeout=30_000)
        buttons = downloaded.locator("button", has_text=re.compile(r"^Validate$"))
        n_release = len(list((student_lab.workdir / ASSIGNMENT).glob("[0-9][0-9]_*.ipynb")))
        assert buttons.count() == n_release, f"{buttons.count()} Validate buttons for {n_release} notebooks"
        time.sleep(0.5)
        student.shot("5_assignment_list")
    except BaseException:
        try:
            student.shot("failure")
        finally:
            raise
    assert wrong_nb.exists()
    print(f"browser steps: {time.monotonic() - started:.1f} s; screenshots in {artifacts}")
