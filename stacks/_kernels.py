"""How grading kernels start: their environment, and the kernelspecs that ``stacks`` ships.

``stacks/kernels/`` holds the kernelspec ``stacks-fork``, whose kernels are forked from a
process that has already imported the course's libraries (:mod:`stacks._provisioner`,
registered as a jupyter_client kernel provisioner). :class:`GradingKernelManager` finds it
beside the kernelspecs installed in the environment, so nothing is installed anywhere.
"""

from __future__ import annotations

import os
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Dict, default

__all__ = ["FORK_KERNEL", "KERNELS", "NATIVE_KERNEL", "GradingKernelManager", "kernel_env"]

#: Kernelspecs shipped with the package.
KERNELS = Path(__file__).resolve().parent / "kernels"
#: A kernel forked from a pre-loaded process: much faster to start, same isolation.
FORK_KERNEL = "stacks-fork"
#: The ordinary IPython kernel.
NATIVE_KERNEL = "python3"

#: What every grading kernel gets on top of the grader's environment.
GRADING_ENV = {
    # warnings would clutter the feedback; grading never counts them (IgnoreStderrInTests)
    "PYTHONWARNINGS": "ignore",
    # what nbgrader sets, so that notebooks can tell they are being graded
    "NBGRADER_EXECUTION": "autograde",
    # the debugger's "frozen modules" notice goes to stderr; grading has no debugger
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
}


def kernel_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a grading kernel: the grader's, :data:`GRADING_ENV`, then ``extra``.

    Examples
    --------
    >>> env = kernel_env({"MPLBACKEND": "Agg"})
    >>> env["PYTHONWARNINGS"], env["MPLBACKEND"]
    ('ignore', 'Agg')
    """
    from stacks._secret import without_secret

    return without_secret({**os.environ, **GRADING_ENV, **(extra or {})})


class GradingKernelManager(AsyncKernelManager):
    """jupyter_client's AsyncKernelManager that also finds the kernelspecs in :data:`KERNELS`.

    Examples
    --------
    >>> manager = GradingKernelManager(kernel_name=FORK_KERNEL)
    >>> manager.kernel_spec.metadata["kernel_provisioner"]["provisioner_name"]
    'stacks-fork-provisioner'
    """

    sandbox = Dict(
        help=(
            "Run the kernel sandboxed (stacks._sandbox): {'kernels': run folder, 'data': "
            "datasets folder, 'folder': this kernel's folder, 'limits': {...}, 'env': {...}}. "
            "Empty: no sandbox."
        )
    ).tag(config=True)
    fork = Bool(
        True, help="Fork the kernel from a pre-loaded zygote (kernelspec stacks-fork only)."
    ).tag(config=True)

    @default("kernel_spec_manager")
    def _kernel_spec_manager_with_ours(self) -> KernelSpecManager:
        manager = KernelSpecManager(data_dir=self.data_dir)
        manager.kernel_dirs = [*manager.kernel_dirs, str(KERNELS)]
        return manager
