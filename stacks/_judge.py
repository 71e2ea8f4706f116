"""The judge: test cells run in the grader, on values copied out of the student's kernel.

A student's kernel only computes. After their notebook ran, the judge runs the exercise's
own test cells, taken from the exercise source (never from the submission), in a fresh
namespace of the grader's process, together with the set-up cells those tests need. Every
name a test uses that the student's answer cells define is copied out of the kernel as
data (:mod:`stacks._exchange`); a function becomes a stand-in that sends its arguments to
the kernel, calls the student's function there and brings back the result, and the
arguments as the function left them. Nothing the kernel prints, displays, patches or
writes can change a score: a kernel can only hand over values, which the checks judge.

The verdicts become the outputs of the test cells, so that nbgrader's ``SaveAutoGrades``
and the feedback read them as they would read a kernel's.
"""

from __future__ import annotations

import ast
import asyncio
import builtins
import contextlib
import functools
import io
import json
import shutil
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from nbformat import NotebookNode
from nbformat.v4 import new_output

from stacks import _exchange
from stacks._markup import is_test_cell, nbgrader_meta

__all__ = ["JudgeCell", "JudgeFailure", "Session", "plan", "plan_of"]


@dataclass(frozen=True)
class JudgeCell:
    """A cell the judge runs: a test cell, or a set-up cell that tests need.

    Examples
    --------
    >>> JudgeCell("assert x == 1", "test_x", frozenset({"x"}))
    JudgeCell(source='assert x == 1', grade_id='test_x', loads=frozenset({'x'}), bound=frozenset())
    """

    source: str
    grade_id: str | None
    loads: frozenset[str]
    bound: frozenset[str] = frozenset()


class JudgeFailure(Exception):
    """The kernel could not answer the judge (it died, or stopped responding)."""


# ------------------------------------------------------------------ which cells to run


def _python(source: str) -> str:
    """Cell source as plain Python: IPython magics become calls of a stand-in shell."""
    from IPython.core.inputtransformer2 import TransformerManager

    return str(TransformerManager().transform_cell(source))


