"""The student's path through JupyterLab, checked in a real browser.

What a student does, done by Chromium (headless, driven by Playwright) against the
JupyterLab that ``make lab`` starts, with the same settings (``.jupyter/``, found through
``JUPYTER_CONFIG_PATH``):

- ``test_lecture_viewer_in_jupyterlab``: open ``lectures/02_3d_filtering.md`` (a MyST text
  notebook: it must open as a notebook, with its MyST directives rendered), run its cells
  up to ``sc.slice_explorer(cells)``, find a slider and a picture (not the text
  ``SliceExplorer(...)``/``VBox(...)`` that shows when the widget JavaScript is missing),
  move the slider with the arrow keys and see the picture change.
- ``test_exercise_in_jupyterlab``: open ``work/01_projections.ipynb`` (the student's copy
  of the release, made by ``stacks start``), type the answers into the solution cells with the editor, Run > Run All Cells,
  and see every check pass: no error or warning output, every cell executed.
- ``test_static_html_shows_viewer_picture``: a lecture executed with nbclient (widget
  state stored) and exported by ``scripts/browser_export.py`` (nbconvert, ``lab``
  template) shows the viewer's current plane as an ``<img>``, also offline.

The server runs on a free loopback port with a token, serving a copy of ``lectures/`` and
``exercises/`` in the OS temp folder (typing answers and autosave must not touch the
committed notebooks); Jupyter's runtime, user-config, data, workspace and IPython folders
are temporary too. Screenshots of every step, the exported page and the server log go to
``build/browser-screenshots/`` (printed at the end). Run time on 2 busy cores: about a
minute and a half.

Needs Chromium: Debian's ``apt-get install chromium`` (Playwright's own browser download
is not needed), or the path of any Chromium/Chrome in ``$CHROMIUM``. Without it the tests
fail, saying so; outside CI, ``STACKS_SKIP_BROWSER=1`` skips them instead. With ``CI`` set
they are never skipped.
"""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import jupytext
import numpy as np
import pytest

from stacks import _workspace
from stacks._paths import Paths

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "build" / "browser-screenshots"
CONFIG_DIR = ROOT / ".jupyter"

LECTURE = "lectures/02_3d_filtering.md"
VIEWER_CALL = "slice_explorer("
RELEASE = "exercises/01_projections.ipynb"
EXERCISE = "work/01_projections.ipynb"  # the student's copy, made by `stacks start`
SOLUTION = "solutions/01_projections.md"
DATASETS = ("cells", "zebrafish")  # what the lecture and the exercise above load

# Milliseconds for Playwright. Generous: the test must not be flaky on 2 shared cores.
SERVER_START_S = 120
PAGE_LOAD = 120_000
KERNEL_READY = 120_000
RUN_CELLS = 240_000
WIDGET = 60_000
UI = 30_000

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

# Outputs that mean a cell failed or warned: JupyterLab renders tracebacks and stderr
# streams with this mime type.
STDERR_OUTPUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
# What the explorer looks like when the widget JavaScript is missing or broken.
WIDGET_FALLBACK_TEXT = re.compile(
    r"SliceExplorer\(|VBox\(|interactive\(|IntSlider\(|Loading widget|Error displaying widget"
)
KERNEL_IDLE = re.compile(r"Python 3 \(ipykernel\) \| Idle")


# --------------------------------------------------------------------------------------
# Chromium, the server, the browser
# --------------------------------------------------------------------------------------


def _find_chromium() -> str | None:
    candidates = [os.environ.get("CHROMIUM", "")]
    candidates += [
        shutil.which(name) or ""
        for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
    ]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def chromium() -> str:
    path = _find_chromium()
    if path is not None:
        return path
    message = (
        "The browser test needs Chromium and found none (looked for $CHROMIUM, chromium, "
        "chromium-browser, google-chrome). Install Debian's chromium: "
        "apt-get install chromium"
    )
    if os.environ.get("STACKS_SKIP_BROWSER") and not os.environ.get("CI"):
        pytest.skip(message + " (skipped because STACKS_SKIP_BROWSER is set)")
    pytest.fail(message, pytrace=False)


