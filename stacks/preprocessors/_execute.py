"""Policy: run a submission with time limits, and never let a cell that did not run pass.

Differences from nbgrader's own Execute preprocessor that matter for grading:

- each cell has a time limit; a cell that runs over is interrupted, says so in words, and
  the rest of the notebook still runs (later answers still earn their points);
- the whole notebook has a time limit too, a safety net for a kernel that ignores
  interrupts;
- a cell that never ran (kernel died, kernel stopped responding, notebook time limit) gets
  an error output. Without one nbgrader would see a test cell with no output and award
  full marks;
- after the last cell, named variables can be copied out of the kernel (for the feedback
  pictures) as plain numeric arrays, in ``.npz`` read without pickle;
- the outcome (``ok``, ``timeout``, ``kernel-died``, ``error``) and its message go into
  ``resources["stacks"]["execution"]`` for the grades file.

Only nbclient's public API is used: :class:`nbclient.NotebookClient` with its
``on_cell_executed`` hook, ``async_setup_kernel`` and ``async_execute_cell``.
"""

from __future__ import annotations

import asyncio
import io
import re
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from jupyter_core.utils import run_sync
from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Dict, Float, Integer, List, Unicode
from traitlets.config import Config

from stacks import _exchange, _judge, _sandbox
from stacks._kernels import NATIVE_KERNEL, GradingKernelManager, kernel_env
from stacks._markup import is_test_cell

TIMEOUT_ENAME = "TimeoutError"
NOT_RUN_ENAME = "NotRun"
#: Largest array (elements) copied out of a kernel.
HARVEST_LIMIT = 50_000_000


def _error_output(ename: str, evalue: str, traceback: list[str] | None = None) -> NotebookNode:
    return new_output(
        "error",
        ename=ename,
        evalue=evalue,
        traceback=traceback or [f"\x1b[0;31m{ename}\x1b[0m: {evalue}"],
    )


def mark_not_run(nb: NotebookNode, after: int, reason: str) -> None:
    """Give every code cell after index ``after`` an error output saying why it did not run.

    Examples
    --------
    >>> import nbformat
    >>> cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("y = 2")]
    >>> nb = nbformat.v4.new_notebook(cells=cells)
    >>> mark_not_run(nb, 0, "the kernel died")
    >>> [len(cell.outputs) for cell in nb.cells], nb.cells[1].outputs[0].ename
    ([0, 1], 'NotRun')
    """
    for cell in nb.cells[after + 1 :]:
        if cell.cell_type == "code":
            cell.outputs = [*cell.get("outputs", []), _error_output(NOT_RUN_ENAME, reason)]


def _harvest_code(harvest: Mapping[str, str | None], target: Path) -> str:
    wanted = sorted(harvest.items())
    # Runs in the student's namespace: touch nothing, keep only numeric arrays of sane size.
    return f"""
def __stacks_harvest():
    import numpy
    found = {{}}
    for name, plane in {wanted!r}:
        value = globals().get(name)
        if value is None or callable(value):
            continue
        try:
            array = numpy.asarray(value)
        except Exception:
            continue
        if array.dtype.kind not in "biuf" or array.size > {HARVEST_LIMIT}:
            continue
        if plane == "middle" and array.ndim == 3:
            array = array[array.shape[0] // 2]
        found[name] = array.copy(order="C")
    numpy.savez({str(target)!r}, **found)
try:
    __stacks_harvest()
finally:
    del __stacks_harvest
"""


