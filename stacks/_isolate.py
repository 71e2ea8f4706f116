"""The inner sandbox: a grading kernel isolates itself before any student code runs.

Called in the kernel's process, inside the outer ``bwrap`` sandbox of :mod:`stacks._sandbox`
(forked from the zygote, or started by ``python -m stacks._isolate ... -- COMMAND``). It

1. enters new user, mount, PID, network and IPC namespaces (``unshare(2)``; bubblewrap
   has made the outer ones, these are one per kernel);
2. mounts a private ``/tmp`` of bounded size, and hides the other kernels' folders by
   mounting an empty folder over the run's kernel folder, with its own subfolder bound back;
3. forks: the child is PID 1 of the new PID namespace and becomes the kernel; it mounts a
   ``/proc`` of that namespace (no other process is visible), sets its resource limits and
   enters one more user namespace, which leaves it no right to undo any of the mounts. The
   parent stays outside, passes signals on and exits with the kernel's status. When PID 1
   exits, the Linux kernel ends every process of its namespace: nothing outlives it.

Only the C library's ``unshare`` and ``mount`` are called (through ctypes): Python 3.11
has no ``os.unshare``, and bubblewrap cannot be run again per kernel without losing what
the zygote has imported.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys
from collections.abc import Mapping
from pathlib import Path

__all__ = ["isolate"]

_CLONE_NEWNS = 0x00020000
_CLONE_NEWIPC = 0x08000000
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWPID = 0x20000000
_CLONE_NEWNET = 0x40000000
_MS_NOSUID = 2
_MS_NODEV = 4
_MS_NOEXEC = 8
_MS_BIND = 4096
_MS_REC = 16384
_MS_PRIVATE = 1 << 18
_PR_SET_NO_NEW_PRIVS = 38

_libc = ctypes.CDLL(None, use_errno=True)


def die_with_parent() -> None:
    """Ask Linux to kill this process when its parent ends."""
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


_PR_SET_PDEATHSIG = 1


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"sandbox: {what}: {os.strerror(errno)}")


def _unshare(flags: int) -> None:
    uid, gid = os.getuid(), os.getgid()
    _check(_libc.unshare(flags | _CLONE_NEWUSER), "unshare")
    # the same uid and gid inside as outside; no supplementary groups to drop or gain
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
    Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")


def _mount(source: str, target: str, kind: str | None, flags: int, data: str | None) -> None:
    _check(
        _libc.mount(
            source.encode(),
            target.encode(),
            kind.encode() if kind else None,
            flags,
            data.encode() if data else None,
        ),
        f"mount {target}",
    )


#: Where a kernel parks its own folder while it hides the others; ``stacks._sandbox`` makes it.
PARKING = "/run/stacks"


def _hide_siblings(own: Path) -> None:
    """Leave only ``own`` visible in its parent folder (an empty tmpfs over the parent)."""
    _mount(str(own), PARKING, None, _MS_BIND | _MS_REC, None)
    _mount("tmpfs", str(own.parent), "tmpfs", _MS_NOSUID | _MS_NODEV, "size=1m,mode=755")
    own.mkdir()
    _mount(PARKING, str(own), None, _MS_BIND | _MS_REC, None)


def _address_space() -> int:
    """Bytes of address space the process has now (VmSize)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def _set_limits(limits: Mapping[str, int]) -> None:
    memory = _address_space() + int(limits["memory"])
    for which, value in (
        (resource.RLIMIT_AS, memory),
        (resource.RLIMIT_NPROC, int(limits["processes"])),
        (resource.RLIMIT_FSIZE, int(limits["file_size"])),
        (resource.RLIMIT_NOFILE, int(limits["open_files"])),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(which, (value, value))


def _stay_outside(child: int) -> None:
    """The parent's part: pass signals to the kernel, exit with its status (never returns)."""

    def forward(signum: int, frame: object) -> None:
        # PID 1 ignores SIGTERM unless it handles it: a kill is what was meant
        os.kill(child, signal.SIGKILL if signum == signal.SIGTERM else signum)

    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1):
        signal.signal(signum, forward)
    # interrupts go to the whole process group, the kernel included: not twice
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            _, status = os.waitpid(child, 0)
        except InterruptedError:
            continue
        except ChildProcessError:
            os._exit(1)
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


#: Resident memory a kernel may use beyond its ``memory`` limit: what a kernel started
#: without the zygote spends on importing the libraries (about 300 MB).
MEMORY_HEADROOM = 512 * 1024 * 1024