@pytest.fixture(scope="module")
def shots(request) -> Path:
    """The screenshot folder, emptied; its path is printed when the module ends."""
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    plugins = request.config.pluginmanager
    reporter = plugins.get_plugin("terminalreporter")
    capture = plugins.get_plugin("capturemanager")

    def announce() -> None:
        if reporter is None or capture is None:
            print(f"browser test screenshots: {SHOTS}")
            return
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\nbrowser test screenshots: {SHOTS}")

    request.addfinalizer(announce)
    return SHOTS


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _generate_data(tmp: Path) -> None:
    """Generate the datasets before the browser waits on them: first use builds them, with
    a progress bar on stderr that would count as a warning in the notebook."""
    code = "from helpers import datasets\n" + "".join(
        f"datasets.path({name!r})\n" for name in DATASETS
    )
    env = dict(os.environ, MPLCONFIGDIR=str(tmp / "matplotlib"))
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env=env, timeout=900)


class Lab:
    """A running JupyterLab: its URL pieces, its process and its log."""

    def __init__(
        self, root: Path, port: int, token: str, process: subprocess.Popen, log: Path
    ) -> None:
        self.root, self.port, self.token = root, port, token
        self.process, self.log = process, log

    def url(self, path: str, workspace: str) -> str:
        # A named, new workspace per test: JupyterLab then opens only this document
        # instead of restoring the tabs of the previous test.
        return (
            f"http://127.0.0.1:{self.port}/lab/workspaces/{workspace}/tree/{path}"
            f"?token={self.token}"
        )

    def api(self, endpoint: str):
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/{endpoint}",
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


@pytest.fixture(scope="module")
def lab(tmp_path_factory, shots) -> Lab:
    """JupyterLab as `make lab` runs it, serving a temporary copy of the course."""
    missing = [p for p in (LECTURE, RELEASE, SOLUTION) if not (ROOT / p).is_file()]
    assert not missing, f"the browser test needs {missing}; run `make course` first"
    tmp = tmp_path_factory.mktemp("lab")
    _generate_data(tmp)
    root = tmp / "course"
    for folder in ("lectures", "exercises"):
        shutil.copytree(
            ROOT / folder,
            root / folder,
            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
        )
    # the student's own copies, as `make course` makes them
    _workspace.start(paths=Paths(exercises=root / "exercises"))
    for name in ("jupytext.toml", ".jupytext.toml", ".jupytext"):  # jupytext's own config
        if (ROOT / name).is_file():
            shutil.copy2(ROOT / name, root / name)

    env = dict(
        os.environ,
        JUPYTER_CONFIG_PATH=str(CONFIG_DIR),  # the course's settings, as in `make lab`
        JUPYTER_PREFER_ENV_PATH="1",
        JUPYTER_CONFIG_DIR=str(tmp / "jupyter-config"),
        JUPYTER_DATA_DIR=str(tmp / "jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(tmp / "jupyter-runtime"),
        IPYTHONDIR=str(tmp / "ipython"),
        MPLCONFIGDIR=str(tmp / "matplotlib"),
    )
    env.pop("JUPYTER_NO_CONFIG", None)
    port, token = _free_port(), secrets.token_hex(16)
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.workspaces_dir={tmp / 'workspaces'}",
        f"--LabApp.user_settings_dir={tmp / 'user-settings'}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI often run as root
        command.append("--allow-root")
    log = shots / "jupyterlab.log"
    with open(log, "w") as log_file:
        process = subprocess.Popen(
            command,
            cwd=root,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Lab(root, port, token, process, log)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"JupyterLab exited with code {process.returncode} while "
                    f"starting:\n{server.log_tail()}",
                    pytrace=False,
                )
            try:
                server.api("status")
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"JupyterLab did not answer on port {port} within "
                        f"{SERVER_START_S} s:\n{server.log_tail()}",
                        pytrace=False,
                    )
                time.sleep(0.5)
        yield server
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """Stop the server and its kernels (the whole process group)."""
    if not hasattr(os, "killpg"):  # Windows: no process groups to signal
        process.terminate()
        process.wait(30)
        return
    if process.poll() is None:
        for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            try:
                process.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
    # kernels left behind by a server that died first
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def browser_context(chromium, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser_context):
    from playwright.sync_api import expect

    expect.set_options(timeout=UI)
    page = browser_context.new_page()
    page.set_default_timeout(UI)
    try:
        yield page
    finally:
        page.close()


# --------------------------------------------------------------------------------------
# Working with a notebook in JupyterLab
# --------------------------------------------------------------------------------------


