"""The whole course cycle on the course's JupyterHub, in headless Chromium (Debian's), as users do it.

The hub (labgrade.hub, as ``make hub`` starts it) runs an instructor and two students as separate Unix
users; the students' servers run from the student bundle's environment, the instructor's on a private
copy of the course. In the browser:

1. the instructor generates and releases ``weight_init`` in formgrader;
2. student 1 fetches it from the Assignment List, answers every exercise with the model answer (the
   files written as that user; ``xavier_normal`` of Part 2 **typed** in JupyterLab), clicks Validate
   (success) and submits;
3. student 2 fetches, answers with one catalogued mistake (labgrade.variants.answers'
   ``xavier_normal_variance_as_std``), clicks Validate (the failing test and its hint), and submits;
4. the instructor runs ``labgrade collect`` and ``labgrade grade --notebooks 01,02`` **as the
   instructor's Unix user** (the grading sandbox unprivileged), then grades the written answer of
   Part 1 in formgrader (score and comment) and runs ``labgrade release-feedback``;
5. each student fetches feedback in the Assignment List and reads their own scores, hints and comment,
   and nobody else's.

What a student cannot do is asserted as that Unix user (``runuser``) and through the hub in the browser:
read another student's home, the instructor's course copy (source/, the gradebook, submitted/), list the
exchange's inbound or feedback folders, import labgrade, open another user's server or formgrader.
Finally the hub is stopped and no process of its users is left. Screenshots in test-artifacts/hub/.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import nbformat
import pytest

from labgrade.course.paths import ASSIGNMENT, course_root
from labgrade.variants.answers import WRONG
from labgrade.variants.sample import complete_notebook

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.hub]

ROOT = course_root()
NB1, NB2 = "01_mathematical_foundations", "02_initialization_strategies"
TYPED = "xavier_normal"                       # the exercise student 1 types in the browser
MISTAKE = next(a for a in WRONG if a.id == "xavier_normal_variance_as_std")
MANUAL = "answer_zero_init"                   # Part 1's written answer (2 points, manual)
VALIDATE = ".jp-NotebookPanel-toolbar .validate-button"
POINTS = {NB1: 6, NB2: 21}                    # autograded points of the two graded notebooks
COMMENTS = {0: "Right: identical rows get identical gradients, symmetry is never broken.",
            1: "Half right: say why the gradients of all hidden units stay equal."}


def cell_index(nb, grade_id: str) -> int:
    for i, cell in enumerate(nb.cells):
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return i
    raise AssertionError(f"no cell {grade_id!r}")


def as_user(user: str, *cmd: str, input: str | None = None) -> subprocess.CompletedProcess:
    """``cmd`` as ``user``, in a clean environment (nothing of the test's PYTHONPATH or venv)."""
    return subprocess.run(["runuser", "-u", user, "--", "env", "-i", "PATH=/usr/bin:/bin", "LANG=C.UTF-8", *cmd],
                          input=input, capture_output=True, text=True)


def answer(student: str, home: Path, *, leave_stub: str | None = None, mistake=None) -> dict[str, str]:
    """Write the model answers into the student's fetched notebooks, as the student. Returns the
    sources of the cells left to type."""
    to_type = {}
    for path in sorted((home / ASSIGNMENT).glob("[0-9][0-9]_*.ipynb")):
        release = nbformat.read(path, as_version=4)
        source = nbformat.read(ROOT / "source" / ASSIGNMENT / path.name, as_version=4)
        nb = complete_notebook(release, source, path.stem)
        if mistake is not None and path.stem.startswith(mistake.notebook):
            cell = nb.cells[cell_index(nb, mistake.grade_id)]
            for old, new in mistake.subs:
                assert old in cell.source, f"{mistake.id}: {old!r} not in the model answer"
                cell.source = cell.source.replace(old, new)
        if leave_stub and path.stem == NB2:
            i = cell_index(nb, leave_stub)
            to_type[leave_stub] = nb.cells[i].source
            nb.cells[i].source = release.cells[i].source
        res = as_user(student, "tee", str(path), input=nbformat.writes(nb) + "\n")
        assert res.returncode == 0, res.stderr
    return to_type


class User:
    """One person at the browser, logged in to the hub (a browser context of their own)."""

    def __init__(self, browser, hub, account, artifacts: Path):
        self.hub, self.account, self.artifacts = hub, account, artifacts
        self.context = browser.new_context(viewport={"width": 1400, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(60_000)

    @property
    def server(self) -> str:
        return f"{self.hub.url}/user/{self.account.name}"

    def shot(self, name: str, full_page: bool = False) -> None:
        time.sleep(0.3)
        self.page.screenshot(path=str(self.artifacts / f"{name}.png"), full_page=full_page)

    def login(self) -> None:
        p = self.page
        p.goto(f"{self.hub.url}/hub/login")
        p.fill("input#username_input", self.account.name)
        p.fill("input#password_input", self.account.password)
        p.click("#login_submit")
        # the hub spawns the server and its spawn page redirects to JupyterLab when the server is up; if that
        # page's event stream is cut (a loaded machine), going to /lab again gets there as well
        deadline = time.monotonic() + 180
        lab = f"/user/{self.account.name}/lab"
        while lab not in p.url and time.monotonic() < deadline:
            try:
                p.wait_for_url(f"**{lab}**", timeout=10_000)
            except Exception:
                if "/hub/spawn-pending/" in p.url or "/hub/home" in p.url:
                    p.goto(f"{self.server}/lab")
        try:
            p.locator(".lm-MenuBar-item", has_text=re.compile(r"^Nbgrader$")).wait_for(timeout=90_000)
        except Exception:
            self.shot(f"failure_login_{self.account.name}")
            pytest.fail(f"{self.account.name}: no JupyterLab after login ({p.url})\n{self.hub.log_tail()}",
                        pytrace=False)

    def menu(self, top: str, item: str) -> list[str]:
        self.page.locator(".lm-MenuBar-item", has_text=re.compile(f"^{top}$")).click()
        entries = [e.strip() for e in self.page.locator(".lm-Menu-content .lm-Menu-itemLabel").all_inner_texts()]
        self.page.locator(".lm-Menu-itemLabel", has_text=item).first.click()
        return [e for e in entries if e]

    def assignment_list(self) -> list[str]:
        entries = self.menu("Nbgrader", "Assignment List")
        self.page.locator("#released_assignments_list").wait_for()
        return entries

    def refresh_list(self) -> None:
        self.page.locator("#refresh_assignments_list").click()
        time.sleep(1.0)

    def open_notebook(self, rel: str, n_cells: int) -> None:
        self.page.goto(f"{self.server}/lab/tree/{rel}?reset")
        panel = self.page.locator(".jp-NotebookPanel >> visible=true")
        panel.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=90_000)
        self.page.wait_for_selector(VALIDATE, timeout=60_000)
        cells = panel.locator(".jp-Notebook .jp-Cell")
        deadline = time.monotonic() + 30
        while cells.count() < n_cells and time.monotonic() < deadline:
            time.sleep(0.2)
        assert cells.count() == n_cells

    def cell(self, index: int):
        return self.page.locator(".jp-NotebookPanel >> visible=true").locator(".jp-Notebook .jp-Cell").nth(index)

    def type_into(self, index: int, code: str) -> None:
        editor = self.cell(index).locator(".cm-content")
        editor.click()
        self.page.keyboard.press("Control+A")
        self.page.keyboard.press("Delete")
        self.page.keyboard.insert_text(code.rstrip("\n"))   # one input event: no auto-indent
        self.page.keyboard.press("Escape")
        got = editor.inner_text().replace("\u00a0", " ")
        assert got.strip() == code.strip(), f"the cell holds\n{got}\ninstead of\n{code}"

    def validate(self, shot: str) -> tuple[bool, str]:
        self.page.locator(VALIDATE).click()      # saves the notebook, then validates it on the server
        dialog = self.page.locator(".jp-Dialog")
        dialog.wait_for(timeout=180_000)
        title = dialog.locator(".jp-Dialog-header").inner_text().strip()
        if title == "File Changed":   # the file was written (as the student) since JupyterLab read its time
            dialog.locator(".jp-Dialog-footer button", has_text="Overwrite").click()
            dialog.wait_for(state="detached", timeout=10_000)
            dialog.wait_for(timeout=180_000)
            title = dialog.locator(".jp-Dialog-header").inner_text().strip()
        body = dialog.locator(".jp-Dialog-body").inner_text()
        self.shot(shot)
        assert title == "Validation Results", f"Validate: {title!r}: {body}"
        message = dialog.locator("#validation-message")
        failed = "validation-failed" in (message.get_attribute("class") or "")
        dialog.locator(".jp-Dialog-footer button").first.click()
        dialog.wait_for(state="detached", timeout=10_000)
        return not failed, body

    def status(self, url: str) -> int:
        return self.page.request.get(url, max_redirects=10).status


def fetch(user: User, shot: str) -> None:
    entries = user.assignment_list()
    assert entries == ["Assignment List"], f"a student's Nbgrader menu: {entries}"
    row = user.page.locator("#released_assignments_list .list_item", has_text=ASSIGNMENT)
    row.locator("button", has_text="Fetch").click()
    user.page.locator("#fetched_assignments_list", has_text=ASSIGNMENT).wait_for()
    user.page.locator("#fetched_assignments_list").get_by_text(ASSIGNMENT, exact=True).first.click()
    user.page.get_by_text(NB2, exact=True).first.wait_for()
    user.shot(shot)


def submit(user: User, shot: str) -> None:
    user.assignment_list()
    user.page.locator("#fetched_assignments_list .list_item", has_text=ASSIGNMENT).first \
        .locator("button", has_text=re.compile(r"^Submit$")).click()
    user.page.locator("#submitted_assignments_list .list_item", has_text=ASSIGNMENT).first.wait_for()
    user.shot(shot)


def gradebook(hub):
    from nbgrader.api import Gradebook

    return Gradebook(f"sqlite:///{hub.course / 'gradebook.db'}", course_id="lab44-weight-init")


def test_course_cycle(hub, browser, artifacts):
    from labgrade.hub import accounts, server

    t0 = time.monotonic()
    times = {"hub_setup_and_start": hub.extra.get("setup_seconds", 0.0)}

    def mark(step: str) -> None:     # seconds since the test started, written as it goes
        times[step] = round(time.monotonic() - t0, 1)
        (artifacts / "timings.json").write_text(json.dumps(times, indent=1))
    instructor = User(browser, hub, hub.instructor, artifacts)
    students = [User(browser, hub, a, artifacts) for a in hub.students]
    s1, s2 = students
    inbound = hub.exchange / "lab44-weight-init" / "inbound"

    # 1. the instructor generates and releases the assignment in formgrader
    instructor.login()
    entries = instructor.menu("Nbgrader", "Formgrader")
    assert {"Formgrader", "Assignment List"} <= set(entries), entries
    instructor.shot("01_instructor_lab_nbgrader_menu")
    p = instructor.page
    p.goto(f"{instructor.server}/formgrader/manage_assignments")
    row = p.locator("tr", has=p.locator("td.name", has_text=ASSIGNMENT))
    row.locator("td.assign a").click()
    p.locator(".modal-dialog", has_text="Successfully created the student version").wait_for(timeout=180_000)
    instructor.shot("02_formgrader_generated")
    p.locator(".modal-footer button", has_text="OK").click()
    row.locator("td.release a").click()
    p.locator(".modal-dialog", has_text=f"Successfully released '{ASSIGNMENT}'").wait_for(timeout=60_000)
    p.locator(".modal-footer button", has_text="OK").click()
    p.locator("td.status", has_text="released").wait_for()
    instructor.shot("03_formgrader_released")
    released = sorted(x.name for x in (hub.exchange / "lab44-weight-init" / "outbound" / ASSIGNMENT).glob("*.ipynb"))
    assert len(released) == 10, released
    mark("release")

    # 2. student 1: fetch, model answers (xavier_normal typed), Validate, submit
    s1.login()
    fetch(s1, "04_student1_fetched")
    home1 = s1.account.home
    typed = answer(s1.account.name, home1, leave_stub=TYPED)
    nb2 = nbformat.read(home1 / ASSIGNMENT / f"{NB2}.ipynb", as_version=4)
    s1.open_notebook(f"{ASSIGNMENT}/{NB2}.ipynb", len(nb2.cells))
    s1.type_into(cell_index(nb2, TYPED), typed[TYPED])
    ok, verdict = s1.validate("05_student1_typed_answer_validated")
    assert ok, f"student 1's model answers do not validate:\n{verdict}"
    assert "passes all the tests" in verdict or "Success" in verdict, verdict
    saved = nbformat.read(home1 / ASSIGNMENT / f"{NB2}.ipynb", as_version=4)
    assert saved.cells[cell_index(saved, TYPED)].source.strip() == typed[TYPED].strip()
    submit(s1, "06_student1_submitted")
    mark("student1")

    # 3. student 2: fetch, one catalogued mistake, Validate shows the failing test and its hint, submit
    s2.login()
    fetch(s2, "07_student2_fetched")
    answer(s2.account.name, s2.account.home, mistake=MISTAKE)
    s2.open_notebook(f"{ASSIGNMENT}/{NB2}.ipynb", len(nb2.cells))
    ok, verdict = s2.validate("08_student2_validate_shows_the_mistake")
    assert not ok, "a wrong xavier_normal validates"
    assert "xavier_normal" in verdict and MISTAKE.hint in verdict, verdict
    submit(s2, "09_student2_submitted")
    mark("student2")

    # 4. the instructor collects and grades (as the instructor's Unix user), then grades the written answer
    submissions = list(inbound.iterdir())
    assert len(submissions) == 2, submissions
    res = hub.as_instructor("labgrade", "collect")
    for a in hub.students:
        assert f"Collecting submission: {a.name}" in res.stdout, res.stdout
        assert (hub.course / "submitted" / a.name / ASSIGNMENT / f"{NB2}.ipynb").exists()
    t_grade = time.monotonic()
    # no feedback yet: release-feedback renders it after the manual grading
    res = hub.as_instructor("labgrade", "grade", "--notebooks", "01,02", "--no-report", "--no-feedback", timeout=900)
    times["grade_seconds"] = round(time.monotonic() - t_grade, 1)
    (artifacts / "labgrade-grade.txt").write_text(res.stdout + res.stderr)
    from nbgrader.api import Gradebook  # noqa: F401

    with gradebook(hub) as gb:
        for a, lost in ((s1.account, 0), (s2.account, 2)):
            got = {nb: gb.find_submission_notebook(nb, ASSIGNMENT, a.name).code_score for nb in POINTS}
            want = {NB1: POINTS[NB1], NB2: POINTS[NB2] - lost}
            assert got == want, f"{a.name}: {got}, expected {want}\n{res.stdout}"
        ids = [gb.find_submission_notebook(NB1, ASSIGNMENT, a.name).id for a in hub.students]
    def saved(student: str):
        with gradebook(hub) as gb:
            return (gb.find_grade(MANUAL, NB1, ASSIGNMENT, student).manual_score,
                    gb.find_comment(MANUAL, NB1, ASSIGNMENT, student).manual_comment)

    for k, (a, nb_id) in enumerate(zip(hub.students, ids, strict=True)):
        p.goto(f"{instructor.server}/formgrader/submissions/{nb_id}/")
        p.wait_for_load_state("networkidle")
        score, comment = p.locator(f"input#{MANUAL}"), p.locator(f"textarea#{MANUAL}-comment")
        deadline = time.monotonic() + 30
        while saved(a.name) != (2 - k, COMMENTS[k]) and time.monotonic() < deadline:
            # formgrader saves a field when it changes and loses focus
            score.fill(str(2 - k))
            score.press("Tab")
            comment.fill(COMMENTS[k])
            comment.press("Tab")
            p.wait_for_load_state("networkidle")
            time.sleep(1.0)
        assert saved(a.name) == (2 - k, COMMENTS[k]), saved(a.name)
        comment.scroll_into_view_if_needed()
        instructor.shot(f"{10 + k}_formgrader_manual_grade_{a.name}")
    res = hub.as_instructor("labgrade", "release-feedback")
    assert "released feedback of 2 students" in res.stdout, res.stdout + res.stderr
    mark("graded_and_released")

    # 5. each student fetches their feedback: their scores, hints and comment, nobody else's
    for k, u in enumerate(students):
        other = students[1 - k]
        u.page.goto(f"{u.server}/lab")
        u.assignment_list()
        item = u.page.locator("#submitted_assignments_list .list_item", has_text=ASSIGNMENT).first
        item.locator("button", has_text="Fetch Feedback").click()
        fb_root = u.account.home / ASSIGNMENT / "feedback"
        deadline = time.monotonic() + 60
        # nbgrader copies the feedback files one by one: wait for both, not for one of them
        while not all(list(fb_root.glob(f"*/{nb}.html")) for nb in (NB1, NB2)) and time.monotonic() < deadline:
            time.sleep(0.5)
        files = sorted(fb_root.glob("*/*.html"))
        assert {f.stem for f in files} == {NB1, NB2}, files
        u.refresh_list()
        u.shot(f"{12 + 2 * k}_student{k + 1}_feedback_fetched")
        texts = {}
        for f in files:
            u.page.goto(f"{u.server}/files/{f.relative_to(u.account.home)}")
            u.page.get_by_text("Score:").first.wait_for(timeout=30_000)
            texts[f.stem] = u.page.locator("body").inner_text()
            if f.stem == (NB1 if k == 0 else NB2):
                u.shot(f"{13 + 2 * k}_student{k + 1}_feedback_{f.stem}", full_page=False)
        assert COMMENTS[k] in texts[NB1], texts[NB1][:2000]
        assert COMMENTS[1 - k] not in texts[NB1] + texts[NB2]
        assert other.account.name not in texts[NB1] + texts[NB2]
        nb1_score = POINTS[NB1] + 2 - k
        assert re.search(rf"Score:\s*{nb1_score}(\.0)?\s*/\s*8", texts[NB1]), texts[NB1][:400]
        if k == 0:
            assert re.search(r"Score:\s*21(\.0)?\s*/\s*21", texts[NB2]), texts[NB2][:400]
        else:
            assert re.search(r"Score:\s*19(\.0)?\s*/\s*21", texts[NB2]), texts[NB2][:400]
            assert MISTAKE.hint in texts[NB2], "student 2's feedback lacks the hint of the mistake"
        assert "BEGIN HIDDEN TESTS" not in texts[NB2]
    mark("feedback")

    # 6. what a student cannot do (as the Unix user, and through the hub)
    a, b = s1.account, s2.account
    denied = {
        "another student's home": ["ls", str(b.home)],
        "another student's notebook": ["cat", str(b.home / ASSIGNMENT / f"{NB2}.ipynb")],
        "the instructor's course copy": ["ls", str(hub.course)],
        "source/": ["cat", str(hub.course / "source" / ASSIGNMENT / f"{NB1}.ipynb")],
        "the gradebook": ["cat", str(hub.course / "gradebook.db")],
        "collected submissions": ["ls", str(hub.course / "submitted" / b.name)],
        "the exchange's inbound (others' submissions)": ["ls", str(inbound)],
        "the exchange's released feedback": ["ls", str(hub.exchange / "lab44-weight-init" / "feedback")],
        "the hub's state (passwords, cookie secret)": ["ls", str(hub.root / "state")],
        "the repository's source/": ["ls", str(ROOT / "source")],
        "the repository's rendered notebooks (solutions)": ["ls", str(ROOT / "notebooks")],
        "the answer catalogue": ["cat", str(ROOT / "lib" / "labgrade" / "variants" / "answers.py")],
    }
    for what, cmd in denied.items():
        res = as_user(a.name, *cmd)
        assert res.returncode != 0 and "Permission denied" in res.stderr, \
            f"{a.name} can read {what}: {' '.join(cmd)}\n{res.stdout[:500]}"
    res = as_user(a.name, str(hub.student_env / "bin" / "python"), "-c", "import labgrade")    # the servers' env
    for pid in accounts.processes_of({a.uid}):
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        leaked = [e for e in environ if e.startswith((b"PYTHONPATH=", b"VIRTUAL_ENV=")) or str(ROOT).encode() in e]
        assert not leaked, f"{a.name}'s process {pid} got {leaked} (the repository) in its environment"
    assert res.returncode != 0 and "No module named 'labgrade'" in res.stderr, res.stderr
    res = as_user(a.name, str(hub.student_env / "bin" / "python"), "-c", "import initlab, labcheck")
    assert res.returncode == 0, res.stderr
    assert s1.status(f"{s2.server}/api/contents/{ASSIGNMENT}") == 403
    assert s1.status(f"{instructor.server}/formgrader/manage_assignments") == 403
    assert s1.status(f"{s1.server}/formgrader/manage_assignments") == 404      # no formgrader for students
    assert s1.status(f"{s1.server}/api/contents/..%2F{b.name}") in (400, 403, 404)
    s1.page.goto(f"{s2.server}/lab")
    s1.shot("16_student1_cannot_open_student2_server")
    mark("denials")

    # 7. the hub stops with every server and process of its users
    for u in (instructor, *students):
        u.context.close()
    left = server.stop(hub)
    assert not accounts.processes_of({x.uid for x in hub.accounts}), "processes of the hub's users survive"
    assert hub.proc.poll() is not None
    times["leftover_processes_ended"] = len(left)
    mark("total")
    print(f"course cycle: {json.dumps(times)}")


def test_labgrade_hub_prints_the_accounts_and_stops_on_ctrl_c(hub):
    """``labgrade hub`` as ``make hub`` runs it (same users and files as the cycle's hub, which is stopped
    by now): it prints the URL and every account, serves the login page, and on Ctrl-C (SIGINT) stops the
    hub and the proxy with exit status 0, leaving no process of the course's users."""
    import os
    import signal
    import sys
    import urllib.request

    from labgrade.hub import accounts, server

    server.stop(hub)
    labgrade = "import sys; from labgrade.cli import main; sys.exit(main())"    # the console script's code
    cmd = [sys.executable, "-c", labgrade, "hub", "--root", str(hub.root), "--exchange", str(hub.exchange),
           "--prefix", hub.instructor.name.removesuffix("instructor"), "--students", str(len(hub.students)),
           "--port", "0"]
    if os.environ.get("LABGRADE_HUB_BUNDLE"):
        cmd += ["--bundle", os.environ["LABGRADE_HUB_BUNDLE"]]
    # started with SIGINT ignored, as a background job of a non-interactive shell (CI, `make hub &`) is: the
    # command must still stop on Ctrl-C (Python alone would keep ignoring it)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    lines, url = [], None
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            m = re.search(r"JupyterHub for \S+: (http://127\.0\.0\.1:\d+)/hub/login", line)
            if m:
                url = m.group(1)
            if "Ctrl-C stops" in line:
                break
        out = "".join(lines)
        assert url, f"no URL printed:\n{out}"
        for a in hub.accounts:
            assert re.search(rf"^{re.escape(a.name)}\s+{a.role}\s+\S+$", out, re.M), f"{a.name} not listed:\n{out}"
        with urllib.request.urlopen(f"{url}/hub/login", timeout=10) as r:
            assert r.status == 200
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0, rest
    assert "hub stopped" in rest, rest
    assert not accounts.processes_of({a.uid for a in hub.accounts})
    try:
        urllib.request.urlopen(f"{url}/hub/login", timeout=5)
        raise AssertionError("the proxy still answers after Ctrl-C")
    except OSError:
        pass
