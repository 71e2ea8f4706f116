"""Run a notebook in a fresh Jupyter kernel, the way grading needs it.

Differences from ``jupyter nbconvert --execute`` that matter for grading:

- each cell has a time limit; a cell that runs over is interrupted and the rest of the
  notebook still runs (later answers still earn their points);
- a cell that never ran (kernel died, kernel stopped responding, notebook time limit) gets
  an error output. Without one nbgrader would see a test cell with no output and award
  full marks;
- warnings are silenced in the kernel (``PYTHONWARNINGS=ignore``) so the feedback is not
  cluttered; grading itself ignores stderr in test cells (see :mod:`stacks._results`);
- after the last cell, named variables can be saved from the kernel (for feedback
  pictures) before it shuts down.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from nbformat import NotebookNode

TIMEOUT_ENAME = "TimeoutError"
NOT_RUN_ENAME = "NotRun"


@dataclass(frozen=True)
class Harvest:
    """A variable to copy out of the kernel after the notebook ran.

    ``plane="middle"`` keeps only the middle plane along axis 0 of a 3D array, so that a
    label volume costs a few hundred kB rather than tens of MB.
    """

    name: str
    plane: str | None = None


@dataclass
class Execution:
    """What running a notebook produced."""

    notebook: NotebookNode
    status: str = "ok"  # ok | timeout | kernel-died | error
    message: str = ""
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    seconds: float = 0.0


def kernel_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for grading kernels: warnings off, nbgrader's execution flag on."""
    env = dict(os.environ)
    env.update(
        {
            "PYTHONWARNINGS": "ignore",
            "NBGRADER_EXECUTION": "autograde",
            # the debugger's "frozen modules" notice goes to stderr; grading has no debugger
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        }
    )
    env.update(extra or {})
    return env