def _fail(page, lab: Lab, name: str, message: str):
    """Fail with a screenshot of the page and the end of the server log."""
    shot = SHOTS / f"FAILED-{name}.png"
    try:
        page.screenshot(path=str(shot))
    except Exception as error:  # the page itself may be gone; the message matters more
        shot = f"(no screenshot: {error})"
    try:
        pytest.fail(
            f"{message}\nscreenshot: {shot}\nJupyterLab log (end):\n{lab.log_tail()}", pytrace=False
        )
    except pytest.fail.Exception as failure:
        raise failure from None  # the Playwright timeout behind it adds only noise


def _open_notebook(page, lab: Lab, path: str, workspace: str):
    """Open ``path`` as a student would (its URL in JupyterLab) and wait for the kernel."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    page.goto(lab.url(path, workspace), timeout=PAGE_LOAD)
    panel = page.locator(".jp-NotebookPanel")
    try:
        expect(page.locator(".jp-NotebookPanel, .jp-FileEditor").first).to_be_visible(
            timeout=PAGE_LOAD
        )
        if page.locator(".jp-FileEditor").count() and not panel.count():
            _fail(
                page,
                lab,
                workspace,
                f"{path} opened in the text editor, not as a "
                "notebook: the default viewer for markdown is not 'Jupytext Notebook' "
                "(.jupyter/labconfig/default_setting_overrides.json)",
            )
        expect(panel).to_have_count(1)
        expect(panel.locator(".jp-Cell").first).to_be_visible(timeout=PAGE_LOAD)
    except AssertionError:
        _fail(page, lab, workspace, f"{path} did not open as a notebook")
    try:
        expect(page.locator(".jp-StatusBar-TextItem", has_text=KERNEL_IDLE)).to_be_visible(
            timeout=KERNEL_READY
        )
    except (AssertionError, PlaywrightTimeout):
        dialog = page.locator(".jp-Dialog")
        text = dialog.first.inner_text() if dialog.count() else ""
        _fail(
            page,
            lab,
            workspace,
            f"the python3 kernel of {path} did not become idle "
            f"within {KERNEL_READY // 1000} s. {('Dialog: ' + text) if text else ''}",
        )
    return panel


def _kernel_interpreters(lab: Lab) -> list[str]:
    """The interpreter (argv[0]) of every kernel process the server started (Linux)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == lab.process.pid and b"ipykernel_launcher" in b" ".join(argv):
            found.append(argv[0].decode())
    return found


def _check_kernel_is_project_env(lab: Lab, path: str) -> None:
    sessions = [s for s in lab.api("sessions") if s["path"].endswith(path)]
    assert sessions, f"no kernel session for {path}: {lab.api('sessions')}"
    assert sessions[0]["kernel"]["name"] == "python3", sessions[0]["kernel"]
    if Path("/proc/self/cmdline").exists():
        interpreters = _kernel_interpreters(lab)
        assert interpreters, "found no kernel process under the JupyterLab server"
        assert set(interpreters) == {sys.executable}, (
            f"kernels run {interpreters}, not the project's environment ({sys.executable})"
        )