class ExecuteWithLimits(NbGraderPreprocessor):
    """Execute a notebook for grading: time limits, cells that did not run fail, a harvest.

    Use it in place of nbgrader's ``Execute`` in ``Autograde.autograde_preprocessors``. The
    notebook is executed in place; ``resources["metadata"]["path"]`` is the kernel's
    working folder.

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 6 * 7")])
    >>> run = ExecuteWithLimits(timeout=30, harvest={"x": None})
    >>> nb, resources = run.preprocess(nb, {})
    >>> resources["stacks"]["execution"]["status"], resources["stacks"]["arrays"]["x"]
    ('ok', array(42))
    """

    timeout = Float(60, help="Seconds each cell may run before it is interrupted.").tag(config=True)
    notebook_timeout = Float(
        None,
        allow_none=True,
        help="Seconds for the whole notebook (default: timeout x (code cells + 1) + 60).",
    ).tag(config=True)
    startup_timeout = Float(120, help="Seconds a kernel may take to start.").tag(config=True)
    kernel_name = Unicode(
        NATIVE_KERNEL, help="Kernelspec to run ('stacks-fork' forks pre-loaded kernels)."
    ).tag(config=True)
    kernel_env = Dict(
        value_trait=Unicode(), help="Environment variables for the kernel, over the grader's."
    ).tag(config=True)
    kernel_arguments = List(
        Unicode(), help="Extra ipykernel arguments, e.g. ['--matplotlib=inline']."
    ).tag(config=True)
    harvest = Dict(
        help="Variables to copy out of the kernel after the last cell: {name: None or 'middle'}."
    )
    sandbox = Bool(
        False, help="Run the kernel in the sandbox of stacks._sandbox (needs bubblewrap)."
    ).tag(config=True)
    limits = Dict(
        help="Resource limits of a sandboxed kernel, e.g. {'memory': '2GiB'} (stacks._sandbox.Limits)."
    ).tag(config=True)
    fork = Bool(
        True, help="With kernel_name 'stacks-fork': fork kernels from a pre-loaded zygote."
    ).tag(config=True)
    output_limit = Float(
        2 * 1024 * 1024,
        help="Bytes of output one cell may keep (text and images); the rest is dropped.",
    ).tag(config=True)
    judge = Bool(
        False,
        help=(
            "Decide the test cells outside the kernel (stacks._judge): the kernel runs every "
            "other cell, then the exercise's own test cells run in the grader on values "
            "copied out of it."
        ),
    ).tag(config=True)
    hidden_seed = Integer(
        None,
        allow_none=True,
        help=(
            "Seed of the data that hidden tests make (helpers.grading.hidden_data); default: "
            "derived from the course secret and the assignment (stacks._secret)."
        ),
    ).tag(config=True)
    judge_source = Unicode(
        "",
        help=(
            "The exercise notebook whose test and set-up cells the judge runs (default: "
            "source/<assignment>/<notebook>.ipynb of the nbgrader course)."
        ),
    ).tag(config=True)

    def preprocess(
        self, nb: NotebookNode, resources: dict[str, Any] | None = None
    ) -> tuple[NotebookNode, dict[str, Any]]:
        """Execute ``nb`` in place (blocking)."""
        return run_sync(self.async_preprocess)(nb, resources)

    async def async_preprocess(
        self, nb: NotebookNode, resources: dict[str, Any] | None = None
    ) -> tuple[NotebookNode, dict[str, Any]]:
        """Execute ``nb`` in place; several can run at once on one event loop.

        Examples
        --------
        >>> import asyncio, nbformat
        >>> cells = [nbformat.v4.new_code_cell(f"print({i})") for i in range(2)]
        >>> books = [nbformat.v4.new_notebook(cells=[cell]) for cell in cells]
        >>> async def both():
        ...     run = [ExecuteWithLimits().async_preprocess(nb, {}) for nb in books]
        ...     return await asyncio.gather(*run)
        >>> [nb.cells[0].outputs[0].text for nb, _ in asyncio.run(both())]
        ['0\\n', '1\\n']
        """
        resources = resources if resources is not None else {}
        if self.sandbox:
            _sandbox.require()  # says how to install bubblewrap; never grade unsandboxed by accident
        started = time.perf_counter()
        outcome: dict[str, Any] = {"status": "ok", "message": ""}
        n_code = sum(cell.cell_type == "code" for cell in nb.cells)
        total = self.notebook_timeout or self.timeout * (n_code + 1) + 60
        progress = _Progress()
        # the kernel's folder: its log and harvest, and with a sandbox its connection file
        # and sockets too, the one folder of the grader's that it can see
        parent = _sandbox.kernels_folder() if self.sandbox else None
        with tempfile.TemporaryDirectory(prefix="stacks-run-", dir=parent) as scratch:
            log_path = Path(scratch) / "kernel.log"
            target = Path(scratch) / "harvest.npz"
            client = self._client(nb, resources, progress, Path(scratch))
            arrays: dict[str, np.ndarray] = {}
            try:
                with log_path.open("wb") as log:
                    arrays = await asyncio.wait_for(self._run(client, target, log, progress), total)
            except TimeoutError as error:
                if type(error).__name__ == "CellTimeoutError":
                    # nbclient's: a cell ran over, was interrupted and still did not stop
                    stuck = progress.last_done + 1
                    name = _cell_name(nb.cells[stuck], stuck) if stuck < len(nb.cells) else "a cell"
                    outcome = {
                        "status": "timeout",
                        "message": (
                            f"{name} ran for more than {self.timeout:g} s and did not stop when "
                            "interrupted, so the kernel was stopped; the cells after it did not run"
                        ),
                    }
                    stuck_cell = nb.cells[stuck] if stuck < len(nb.cells) else None
                    if stuck_cell is not None and stuck_cell.cell_type == "code":
                        message = f"this cell ran for more than {self.timeout:g} s and ignored the interrupt"
                        stuck_cell.outputs = [
                            *stuck_cell.get("outputs", []),
                            _error_output(TIMEOUT_ENAME, message),
                        ]
                        progress.last_done = stuck
                else:  # asyncio.wait_for: the notebook's own time limit
                    outcome = {
                        "status": "timeout",
                        "message": f"the notebook ran for more than {total:g} s and was stopped",
                    }
            except Exception as error:  # DeadKernelError, start-up failures
                outcome = _failure(error, log_path)
            if self.sandbox:
                self._end_cgroups(Path(scratch).name, outcome)
        if self.judge:
            _give_verdicts(nb, resources.get("stacks", {}).pop("verdicts", {}), outcome)
        if outcome["status"] == "ok":
            outcome = _limit_hit(nb, self._limits()) or outcome
        if progress.last_done < len(nb.cells) - 1:
            # the cell that was running when execution stopped may have partial output
            reason = f"this cell did not run: {outcome['message'] or 'execution stopped'}"
            mark_not_run(nb, progress.last_done, reason)
        if progress.timed_out and outcome["status"] == "ok":
            cells = ", ".join(_cell_name(nb.cells[i], i) for i in progress.timed_out)
            outcome = {
                "status": "timeout",
                "message": f"{cells} ran for more than {self.timeout:g} s and was stopped; the other cells were graded",
            }
        outcome["seconds"] = time.perf_counter() - started
        stacks = resources.setdefault("stacks", {})
        stacks["execution"] = outcome
        stacks["arrays"] = arrays
        return nb, resources

    def _limits(self) -> _sandbox.Limits:
        return _sandbox.Limits.from_mapping(dict(self.limits))

    def _end_cgroups(self, name: str, outcome: dict[str, Any]) -> None:
        """Say so when the memory controller stopped the kernel; remove its groups."""
        for controller, parent in _sandbox.cgroup_folders().items():
            group = Path(parent) / name
            if controller == "memory" and outcome["status"] == "kernel-died":
                try:
                    control = (group / "memory.oom_control").read_text()
                except OSError:
                    control = ""
                if re.search(r"^oom_kill [1-9]", control, flags=re.MULTILINE):
                    limit = self._limits().memory
                    outcome["status"] = "limit"
                    outcome["message"] = (
                        f"the kernel used more than its memory limit ({_sandbox.describe_size(limit)}) "
                        "and was stopped"
                    )
            _sandbox.remove_cgroup(group)

    def _manager_config(self, folder: Path) -> Config:
        manager: dict[str, Any] = {"fork": self.fork}
        if self.sandbox:
            from helpers import datasets

            limits = self._limits()
            manager["sandbox"] = {
                "kernels": str(_sandbox.kernels_folder()),
                "data": str(datasets.data_root()),
                "folder": str(folder),
                "limits": limits.as_dict(),
                "env": dict(self.kernel_env),
                "cgroups": _sandbox.cgroup_folders(),
            }
            # no network in the sandbox: the kernel's sockets are files in its folder
            manager["transport"] = "ipc"
            manager["ip"] = str(folder / "kernel")
            manager["connection_file"] = str(folder / "connection.json")
        return Config({"GradingKernelManager": manager})

    def _client(
        self, nb: NotebookNode, resources: dict[str, Any], progress: _Progress, folder: Path
    ) -> Any:
        message = f"this cell ran for more than {self.timeout:g} s and was stopped"
        return _client_class()(
            nb,
            output_limit=int(self.output_limit),
            timeout=int(max(1, round(self.timeout))),
            kernel_name=self.kernel_name,
            kernel_manager_class=GradingKernelManager,
            allow_errors=True,
            interrupt_on_timeout=True,
            raise_on_iopub_timeout=True,
            iopub_timeout=10,
            startup_timeout=int(self.startup_timeout),
            record_timing=False,
            shutdown_kernel="immediate",
            error_on_timeout={
                "ename": TIMEOUT_ENAME,
                "evalue": message,
                "traceback": [f"\x1b[0;31m{TIMEOUT_ENAME}\x1b[0m: {message}"],
            },
            resources=resources,
            extra_arguments=list(self.kernel_arguments),
            on_cell_executed=progress.record,
            config=self._manager_config(folder),
        )

    async def _run(
        self, client: Any, target: Path, log: Any, progress: _Progress
    ) -> dict[str, np.ndarray]:
        # the kernel's own stdout/stderr (start-up notices, crash reports) go to a log
        from helpers import datasets

        # an unsandboxed kernel reads the data where the grader does (a student's own
        # variant when grading with a roster); a sandboxed one sees them at DATA_VIEW
        env = {"STACKS_DATA": str(datasets.data_root()), **self.kernel_env}
        async with client.async_setup_kernel(env=kernel_env(env), stdout=log, stderr=log):
            info = await client.async_wait_for_reply(await _maybe_await(client.kc.kernel_info()))
            if info is not None and "language_info" in info["content"]:
                client.nb.metadata["language_info"] = info["content"]["language_info"]
            judge = None
            if self.judge:
                cells, answers = self._judge_plan(client.resources)
                judge = _judge.Session(
                    cells,
                    answers,
                    client,
                    target.parent,
                    self.timeout,
                    hidden_seed=self._hidden_seed(client.resources),
                )
                client.resources.setdefault("stacks", {})["verdicts"] = judge.verdicts
            for index, cell in enumerate(client.nb.cells):
                if judge is not None and is_test_cell(cell):
                    # the test runs in the grader, on the kernel's values as they are now
                    await judge.until(cell.metadata["nbgrader"].get("grade_id"))
                else:
                    try:
                        await client.async_execute_cell(
                            cell, index, execution_count=client.code_cells_executed + 1
                        )
                    except BaseException:
                        if judge is not None:
                            judge.stopped("the kernel stopped before this test")
                        raise
                progress.last_done = index
            if judge is not None:
                await judge.until(None)  # tests the notebook did not have
            if not self.harvest:
                return {}
            code = _harvest_code(dict(self.harvest), target)
            msg_id = await _maybe_await(client.kc.execute(code, silent=True, store_history=False))
            reply = await client.async_wait_for_reply(msg_id)
            if reply and reply["content"].get("status") == "ok" and target.exists():
                try:
                    raw = _exchange.read_inside(target, target.parent)
                except ValueError:  # a link the kernel put there: nothing to show
                    return {}
                with np.load(io.BytesIO(raw), allow_pickle=False) as data:
                    return {key: data[key] for key in data.files}
            return {}

    def _hidden_seed(self, resources: Mapping[str, Any]) -> int | None:
        """The configured seed, or the course secret's for this assignment (None: practice)."""
        if self.hidden_seed is not None:
            return int(self.hidden_seed)
        assignment = (resources.get("nbgrader") or {}).get("assignment")
        if not assignment:
            return None  # stacks check: a student's own run has no hidden tests
        from stacks import _secret

        return _secret.hidden_seed(str(assignment))

    def _judge_plan(
        self, resources: dict[str, Any]
    ) -> tuple[list[_judge.JudgeCell], frozenset[str]]:
        """The judge's cells, from the exercise source (never from the submission)."""
        path = self.judge_source
        if not path:
            info = resources.get("nbgrader", {})
            root = self.config.CourseDirectory.get("root", ".")
            path = str(Path(root) / "source" / info["assignment"] / f"{info['notebook']}.ipynb")
        return _judge.plan_of(path, Path(path).stat().st_mtime_ns)