def _join_cgroups(name: str, cgroups: Mapping[str, str], limits: Mapping[str, int]) -> None:
    """Make this kernel's control groups, set their limits and move into them."""
    settings = {
        "pids": {"pids.max": int(limits["processes"])},
        "memory": {"memory.limit_in_bytes": int(limits["memory"]) + MEMORY_HEADROOM},
    }
    for controller, parent in cgroups.items():
        group = Path(parent) / name
        group.mkdir(exist_ok=True)
        for control, value in settings.get(controller, {}).items():
            (group / control).write_text(str(value))
        (group / "cgroup.procs").write_text(str(os.getpid()))


def isolate(
    folder: str | Path, limits: Mapping[str, int], cgroups: Mapping[str, str] | None = None
) -> None:
    """Isolate the calling process as described above; returns in the kernel, PID 1.

    Afterwards ``HOME``, ``TMPDIR`` and the working folder are in ``FOLDER/tmp``, a tmpfs
    of ``limits["scratch"]`` bytes that only this kernel sees.

    Parameters
    ----------
    folder : path-like
        The kernel's own folder (connection file, sockets, results), a subfolder of the
        run's kernel folder; the only one of them it can see afterwards.
    limits : mapping
        :meth:`stacks._sandbox.Limits.as_dict`.
    cgroups : mapping, optional
        :func:`stacks._sandbox.cgroup_folders`: the kernel makes its own groups below them
        (named like its folder), joins them and hides them from itself.

    Examples
    --------
    Only inside the outer sandbox; ``python -m stacks._isolate --probe`` tries it::

        isolate("/tmp/stacks-grade-x/kernels/k1", Limits().as_dict())
    """
    own = Path(folder).resolve()
    cgroups = dict(cgroups or {})
    _join_cgroups(own.name, cgroups, limits)  # before the fork below: the kernel inherits them
    _unshare(_CLONE_NEWNS | _CLONE_NEWPID | _CLONE_NEWNET | _CLONE_NEWIPC)
    _mount("none", "/", None, _MS_REC | _MS_PRIVATE, None)
    _hide_siblings(own)
    for group in cgroups.values():  # no raising one's own limits
        _mount("tmpfs", group, "tmpfs", _MS_NOSUID | _MS_NODEV, "size=4k,mode=555")
    scratch = own / "tmp"
    scratch.mkdir(exist_ok=True)
    _mount("tmpfs", str(scratch), "tmpfs", _MS_NOSUID | _MS_NODEV, f"size={int(limits['scratch'])}")
    (scratch / "home").mkdir()
    child = os.fork()
    if child != 0:
        _stay_outside(child)
    # PID 1 of the new namespace from here on; end with the parent outside it
    # (getppid() is 0 here: the parent is outside the namespace. Should it die before this
    # line, the grader still ends the kernel, which is in its process group.)
    die_with_parent()
    _mount("proc", "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, None)
    _set_limits(limits)
    # a last user namespace: the mounts above now belong to a namespace whose rights this
    # process has dropped, so no student code can unmount /proc or the tmpfs over the others
    _unshare(0)
    _check(_libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    os.environ.update(
        {
            "HOME": str(scratch / "home"),
            "TMPDIR": str(scratch),
            "MPLCONFIGDIR": str(scratch / "home"),
        }
    )
    os.chdir(scratch)


def _probe() -> int:
    """Isolate a child in a throw-away folder and report what it sees."""
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="stacks-probe-"))
    own = root / "k"
    own.mkdir()
    (root / "other").mkdir()
    pid = os.fork()
    if pid == 0:
        try:
            limits = {"memory": 1 << 30, "processes": 16, "file_size": 1 << 20}
            isolate(own, {**limits, "scratch": 1 << 24, "open_files": 256})
            seen = sorted(p.name for p in root.iterdir())
            ok = os.getpid() == 1 and seen == ["k"]
            print("isolated" if ok else f"not isolated: pid {os.getpid()}, sees {seen}", flush=True)
            os._exit(0 if ok else 1)
        except BaseException as error:
            print(f"not isolated: {error!r}", file=sys.stderr, flush=True)
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def main(argv: list[str]) -> int:
    """``--probe``, or ``--folder F --limits JSON --cgroups JSON -- COMMAND...``: isolate, exec."""
    if argv[:1] == ["--probe"]:
        return _probe()
    split = argv.index("--")
    options = dict(zip(argv[0:split:2], argv[1:split:2], strict=True))
    command = argv[split + 1 :]
    isolate(options["--folder"], json.loads(options["--limits"]), json.loads(options["--cgroups"]))
    os.execv(command[0], command)
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