def _menu(page, menu: str, command: str) -> None:
    """Click a main-menu entry, found by its JupyterLab command id (labels vary)."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}$")).click()
    page.locator(f'.lm-Menu-item[data-command="{command}"]').click()


_CELLS_DONE_JS = """
([indices, stderrSelector]) => {
  const cells = [...document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell')];
  const prompt = (cell) => {
    const node = cell.querySelector('.jp-InputPrompt');
    return node ? node.textContent.trim() : '';
  };
  const code = cells.filter((cell) => cell.classList.contains('jp-CodeCell'));
  if (code.some((cell) => prompt(cell).includes('*'))) return false;  // still running
  if (document.querySelector('.jp-NotebookPanel ' + stderrSelector)) return 'error';
  return indices.every((i) => cells[i] && /\\[\\d+\\]/.test(prompt(cells[i])));
}
"""


def _wait_cells_done(page, lab: Lab, indices: list[int], name: str) -> None:
    """Wait until the cells ``indices`` have run (or one failed), then for an idle kernel."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    try:
        page.wait_for_function(
            _CELLS_DONE_JS, arg=[indices, STDERR_OUTPUT], timeout=RUN_CELLS, polling=500
        )
        expect(page.locator(".jp-StatusBar-TextItem", has_text=KERNEL_IDLE)).to_be_visible(
            timeout=KERNEL_READY
        )
    except (AssertionError, PlaywrightTimeout):
        _fail(page, lab, name, f"the cells did not finish running within {RUN_CELLS // 1000} s")


def _check_no_error_output(page, lab: Lab, panel, name: str) -> None:
    errors = panel.locator(STDERR_OUTPUT)
    if errors.count():
        texts = "\n---\n".join(
            (errors.nth(i).text_content() or "")[-2000:] for i in range(errors.count())
        )
        errors.first.scroll_into_view_if_needed()
        _fail(page, lab, name, f"a cell showed an error or a warning:\n{texts}")


# --------------------------------------------------------------------------------------
# 1 + 2: a lecture's slice explorer
# --------------------------------------------------------------------------------------


def _viewer_cell_index(notebook) -> int:
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code" and VIEWER_CALL in cell.source:
            return index
    pytest.fail(f"{LECTURE} has no code cell calling {VIEWER_CALL}...)", pytrace=False)


def test_lecture_viewer_in_jupyterlab(lab, page, shots):
    from playwright.sync_api import expect

    notebook = jupytext.read(lab.root / LECTURE)
    viewer = _viewer_cell_index(notebook)
    code_above = [i for i, c in enumerate(notebook.cells[:viewer]) if c.cell_type == "code"]

    panel = _open_notebook(page, lab, LECTURE, "lecture")
    cells = panel.locator(".jp-Notebook .jp-Cell")
    expect(cells).to_have_count(len(notebook.cells))
    _check_kernel_is_project_env(lab, LECTURE)

    # MyST: jupyterlab-myst renders the markdown cells (its widget has the class "myst")
    # and their directives, which would otherwise show as fenced code.
    markdown = panel.locator(".jp-MarkdownCell .myst")
    try:
        expect(markdown.first).to_be_visible()
    except AssertionError:
        _fail(page, lab, "lecture-myst", "markdown cells are not rendered by jupyterlab-myst")
    raw = [t for t in markdown.all_text_contents() if re.search(r"(```|:::)\{", t)]
    assert not raw, f"MyST directives shown as raw text (is jupyterlab-myst active?): {raw[:2]}"
    if any(
        re.search(r"^(```|:::)\{(admonition|note|tip|important)", c.source, re.M)
        for c in notebook.cells
        if c.cell_type == "markdown"
    ):
        expect(panel.locator(".myst-admonition").first).to_be_visible()
    page.screenshot(path=str(shots / "01_lecture_opened.png"))

    # Run the cells up to the viewer: select it, Run > Run All Above Selected Cell,
    # then Run > Run Selected Cell.
    cell = cells.nth(viewer)
    expect(cell).to_contain_text(VIEWER_CALL)
    cell.locator(".jp-InputPrompt").click()
    _menu(page, "Run", "notebook:run-all-above")  # Run All Above Selected Cell
    _menu(page, "Run", "notebook:run-cell")  # Run Selected Cell and Do not Advance
    _wait_cells_done(page, lab, [*code_above, viewer], "lecture-run")
    _check_no_error_output(page, lab, panel, "lecture-errors")

    output = cell.locator(".jp-Cell-outputArea")
    slider = output.locator(".widget-slider")
    handle = slider.locator(".noUi-handle")
    readout = slider.locator(".widget-readout")
    image = output.locator(".widget-output img")
    try:
        expect(slider).to_be_visible(timeout=WIDGET)
        expect(image).to_be_visible(timeout=WIDGET)
    except AssertionError:
        if output.locator("img").count() and not output.locator(".jupyter-widgets").count():
            problem = (
                "only its static PNG fallback, no slider: the ipywidgets extension "
                "of JupyterLab (@jupyter-widgets/jupyterlab-manager) is not active"
            )
        else:
            problem = "no slider and picture"
        _fail(
            page,
            lab,
            "lecture-widget",
            f"the slice explorer shows {problem}; its "
            f"output reads:\n{(output.text_content() or '')[:500]}",
        )
    text = output.text_content() or ""
    assert not WIDGET_FALLBACK_TEXT.search(text), f"widget shown as text: {text[:300]}"
    assert image.get_attribute("src").startswith("data:image/png;base64,")
    cell.scroll_into_view_if_needed()
    output.screenshot(path=str(shots / "02_lecture_viewer.png"))
    page.screenshot(path=str(shots / "02_lecture_viewer_page.png"))

    # Move the slider with the keyboard, one key at a time, and see the picture change
    # each time: one new plane, one new PNG from the kernel. Waiting for each change
    # before the next key keeps the last picture matched to the last plane number.
    value, src = int(readout.text_content()), image.get_attribute("src")
    start = value
    for _ in range(2):
        handle.focus()
        page.keyboard.press("ArrowRight")
        try:
            expect(readout).not_to_have_text(str(value), timeout=WIDGET)
            expect(image).not_to_have_attribute("src", src, timeout=WIDGET)
        except AssertionError:
            _fail(
                page,
                lab,
                "lecture-slider",
                f"moving the slider from plane {value} did not change the picture "
                f"(readout now {readout.text_content()})",
            )
        value, src = int(readout.text_content()), image.get_attribute("src")
    assert value > start, (start, value)
    expect(handle).to_have_attribute("aria-valuenow", re.compile(rf"^{value}(\.0+)?$"))
    expect(image).to_be_visible()
    _check_no_error_output(page, lab, panel, "lecture-slider-errors")
    output.screenshot(path=str(shots / "03_lecture_viewer_moved.png"))


# --------------------------------------------------------------------------------------
# 3: an exercise, as a student
# --------------------------------------------------------------------------------------

_SOLUTION_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)


