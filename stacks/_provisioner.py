"""A jupyter_client kernel provisioner whose kernels are forked from a pre-loaded zygote.

Kernel provisioners are jupyter_client's public extension point for how kernels start.
This one is registered (entry point ``jupyter_client.kernel_provisioners``) as
``stacks-fork-provisioner`` and named by the kernelspec ``stacks-fork`` in
``stacks/kernels/``: every kernel of that spec is forked from a :class:`stacks._zygote.Zygote`
instead of started from scratch, which saves importing the scientific stack per student.

One zygote serves every kernel started with the same environment in this process; the
zygotes stop when the process exits or when :func:`close_zygotes` is called. If a zygote
cannot start or has died, the kernel starts the ordinary way.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from jupyter_client.provisioning.local_provisioner import LocalProvisioner

from stacks._sandbox import Limits, Sandbox
from stacks._zygote import Zygote

__all__ = ["ForkProvisioner", "close_zygotes"]

_zygotes: dict[frozenset[tuple[str, str]], Zygote] = {}
_broken: set[frozenset[tuple[str, str]]] = set()
_lock = threading.Lock()


def _zygote_for(env: dict[str, str], wrapper: tuple[str, ...] = ()) -> Zygote | None:
    """The zygote for kernels with this environment and outer sandbox, started on first use.

    None if it cannot start: kernels then start the usual way.
    """
    # jupyter_client adds per-kernel variables (JPY_*); the imports do not depend on them
    key = frozenset(
        [(k, v) for k, v in env.items() if not k.startswith("JPY_")]
        + [("\0wrapper", "\0".join(wrapper))]
    )
    with _lock:
        zygote = _zygotes.get(key)
        if zygote is not None and zygote.proc.poll() is None:
            return zygote
        if key in _broken:
            return None
        try:
            zygote = Zygote({k: v for k, v in key if k != "\0wrapper"}, wrapper=wrapper)
        except Exception:  # a zygote is an optimisation; kernels still start without one
            _broken.add(key)
            return None
        _zygotes[key] = zygote
        return zygote


def close_zygotes() -> None:
    """Stop every zygote of this process (running kernels are stopped by their managers).

    Examples
    --------
    >>> close_zygotes()
    """
    with _lock:
        for zygote in _zygotes.values():
            zygote.close()
        _zygotes.clear()
        _broken.clear()


atexit.register(close_zygotes)


class ForkProvisioner(LocalProvisioner):
    """LocalProvisioner that forks ipykernel from a zygote instead of starting Python.

    Everything but the launch is LocalProvisioner's: connection files, ports, interrupts,
    shutdown and cleanup work on the forked process as on a started one.

    Examples
    --------
    A kernelspec chooses it in its metadata::

        {"argv": ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
         "metadata": {"kernel_provisioner": {"provisioner_name": "stacks-fork-provisioner"}}}
    """

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        """Fork the kernel from the zygote for its environment; start it normally if none.

        With a sandbox (the kernel manager's ``sandbox``), the zygote runs in the outer
        sandbox and the kernel isolates itself; without the zygote, the kernel starts in
        the outer sandbox through ``python -m stacks._isolate``.
        """
        sandbox = getattr(self.parent, "sandbox", None)
        env = dict(kwargs.get("env") or os.environ)
        wrapper: tuple[str, ...] = ()
        isolate = None
        if sandbox:
            box = _sandbox_of(sandbox)
            # nothing of the grader's environment but what jupyter_client adds per kernel
            env = {**box.environment(sandbox.get("env")), **_jupyter_vars(env)}
            kwargs["env"] = env
            wrapper = tuple(box.command())
            isolate = {
                "folder": sandbox["folder"],
                "limits": box.limits.as_dict(),
                "cgroups": dict(box.cgroups),
            }
            kwargs["cwd"] = sandbox["folder"]
        # started without the zygote, a sandboxed kernel isolates itself, then execs
        usual = cmd if isolate is None else [*wrapper, *_isolate_command(isolate), *cmd]
        use_zygote = getattr(self.parent, "fork", True) and cmd[1:3] == ["-m", "ipykernel_launcher"]
        zygote = _zygote_for(env, wrapper) if use_zygote else None
        if zygote is None:
            return await super().launch_kernel(usual, **kwargs)
        log = kwargs.get("stderr")
        try:
            pid = zygote.spawn(
                cmd,
                str(kwargs.get("cwd") or os.getcwd()),
                env,
                getattr(log, "name", None),
                isolate=isolate,
            )
        except Exception:  # the zygote died (e.g. killed for memory): start the usual way
            return await super().launch_kernel(usual, **kwargs)
        self.process = _ForkedProcess(pid)  # type: ignore[assignment]  # duck-types Popen
        self.pid = self.pgid = pid  # the child called setsid()
        self.cwd = kwargs.get("cwd", Path.cwd())
        return self.connection_info


def _sandbox_of(settings: dict[str, Any]) -> Sandbox:
    return Sandbox(
        Path(settings["kernels"]),
        Path(settings["data"]),
        Limits(**settings.get("limits", {})),
        dict(settings.get("cgroups", {})),
    )


def _jupyter_vars(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k.startswith("JPY_")}


def _isolate_command(isolate: dict[str, Any]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "stacks._isolate",
        "--folder",
        str(isolate["folder"]),
        "--limits",
        json.dumps(isolate["limits"]),
        "--cgroups",
        json.dumps(isolate["cgroups"]),
        "--",
    ]


def _zombie(pid: int) -> bool:
    """True when the process has exited but its parent (the zygote) has not reaped it yet."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] == "Z"


class _ForkedProcess:
    """The part of ``subprocess.Popen`` that LocalProvisioner uses, for a process it did not start."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
                if _zombie(self.pid):
                    self.returncode = 0
            except ProcessLookupError:
                self.returncode = 0  # the exit status belongs to the zygote, which discards it
            except PermissionError:
                pass
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.02)
        return self.returncode or 0

    def send_signal(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)