class _Names(ast.NodeVisitor):
    """Names a cell binds at its top level, and every name it reads."""

    def __init__(self) -> None:
        self.bound: set[str] = set()
        self.loads: set[str] = set()
        self._depth = 0

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.loads.add(node.id)
        elif self._depth == 0:
            self.bound.add(node.id)

    def _scope(self, node: ast.AST, name: str | None) -> None:
        if name and self._depth == 0:
            self.bound.add(name)
        self._depth += 1
        self.generic_visit(node)
        self._depth -= 1

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._scope(node, node.name)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._scope(node, node.name)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._scope(node, node.name)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._scope(node, None)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.bound.add(alias.asname or alias.name.split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            self.bound.add(alias.asname or alias.name)


def _names(source: str) -> _Names:
    names = _Names()
    with contextlib.suppress(SyntaxError):
        names.visit(ast.parse(_python(source)))
    return names


@functools.lru_cache(maxsize=16)
def plan_of(path: str, modified: int) -> tuple[list[JudgeCell], frozenset[str]]:
    """:func:`plan` of the notebook at ``path``, read once per version (``modified``: mtime).

    Every submission of a run has the same exercise source: it is parsed once.
    """
    import nbformat

    return plan(nbformat.read(path, as_version=4))


def plan(source: NotebookNode) -> tuple[list[JudgeCell], frozenset[str]]:
    """The cells the judge runs, in notebook order, and the names the answers define.

    Every test cell (nbgrader ``grade`` and not ``solution``) is run, with each other
    non-answer cell that binds a name a chosen cell reads (imports, loading the data...).
    Plots and explanations that no test needs are left out.

    Examples
    --------
    >>> import nbformat
    >>> def cell(source, **nbgrader):
    ...     return nbformat.v4.new_code_cell(source, metadata={"nbgrader": nbgrader} if nbgrader else {})
    >>> nb = nbformat.v4.new_notebook(cells=[
    ...     cell("import numpy as np\\nstack = np.ones((2, 3))"),
    ...     cell("total = stack.sum()", solution=True, grade=False, grade_id="a"),
    ...     cell("import matplotlib.pyplot as plt\\nplt.plot(stack)"),
    ...     cell("assert total == np.sum(stack)", grade=True, solution=False, grade_id="t", points=1),
    ... ])
    >>> cells, answers = plan(nb)
    >>> [c.grade_id for c in cells], sorted(answers)
    ([None, 't'], ['total'])
    """
    code = [cell for cell in source.cells if cell.cell_type == "code"]
    answers: set[str] = set()
    for cell in code:
        if nbgrader_meta(cell).get("solution"):
            answers |= _names(cell.source).bound
    chosen = {i for i, cell in enumerate(code) if is_test_cell(cell)}
    names = {
        i: _names(cell.source)
        for i, cell in enumerate(code)
        if not nbgrader_meta(cell).get("solution")
    }
    needed = set().union(*(names[i].loads for i in chosen)) - answers if chosen else set()
    while True:
        more = {i for i in names if i not in chosen and names[i].bound & needed}
        if not more:
            break
        chosen |= more
        needed |= set().union(*(names[i].loads for i in more)) - answers
    # A name a chosen cell reads that no chosen cell binds can only come from the student:
    # in a release (``stacks check``), answer cells are stubs that bind nothing.
    bound = set().union(*(names[i].bound for i in chosen)) if chosen else set()
    answers |= needed - bound - set(dir(builtins))
    cells = [
        JudgeCell(
            code[i].source,
            nbgrader_meta(code[i]).get("grade_id") if is_test_cell(code[i]) else None,
            frozenset(names[i].loads),
            frozenset(names[i].bound),
        )
        for i in sorted(chosen)
    ]
    return cells, frozenset(answers)


# ------------------------------------------------------------------ talking to the kernel


class _Kernel:
    """The student's kernel as the judge sees it: it answers with files, nothing else."""

    def __init__(self, client: Any, folder: Path, timeout: float, loop: asyncio.AbstractEventLoop):
        self.client, self.folder, self.timeout, self.loop = client, folder, timeout, loop

    async def _run(self, code: str, what: str) -> None:
        kc = self.client.kc
        msg_id = kc.execute(code, silent=True, store_history=False)
        if asyncio.iscoroutine(msg_id):
            msg_id = await msg_id
        try:
            await asyncio.wait_for(self.client.async_wait_for_reply(msg_id), self.timeout)
        except TimeoutError:
            await _interrupt(self.client)
            raise TimeoutError(
                f"{what} ran for more than {self.timeout:g} s and was stopped"
            ) from None
        except Exception as error:
            raise JudgeFailure(f"the kernel stopped answering ({type(error).__name__})") from None

    def _new_folder(self) -> Path:
        # a fresh name each time: a folder the kernel kept from being removed is no obstacle
        (self.folder / "judge").mkdir(exist_ok=True)
        return Path(tempfile.mkdtemp(dir=self.folder / "judge"))

    async def fetch(self, name: str) -> tuple[str, Any]:
        """``("missing" | "callable" | "value", value)`` of the student's ``name``."""
        folder = self._new_folder()
        await self._run(
            "import stacks._exchange as __stacks_exchange\n"
            f"__stacks_exchange.export_name(globals(), {name!r}, {str(folder)!r})\n"
            "del __stacks_exchange",
            f"reading {name}",
        )
        # no paths or error texts of the grader's in what the student reads
        value: Any = None
        try:
            kind = json.loads(_exchange.read_inside(folder / "kind.json", self.folder))["kind"]
        except (OSError, ValueError, KeyError, TypeError):
            kind, value = (
                "value",
                _exchange.Opaque(
                    name,
                    "was not handed over by the kernel: did the notebook change how its cells "
                    "run (input transformers, hooks)?",
                ),
            )
        else:
            try:
                value = (
                    _exchange.decode(folder / "value", root=self.folder)
                    if kind == "value"
                    else None
                )
            except (OSError, ValueError, KeyError, TypeError):
                kind, value = "value", _exchange.Opaque(name, "could not be read as data")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return kind, value

    async def call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        folder = self._new_folder()
        try:
            _exchange.encode({"args": list(args), "kwargs": kwargs}, folder / "args", name)
            await self._run(
                "import stacks._exchange as __stacks_exchange\n"
                f"__stacks_exchange.call_function(globals(), {name!r}, {str(folder)!r})\n"
                "del __stacks_exchange",
                name,
            )
            try:
                outcome = json.loads(_exchange.read_inside(folder / "outcome.json", self.folder))
            except (OSError, ValueError):
                raise JudgeFailure(
                    f"{name} gave no result: did the notebook change how its cells run?"
                ) from None
            if outcome.get("kind") == "error":
                raise _rebuilt(outcome)
            try:
                result = _exchange.decode(folder / "result", root=self.folder)
                after = _exchange.decode(folder / "args_after", root=self.folder)
            except (OSError, ValueError, KeyError, TypeError):
                # no path or error text of the grader's in what the student reads
                raise JudgeFailure(f"the result of {name} could not be read as data") from None
            for given, changed in zip(args, after, strict=False):
                _copy_back(given, changed)
            return result
        finally:
            shutil.rmtree(folder, ignore_errors=True)


async def _interrupt(client: Any) -> None:
    try:
        result = client.km.interrupt_kernel()
        if asyncio.iscoroutine(result):
            await result
    except Exception:
        pass


def _rebuilt(outcome: dict[str, Any]) -> BaseException:
    """The student's exception, as a builtin exception of the same type where there is one."""
    name, message = str(outcome.get("type", "Exception")), str(outcome.get("message", ""))
    kind = getattr(builtins, name, None)
    if isinstance(kind, type) and issubclass(kind, Exception):
        try:
            error: BaseException = kind(message)
        except Exception:
            error = _exchange.StudentCallError(f"{name}: {message}")
    else:
        error = _exchange.StudentCallError(f"{name}: {message}")
    error.student_where = str(outcome.get("where", ""))  # type: ignore[attr-defined]
    return error


def _copy_back(given: Any, after: Any) -> None:
    """What the student's function did to an array argument, done to the judge's array."""
    if (
        isinstance(given, np.ndarray)
        and isinstance(after, np.ndarray)
        and given.shape == after.shape
        and given.flags.writeable
    ):
        np.copyto(given, after, casting="unsafe")


class _StudentFunction:
    """Stands in for a function the student defined; calls it in their kernel."""

    def __init__(self, name: str, kernel: _Kernel) -> None:
        self.__name__ = self.__qualname__ = name
        self._kernel = kernel

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        future = asyncio.run_coroutine_threadsafe(
            self._kernel.call(self.__name__, args, kwargs), self._kernel.loop
        )
        return future.result(self._kernel.timeout + 30)

    def __repr__(self) -> str:
        return f"<function {self.__name__} (the student's)>"


class _NoShell:
    """``get_ipython()`` for set-up cells with magics: they do nothing in the judge."""

    def run_line_magic(self, *args: Any, **kwargs: Any) -> None:
        return None

    def run_cell_magic(self, *args: Any, **kwargs: Any) -> None:
        return None

    def system(self, *args: Any, **kwargs: Any) -> None:
        return None

    getoutput = system


# ------------------------------------------------------------------ running the tests


def _execute(source: str, namespace: dict[str, Any]) -> list[NotebookNode]:
    """Run one cell in the judge's namespace; its outputs as a kernel would give them."""
    printed = io.StringIO()

    def judge_print(*args: Any, **kwargs: Any) -> None:
        kwargs.pop("file", None)
        builtins.print(*args, **kwargs, file=printed)

    namespace["print"] = judge_print
    outputs: list[NotebookNode] = []
    try:
        tree = ast.parse(_python(source))
        last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        if last is not None:
            tree.body.pop()
        exec(compile(tree, "<test cell>", "exec"), namespace)
        value = None
        if last is not None:
            value = eval(compile(ast.Expression(last.value), "<test cell>", "eval"), namespace)
    except BaseException as error:
        if printed.getvalue():
            outputs.append(new_output("stream", name="stdout", text=printed.getvalue()))
        ename, evalue = type(error).__name__, str(error)
        # no source lines in the traceback: a test cell may hold hidden tests
        frames = [f"{ename}: {evalue}"]
        if isinstance(error, SyntaxError | NameError | TypeError | AttributeError):
            frames = [*traceback.format_exception_only(type(error), error)]
        outputs.append(new_output("error", ename=ename, evalue=evalue, traceback=frames))
        return outputs
    if printed.getvalue():
        outputs.append(new_output("stream", name="stdout", text=printed.getvalue()))
    if value is not None:
        outputs.append(
            new_output("execute_result", data={"text/plain": repr(value)}, execution_count=None)
        )
    return outputs


class Session:
    """The judge of one submission, run alongside its kernel.

    :meth:`until` is called when the kernel reaches a test cell: the judge runs its cells up
    to that test with the kernel as it is then, so a test sees the student's values as
    they were at that point of the notebook, and tests before a crash keep their points.

    Parameters
    ----------
    cells, answers
        From :func:`plan`.
    client : nbclient.NotebookClient
        The client whose kernel runs the student's notebook.
    folder : pathlib.Path
        A folder that the kernel and the grader both see (the kernel's own folder).
    timeout : float
        Seconds one call of a student's function may run.
    hidden_seed : int, optional
        The seed of the data the hidden tests make (:func:`helpers.grading.hidden_data`);
        None: the practice seed.
    """

    def __init__(
        self,
        cells: list[JudgeCell],
        answers: frozenset[str],
        client: Any,
        folder: Path,
        timeout: float,
        *,
        hidden_seed: int | None = None,
    ) -> None:
        self.cells, self.answers, self.hidden_seed = cells, answers, hidden_seed
        self.client, self.folder, self.timeout = client, folder, timeout
        self.verdicts: dict[str, list[NotebookNode]] = {}
        self._next = 0
        self._namespace: dict[str, Any] = {"__name__": "__judge__", "get_ipython": _NoShell}
        # names the judge's own cells define: never taken from the kernel
        self._own = frozenset().union(*(cell.bound for cell in cells)) if cells else frozenset()
        self._dead: str | None = None
        self._kernel: _Kernel | None = None

    async def until(self, grade_id: str | None) -> None:
        """Run the judge's cells up to and including the test ``grade_id`` (None: all)."""
        wanted = [i for i, cell in enumerate(self.cells) if cell.grade_id == grade_id]
        stop = wanted[0] + 1 if wanted and grade_id is not None else len(self.cells)
        while self._next < stop:
            cell = self.cells[self._next]
            self._next += 1
            outputs = await self._judge(cell)
            if cell.grade_id:
                self.verdicts[cell.grade_id] = outputs

    def stopped(self, reason: str) -> None:
        """The kernel is gone: the tests still to come cannot be judged."""
        self._dead = self._dead or reason

    async def _judge(self, cell: JudgeCell) -> list[NotebookNode]:
        if self._kernel is None:
            loop = asyncio.get_running_loop()
            self._kernel = _Kernel(self.client, self.folder, self.timeout, loop)
        kernel = self._kernel
        if self._dead is None:
            try:
                # the student's values as they are now, for this cell
                for name in sorted((cell.loads & self.answers) - self._own):
                    kind, value = await kernel.fetch(name)
                    self._namespace.pop(name, None)
                    if kind == "callable":
                        self._namespace[name] = _StudentFunction(name, kernel)
                    elif kind == "value":
                        self._namespace[name] = value
            except (JudgeFailure, TimeoutError) as error:
                self._dead = str(error)
        if self._dead is not None:
            return [_not_judged(self._dead)]
        return await asyncio.to_thread(self._execute, cell.source)

    def _execute(self, source: str) -> list[NotebookNode]:
        from helpers import grading

        seed = self.hidden_seed
        with grading.hidden_data(seed) if seed is not None else contextlib.nullcontext():
            return _execute(source, self._namespace)


def _not_judged(reason: str) -> NotebookNode:
    return new_output(
        "error", ename="NotRun", evalue=f"this test could not run: {reason}", traceback=[reason]
    )