def _student_answers(exercise) -> dict[int, str]:
    """For every solution cell of the student notebook, the text a student who solved it
    would have there: the instructor's cell (found by nbgrader grade_id in the single
    source) without the solution markers."""
    solution = jupytext.read(ROOT / SOLUTION)
    by_id = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in solution.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    answers = {}
    for index, cell in enumerate(exercise.cells):
        grading = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and grading.get("solution"):
            assert "NotImplementedError" in cell.source, (
                f"{EXERCISE} cell {grading.get('grade_id')} is not a stub:\n{cell.source}"
            )
            assert grading.get("grade_id") in by_id, (
                f"{SOLUTION} has no solution cell {grading.get('grade_id')!r}"
            )
            answers[index] = _SOLUTION_MARKER.sub("", by_id[grading["grade_id"]]).strip("\n")
    assert answers, f"{EXERCISE} has no solution cells"
    return answers


def test_exercise_in_jupyterlab(lab, page, shots):
    import nbformat
    from playwright.sync_api import expect

    exercise = nbformat.read(lab.root / EXERCISE, as_version=4)
    answers = _student_answers(exercise)
    code = [i for i, c in enumerate(exercise.cells) if c.cell_type == "code"]
    tests = [
        i
        for i, c in enumerate(exercise.cells)
        if c.metadata.get("nbgrader", {}).get("grade")
        and not c.metadata["nbgrader"].get("solution")
    ]
    assert tests, f"{EXERCISE} has no test cells"

    panel = _open_notebook(page, lab, EXERCISE, "exercise")
    cells = panel.locator(".jp-Notebook .jp-Cell")
    expect(cells).to_have_count(len(exercise.cells))
    # a student's JupyterLab shows none of nbgrader's instructor tools
    menus = page.locator(".lm-MenuBar-itemLabel").all_inner_texts()
    assert "Run" in menus and not any("nbgrader" in m.lower() for m in menus), menus
    expect(page.locator("#create_assignment, .nbgrader-CreateAssignmentWidget")).to_have_count(0)
    formgrader = urllib.request.Request(
        f"http://127.0.0.1:{lab.port}/formgrader", headers={"Authorization": f"token {lab.token}"}
    )
    with pytest.raises(urllib.error.HTTPError, match="404"):
        urllib.request.urlopen(formgrader, timeout=30)  # formgrader is not served to students
    _check_kernel_is_project_env(lab, EXERCISE)

    # Type each answer into its cell: click into the editor, select all, insert the text.
    for index, answer in answers.items():
        editor = cells.nth(index).locator(".cm-content")
        editor.scroll_into_view_if_needed()
        expect(editor).to_contain_text("NotImplementedError")
        editor.click()
        page.keyboard.press("ControlOrMeta+a")
        page.keyboard.insert_text(answer)
        first_line = answer.splitlines()[0].strip()
        expect(editor).to_contain_text(first_line)
        expect(editor).not_to_contain_text("NotImplementedError")
        page.keyboard.press("Escape")
    first = next(iter(answers))
    cells.nth(first).scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "04_exercise_answered.png"))

    _menu(page, "Run", "runmenu:run-all")  # Run All Cells
    _wait_cells_done(page, lab, code, "exercise-run")
    _check_no_error_output(page, lab, panel, "exercise-errors")

    not_run = [
        i
        for i in code
        if not re.search(r"\[\d+\]", cells.nth(i).locator(".jp-InputPrompt").text_content() or "")
    ]
    assert not not_run, f"cells {not_run} did not run"
    for index in tests:  # every check ran and said something (they print what passed)
        grade_id = exercise.cells[index].metadata["nbgrader"]["grade_id"]
        outputs = cells.nth(index).locator(".jp-OutputArea-output")
        assert outputs.count(), f"test cell {grade_id} printed nothing"
    # Cells off screen are not laid out (JupyterLab's "contentVisibility" windowing);
    # visiting each once gives them their real height, so that the screenshots of single
    # cells below are not shifted by cells growing above them.
    for index in range(len(exercise.cells)):
        cells.nth(index).scroll_into_view_if_needed()
    for number, index in enumerate(tests):  # each check cell with what it printed
        grade_id = exercise.cells[index].metadata["nbgrader"]["grade_id"]
        cells.nth(index).screenshot(path=str(shots / f"05_exercise_check_{number}_{grade_id}.png"))
    page.screenshot(path=str(shots / "05_exercise_checked_page.png"))