def _harvest_code(specs: Sequence[Harvest], target: Path) -> str:
    wanted = [(spec.name, spec.plane) for spec in specs]
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
        if array.dtype.kind not in "biuf" or array.size > 50_000_000:
            continue
        if plane == "middle" and array.ndim == 3:
            array = array[array.shape[0] // 2]
        found[name] = numpy.ascontiguousarray(array)
    numpy.savez({str(target)!r}, **found)
try:
    __stacks_harvest()
finally:
    del __stacks_harvest
"""


def _client_class():
    from nbclient import NotebookClient

    class _Client(NotebookClient):
        """NotebookClient that records timeouts and can run code after the last cell."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.timed_out: list[int] = []
            self.last_done = -1
            self.on_cell_executed = self._record

        def _record(self, cell: NotebookNode, cell_index: int, execute_reply: dict) -> None:
            content = execute_reply.get("content", {}) if execute_reply else {}
            if content.get("status") != "error":
                return
            if content.get("ename") == TIMEOUT_ENAME:
                self.timed_out.append(cell_index)
            # like nbgrader's Execute: a timeout reply has no matching error output; add one
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

        async def run(
            self, harvest: Sequence[Harvest], target: Path, env: dict[str, str], log: Any
        ) -> dict[str, np.ndarray]:
            self.reset_execution_trackers()
            arrays: dict[str, np.ndarray] = {}
            # the kernel's own stdout/stderr (start-up notices, crash reports) go to a log
            async with self.async_setup_kernel(env=env, stdout=log, stderr=log):
                msg_id = await _maybe_await(self.kc.kernel_info())
                info = await self.async_wait_for_reply(msg_id)
                if info is not None and "language_info" in info["content"]:
                    self.nb.metadata["language_info"] = info["content"]["language_info"]
                for index, cell in enumerate(self.nb.cells):
                    await self.async_execute_cell(
                        cell, index, execution_count=self.code_cells_executed + 1
                    )
                    self.last_done = index
                if harvest:
                    msg_id = await _maybe_await(
                        self.kc.execute(
                            _harvest_code(harvest, target), silent=True, store_history=False
                        )
                    )
                    reply = await self.async_wait_for_reply(msg_id)
                    if reply and reply["content"].get("status") == "ok" and target.exists():
                        with np.load(target) as data:
                            arrays = {key: data[key] for key in data.files}
            return arrays

    return _Client


async def _maybe_await(value: Any) -> Any:
    if asyncio.iscoroutine(value) or isinstance(value, asyncio.Future):
        return await value
    return value


def _error_output(ename: str, evalue: str, traceback: list[str] | None = None) -> NotebookNode:
    from nbformat.v4 import new_output

    return new_output(
        "error",
        ename=ename,
        evalue=evalue,
        traceback=traceback or [f"\x1b[0;31m{ename}\x1b[0m: {evalue}"],
    )


def mark_not_run(nb: NotebookNode, after: int, reason: str) -> None:
    """Give every code cell after index ``after`` an error output saying why it did not run."""
    for cell in nb.cells[after + 1 :]:
        if cell.cell_type == "code":
            cell.outputs = list(cell.get("outputs", [])) + [_error_output(NOT_RUN_ENAME, reason)]


async def run_notebook(
    nb: NotebookNode,
    *,
    cwd: Path | None = None,
    timeout: float = 60,
    notebook_timeout: float | None = None,
    harvest: Sequence[Harvest] = (),
    env: dict[str, str] | None = None,
    kernel_manager_class: type | None = None,
    kernel_arguments: Sequence[str] = (),
) -> Execution:
    """Execute ``nb`` in place in a new ``python3`` kernel.

    Parameters
    ----------
    nb : NotebookNode
        The notebook; its cells receive their outputs.
    cwd : Path, optional
        Working directory of the kernel (default: a new temporary folder).
    timeout : float
        Seconds each cell may run before it is interrupted.
    notebook_timeout : float, optional
        Seconds for the whole notebook (default: ``timeout`` times the number of code
        cells plus one minute), a safety net for kernels that ignore interrupts.
    harvest : sequence of Harvest
        Variables to copy out of the kernel after the last cell.
    env : dict, optional
        Kernel environment (default: :func:`kernel_env`).
    kernel_manager_class : type, optional
        How kernels start (default: jupyter_client's AsyncKernelManager; see
        :mod:`stacks._zygote` for the fast way).
    kernel_arguments : sequence of str
        Extra command-line arguments for ipykernel, e.g. ``["--matplotlib=inline"]``.

    Returns
    -------
    Execution
        ``status`` is ``"ok"``, ``"timeout"`` (some cell ran over its time limit; the
        other cells ran), ``"kernel-died"`` or ``"error"``.
    """
    client_class = _client_class()
    n_code = sum(cell.cell_type == "code" for cell in nb.cells)
    total = notebook_timeout or timeout * (n_code + 1) + 60
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="stacks-run-") as scratch:
        workdir = Path(cwd) if cwd else Path(scratch)
        client = client_class(
            nb,
            timeout=int(max(1, round(timeout))),
            kernel_name="python3",
            allow_errors=True,
            interrupt_on_timeout=True,
            raise_on_iopub_timeout=True,
            iopub_timeout=10,
            startup_timeout=120,
            record_timing=False,
            shutdown_kernel="immediate",
            error_on_timeout={
                "ename": TIMEOUT_ENAME,
                "evalue": f"this cell ran for more than {timeout:g} s and was stopped",
                "traceback": [
                    f"\x1b[0;31m{TIMEOUT_ENAME}\x1b[0m: this cell ran for more than {timeout:g} s and was stopped"
                ],
            },
            resources={"metadata": {"path": str(workdir)}},
            extra_arguments=list(kernel_arguments),
            **({"kernel_manager_class": kernel_manager_class} if kernel_manager_class else {}),
        )
        result = Execution(notebook=nb)
        target = Path(scratch) / "harvest.npz"
        log_path = Path(scratch) / "kernel.log"
        try:
            with log_path.open("wb") as log:
                result.arrays = await asyncio.wait_for(
                    client.run(harvest, target, env or kernel_env(), log), total
                )
        except asyncio.TimeoutError:
            result.status, result.message = (
                "timeout",
                f"the notebook ran for more than {total:g} s and was stopped",
            )
        except (
            Exception
        ) as error:  # DeadKernelError, CellTimeoutError (kernel unresponsive), startup
            name = type(error).__name__
            if name == "DeadKernelError":
                result.status, result.message = (
                    "kernel-died",
                    "the kernel died (out of memory, or the code exited Python)",
                )
                tail = _tail(log_path)
                if tail:
                    result.message += f"; its last words: {tail}"
            elif name == "CellTimeoutError":
                result.status, result.message = (
                    "timeout",
                    "the kernel stopped responding after a cell ran over its time limit",
                )
            else:
                result.status, result.message = "error", f"{name}: {error}".strip()
        if client.last_done < len(nb.cells) - 1:
            reason = f"this cell did not run: {result.message or 'execution stopped'}"
            # the cell that was running when execution stopped may have partial output
            mark_not_run(nb, client.last_done, reason)
        if client.timed_out and result.status == "ok":
            cells = ", ".join(_cell_name(nb.cells[i], i) for i in client.timed_out)
            result.status = "timeout"
            result.message = f"{cells} ran for more than {timeout:g} s and was stopped; the other cells were graded"
    result.seconds = time.perf_counter() - started
    return result


def _cell_name(cell: NotebookNode, index: int) -> str:
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return f"cell {index + 1} ({grade_id})" if grade_id else f"cell {index + 1}"


def _tail(path: Path, limit: int = 200) -> str:
    """The last non-empty line of a kernel log, shortened (for 'kernel died' messages)."""
    try:
        lines = [
            line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()
        ]
    except OSError:
        return ""
    # ipykernel's start-up banner is not news; a crash report is
    crash = re.compile(r"Error|Fatal|Killed|Segmentation|Abort|core dumped|Traceback")
    lines = [line for line in lines if crash.search(line)]
    return lines[-1][:limit] if lines else ""


def run_notebook_sync(nb: NotebookNode, **kwargs: Any) -> Execution:
    """Blocking form of :func:`run_notebook` (for one notebook, e.g. ``stacks check``)."""
    return asyncio.run(run_notebook(nb, **kwargs))