def _client_class() -> type:
    """nbclient's NotebookClient that keeps at most ``output_limit`` bytes of output per cell.

    A cell that prints hundreds of megabytes would otherwise fill the grader's memory and
    make a feedback page nobody can open. Defined on first use: nbclient is imported late.
    """
    global _LimitedClient
    if _LimitedClient is None:
        from nbclient import NotebookClient
        from traitlets import Int

        class LimitedClient(NotebookClient):
            output_limit = Int(2 * 1024 * 1024)

            def output(
                self,
                outs: list[NotebookNode],
                msg: dict[str, Any],
                display_id: str | None,
                cell_index: int,
            ) -> NotebookNode | None:
                content = msg.get("content", {})
                size = len(str(content.get("text", ""))) + sum(
                    len(str(value)) for value in content.get("data", {}).values()
                )
                used = self._output_used.get(cell_index, 0) + size
                self._output_used[cell_index] = used
                if used > self.output_limit and msg.get("msg_type") != "error":
                    if not self._output_noted.get(cell_index):
                        self._output_noted[cell_index] = True
                        note = new_output(
                            "stream",
                            name="stdout",
                            text=f"\n[output stopped: this cell made more than "
                            f"{_sandbox.describe_size(self.output_limit)} of it]\n",
                        )
                        outs.append(note)
                    return None
                return super().output(outs, msg, display_id, cell_index)

            @property
            def _output_used(self) -> dict[int, int]:
                return self.__dict__.setdefault("_stacks_output_used", {})

            @property
            def _output_noted(self) -> dict[int, bool]:
                return self.__dict__.setdefault("_stacks_output_noted", {})

        _LimitedClient = LimitedClient
    return _LimitedClient


