"""Start grading kernels by forking a process that has already imported the course's libraries.

A fresh ``python -m ipykernel_launcher`` spends about a second of CPU before the first
cell runs: starting Python and ipykernel, then importing numpy, matplotlib, scikit-image,
pims... in every student's kernel. On two cores that is most of the grading time.

The *zygote* is one process, started per grading run with the kernels' environment, that
imports those libraries once and then forks a new kernel per submission. Each kernel is
still a separate process with its own memory (copy-on-write), fresh module state and no
trace of other students; it only skips the import work. Modules are imported, never run
student code, and the random generators are reseeded after the fork.

The zygote must fork before any thread exists, so BLAS libraries run single-threaded
(``OPENBLAS_NUM_THREADS=1``), which is also fairer when kernels share the cores.

Kernels reach it through the kernel provisioner :mod:`stacks._provisioner` (kernelspec
``stacks-fork``); if the zygote cannot start, kernels start the usual way.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

#: Imported once in the zygote. Not helpers.grading: it installs an IPython display hook
#: when imported inside a kernel, so each kernel must import it itself.
PRELOAD = (
    "numpy",
    "scipy.ndimage",
    "scipy.optimize",
    "matplotlib.pyplot",
    "skimage.color",
    "skimage.data",
    "skimage.feature",
    "skimage.filters",
    "skimage.io",
    "skimage.measure",
    "skimage.metrics",
    "skimage.morphology",
    "skimage.segmentation",
    "skimage.util",
    "tifffile",
    "pims",
    "helpers.datasets",
    "helpers.viz",
    "IPython",
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
)

#: Environment that keeps numerical libraries from starting threads before the fork.
SINGLE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


# ------------------------------------------------------------------ the zygote process


def _child(request: dict[str, Any], launch_dir: str) -> None:
    """Become an IPython kernel as the ipykernel launcher would (never returns)."""
    code = 1
    try:
        _die_with_parent()  # a grader killed outright leaves no kernel behind
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the kernel waits for its own children
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.setsid()  # own process group, like Popen(start_new_session=True)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        log = os.open(request["log"] or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        if request.get("isolate"):
            from stacks._isolate import isolate

            # the inner sandbox, before any student code; this returns in the kernel, PID 1
            options = request["isolate"]
            isolate(options["folder"], options["limits"], options.get("cgroups"))
        import random

        random.seed()
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed()
        if sys.path and sys.path[0] in ("", launch_dir):
            del sys.path[0]  # as ipykernel_launcher does; the kernel adds the cwd back
        from ipykernel import kernelapp

        kernelapp.launch_new_instance(argv=request["argv"][3:])
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 0
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        os._exit(code)


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent ends (nothing elsewhere)."""
    if sys.platform.startswith("linux"):
        from stacks._isolate import die_with_parent

        with contextlib.suppress(OSError, AttributeError):
            die_with_parent()


def serve(preload: list[str]) -> None:
    """Import ``preload``, then fork one kernel per JSON request read from stdin."""
    _die_with_parent()
    launch_dir = os.getcwd()
    for name in preload:
        # a missing optional library only makes kernels import it themselves
        with contextlib.suppress(Exception):
            __import__(name)

    def reap(signum: int, frame: object) -> None:
        # wait for ended kernels so that no zombie lingers and their CPU time is
        # accounted to us (and so to the grader, which waits for us)
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return

    signal.signal(signal.SIGCHLD, reap)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the grader; stdin EOF stops us
    threads = len(os.listdir("/proc/self/task")) if os.path.isdir("/proc/self/task") else 1
    print(json.dumps({"ready": True, "threads": threads}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request, launch_dir)
        print(json.dumps({"pid": pid}), flush=True)


# ------------------------------------------------------------------ the grader's side


class Zygote:
    """Handle on a running zygote process.

    Parameters
    ----------
    env : dict
        Environment of the zygote and of every kernel it forks (a kernel gets the
        environment jupyter_client asks for, but modules were imported under this one).
    preload : sequence of str
        Modules to import once.
    wrapper : sequence of str
        A command that the zygote runs in, e.g. the ``bwrap`` command line of
        :meth:`stacks._sandbox.Sandbox.command`.
    """

    def __init__(
        self,
        env: dict[str, str],
        preload: tuple[str, ...] = PRELOAD,
        wrapper: tuple[str, ...] = (),
    ) -> None:
        self._lock = threading.Lock()
        self.proc = subprocess.Popen(
            [*wrapper, sys.executable, "-m", "stacks._zygote", *preload],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**env, **SINGLE_THREAD},
            text=True,
            cwd=str(Path(__file__).resolve().parents[1]),
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None  # both pipes
        self._requests: IO[str] = self.proc.stdin
        self._replies: IO[str] = self.proc.stdout
        status: dict[str, Any] = {}
        for _ in range(1000):  # a library may print while it is imported; skip its lines
            line = self._replies.readline()
            if not line:
                break
            try:
                status = json.loads(line)
            except ValueError:
                continue
            if isinstance(status, dict) and status.get("ready"):
                break
        if not status.get("ready"):
            self.close()
            raise RuntimeError("the kernel zygote did not start")
        if status.get("threads", 1) != 1:
            # forking a process with threads can deadlock the child: do not use it
            self.close()
            raise RuntimeError(
                f"the kernel zygote has {status['threads']} threads after its imports"
            )

    def spawn(
        self,
        argv: list[str],
        cwd: str,
        env: dict[str, str],
        log: str | None,
        isolate: dict[str, Any] | None = None,
    ) -> int:
        """Fork a kernel; return its pid.

        ``isolate`` (``{"folder": ..., "limits": ...}``) makes the kernel isolate itself
        with :func:`stacks._isolate.isolate` before it starts.
        """
        request = {
            "argv": argv,
            "cwd": cwd,
            "env": {**env, **SINGLE_THREAD},
            "log": log,
            "isolate": isolate,
        }
        with self._lock:
            self._requests.write(json.dumps(request) + "\n")
            self._requests.flush()
            reply = self._replies.readline()
        if not reply:
            raise RuntimeError("the kernel zygote stopped")
        return int(json.loads(reply)["pid"])

    def close(self) -> None:
        """Stop the zygote (its running kernels are shut down by their managers)."""
        if self.proc.poll() is None:
            try:
                self._requests.close()
                self.proc.wait(timeout=5)
            except Exception:
                self.proc.kill()
                self.proc.wait()
        # close our ends of the pipes too: left to the garbage collector they warn
        for pipe in (self._requests, self._replies):
            with contextlib.suppress(OSError):
                pipe.close()

    def __enter__(self) -> Zygote:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if __name__ == "__main__":
    serve(sys.argv[1:])