# --------------------------------------------------------------------------------------
# 4: a static HTML page of the lecture
# --------------------------------------------------------------------------------------


def _load_export_script():
    path = ROOT / "scripts" / "browser_export.py"
    spec = importlib.util.spec_from_file_location("browser_export", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_static_html_shows_viewer_picture(browser_context, shots, tmp_path, monkeypatch):
    from PIL import Image

    for variable, folder in (
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("IPYTHONDIR", "ipython"),
        ("MPLCONFIGDIR", "matplotlib"),
    ):  # the kernel writes only there
        monkeypatch.setenv(variable, str(tmp_path / folder))
    export = _load_export_script()
    path = ROOT / LECTURE
    notebook = export.read_notebook(path, upto=VIEWER_CALL)  # the lecture up to its viewer
    export.execute(notebook, cwd=path.parent)
    assert "widgets" in notebook.metadata, "nbclient stored no widget state"
    html = export.to_html(notebook)
    page_file = shots / "lecture_static.html"
    page_file.write_text(html, encoding="utf-8")

    # The viewer is the last code cell of the exported part.
    viewer_html = html[html.rindex('<div class="jp-Cell jp-CodeCell') :]
    pictures = re.findall(r'<img[^>]*src="data:image/png;base64,([A-Za-z0-9+/=\s]+)"', viewer_html)
    assert pictures, (
        f"the exported page shows no picture for {VIEWER_CALL}...) "
        f"(see {page_file}): the output is left to widget JavaScript"
    )
    with Image.open(io.BytesIO(base64.b64decode(pictures[0]))) as picture:
        pixels = np.asarray(picture.convert("L"))
    assert pixels.shape[0] > 100 and pixels.shape[1] > 100, pixels.shape
    assert pixels.std() > 5, "the exported picture is blank"

    # The same settings apply to JupyterLab's own "Save and Export Notebook As > HTML".
    from traitlets.config import PyFileConfigLoader

    server = PyFileConfigLoader("jupyter_server_config.py", str(CONFIG_DIR)).load_config()
    assert (
        server.NbConvertBase.display_data_priority
        == export.course_nbconvert_config().NbConvertBase.display_data_priority
    )

    # And a browser shows it offline: every request but the file itself is refused.
    page = browser_context.new_page()
    try:
        page.route(
            "**/*",
            lambda route: (
                route.continue_() if route.request.url.startswith("file:") else route.abort()
            ),
        )
        page.goto(page_file.as_uri(), timeout=PAGE_LOAD)
        image = page.locator(".jp-CodeCell").last.locator("img")
        image.scroll_into_view_if_needed()
        width = image.evaluate("img => img.complete ? img.naturalWidth : 0")
        assert width > 100, "the browser could not draw the exported picture"
        page.locator(".jp-CodeCell").last.screenshot(path=str(shots / "06_static_html_viewer.png"))
    finally:
        page.close()