_LimitedClient: type | None = None


class _Progress:
    """What the hook saw: cells that timed out, and the last cell that finished."""

    def __init__(self) -> None:
        self.timed_out: list[int] = []
        self.last_done = -1

    def record(self, cell: NotebookNode, cell_index: int, execute_reply: dict[str, Any]) -> None:
        content = execute_reply.get("content", {}) if execute_reply else {}
        if content.get("status") != "error":
            return
        if content.get("ename") == TIMEOUT_ENAME:
            self.timed_out.append(cell_index)
        # as nbgrader's Execute does: a timeout reply has no matching error output; add one
        if not any(
            o.get("output_type") == "error" and o.get("ename") == content.get("ename")
            for o in cell.outputs
        ):
            cell.outputs.append(
                _error_output(
                    content.get("ename", "Error"),
                    content.get("evalue", ""),
                    content.get("traceback"),
                )
            )


async def _maybe_await(value: Any) -> Any:
    if asyncio.iscoroutine(value) or isinstance(value, asyncio.Future):
        return await value
    return value


def _failure(error: Exception, log_path: Path) -> dict[str, Any]:
    name = type(error).__name__
    if name == "DeadKernelError":
        message = "the kernel died (out of memory, or the code exited Python)"
        tail = _last_words(log_path)
        return {
            "status": "kernel-died",
            "message": message + (f"; its last words: {tail}" if tail else ""),
        }
    return {"status": "error", "message": f"{name}: {error}".strip()}


