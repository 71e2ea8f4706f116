"""Showing a :class:`GradingError` in IPython as its message instead of a traceback.

The message is what the student needs; the checking code the traceback runs through is
not theirs to read.
"""

from __future__ import annotations

from typing import Any

from ._failure import GradingError


def show_grading_error(
    shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: int | None = None
) -> list[str]:
    """IPython handler: show a GradingError as its message alone, in red like an error.

    Examples
    --------
    >>> class Shell:
    ...     def _showtraceback(self, etype, value, stb):
    ...         print(stb)
    >>> error = GradingError("axis 1 was reduced")
    >>> lines = show_grading_error(Shell(), GradingError, error, None)
    ['\\x1b[0;31mGradingError\\x1b[0m: axis 1 was reduced']
    """
    stb = [f"\x1b[0;31m{etype.__name__}\x1b[0m: {value}"]
    shell._showtraceback(etype, value, stb)
    return stb


def install_handler() -> None:
    """Make a running IPython shell show GradingErrors with :func:`show_grading_error`.

    Outside IPython, or when another handler of custom exceptions is installed, it does
    nothing.

    Examples
    --------
    >>> install_handler()  # plain Python: nothing to install
    """
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: nothing to install
        return
    shell = get_ipython()
    if shell is None:
        return
    installed = getattr(shell, "custom_exceptions", ())
    if any(getattr(e, "__name__", "") != "GradingError" for e in installed):
        # someone else installed a handler: leave theirs alone
        return
    shell.set_custom_exc((GradingError,), show_grading_error)