def _give_verdicts(
    nb: NotebookNode, verdicts: dict[str, list[NotebookNode]], outcome: dict[str, Any]
) -> None:
    """Test cells get the judge's outputs; one the judge did not reach fails, never passes."""
    for cell in nb.cells:
        if not is_test_cell(cell):
            continue
        grade_id = cell.metadata["nbgrader"].get("grade_id")
        if grade_id in verdicts:
            cell.outputs = verdicts[grade_id]
        else:
            reason = outcome.get("message") or "the notebook stopped before this test"
            cell.outputs = [_error_output(NOT_RUN_ENAME, f"this test did not run: {reason}")]


#: How a limit of the sandbox shows in a cell: (exception name, words in its message).
_LIMIT_ERRORS = {
    "memory": ("MemoryError", ""),
    "file_size": ("OSError", "File too large"),
    "processes": ("BlockingIOError", "Resource temporarily unavailable"),
}


def _limit_hit(nb: NotebookNode, limits: _sandbox.Limits) -> dict[str, Any] | None:
    """A ``limit`` outcome naming the limit and the cell, if a cell ran into one."""
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") != "error":
                continue
            for limit, (ename, words) in _LIMIT_ERRORS.items():
                if output.get("ename") == ename and words in output.get("evalue", ""):
                    value = getattr(limits, limit)
                    amount = value if limit == "processes" else _sandbox.describe_size(value)
                    return {
                        "status": "limit",
                        "message": (
                            f"{_cell_name(cell, index)} ran into the {limit.replace('_', ' ')} "
                            f"limit ({amount}); the other cells were graded"
                        ),
                    }
    return None


def _cell_name(cell: NotebookNode, index: int) -> str:
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return f"cell {index + 1} ({grade_id})" if grade_id else f"cell {index + 1}"


# ipykernel's start-up banner is not news; a crash report is
_CRASH = re.compile(r"Error|Fatal|Killed|Segmentation|Abort|core dumped|Traceback")


def _last_words(path: Path, limit: int = 200) -> str:
    """The last line of a kernel log that reports a crash, shortened."""
    try:
        lines = [line.strip() for line in path.read_text(errors="replace").splitlines()]
    except OSError:
        return ""
    crashes = [line for line in lines if line and _CRASH.search(line)]
    return crashes[-1][:limit] if crashes else ""
