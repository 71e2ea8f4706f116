"""What a grading kernel may see and use: the sandbox policy, in one place.

Every submission's kernel runs in two nested sandboxes.

1. **The outer one** is Debian's ``bubblewrap`` (``bwrap``), started once per grading run
   around the zygote that kernels fork from (or around each kernel without the zygote). It
   has no network, a read-only view of the system, Python, the virtualenv, the ``helpers``
   and ``stacks`` packages and the datasets without their answers (ground truth and
   reference outputs are empty files there), and nothing else of the grader's machine:
   not ``solutions/``, not the gradebooks, not the output folder, not HOME, not the
   grader's environment. The one writable folder is the run's kernel folder, where each
   kernel has a subfolder for its connection file, sockets and results.
2. **The inner one** is made by each kernel for itself before any student code runs
   (:mod:`stacks._isolate`): new user, mount, PID, network and IPC namespaces, a private
   ``/tmp`` of bounded size, its own subfolder of the kernel folder and no other, and
   resource limits. The kernel is PID 1 of its namespace: it sees no other process, and no
   process it starts outlives it.

Where ``bwrap`` is missing or cannot start, :func:`require` says how to install it;
``stacks grade --no-sandbox`` is the explicit way round, and every row records it.

Limits are per submission; an exercise may change them in its front matter
(``stacks: limits:``), see :class:`Limits`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from stacks._errors import StacksError

__all__ = [
    "INSTALL_HINT",
    "Limits",
    "Sandbox",
    "SandboxError",
    "available",
    "cgroup_folders",
    "describe_size",
    "kernels_folder",
    "remove_cgroup",
    "require",
]

INSTALL_HINT = (
    "install bubblewrap (Debian/Ubuntu: sudo apt-get install bubblewrap; Fedora: sudo dnf "
    "install bubblewrap), or pass --no-sandbox to grade without one (not for untrusted work)"
)

#: Where the kernels see the datasets folder.
DATA_VIEW = Path("/course/data")

MiB = 1024 * 1024
GiB = 1024 * MiB


class SandboxError(StacksError):
    """The sandbox cannot start on this machine."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one submission's kernel.

    Parameters
    ----------
    memory : int
        Bytes of address space the kernel may add to what it has at start (``RLIMIT_AS``,
        per process). An allocation beyond it is a ``MemoryError`` in the student's cell.
    processes : int
        Processes and threads the kernel may run at once (``RLIMIT_NPROC``, counted in the
        kernel's own user namespace).
    file_size : int
        Largest file the kernel may write, in bytes (``RLIMIT_FSIZE``).
    scratch : int
        Size of the kernel's private ``/tmp``, in bytes.
    open_files : int
        Open file descriptors (``RLIMIT_NOFILE``).

    Examples
    --------
    >>> Limits().memory // GiB, Limits.from_mapping({"memory": "512MiB"}).memory // MiB
    (2, 512)
    """

    memory: int = 2 * GiB
    processes: int = 64
    file_size: int = 256 * MiB
    scratch: int = 512 * MiB
    open_files: int = 1024

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Limits:
        """Limits from ``{name: value}``; sizes may be written ``"512MiB"`` or ``"2GiB"``.

        Raises
        ------
        ValueError
            For an unknown name or a value that is not a positive size or count.
        """
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(
                f"unknown limit {', '.join(unknown)}; the limits are {', '.join(sorted(known))}"
            )
        return replace(cls(), **{name: _size(name, value) for name, value in values.items()})

    def as_dict(self) -> dict[str, int]:
        """The limits as plain ``{name: int}``, as they travel to a kernel."""
        return asdict(self)


def describe_size(size: int) -> str:
    """A size in words, e.g. ``2 GiB``.

    Examples
    --------
    >>> describe_size(2 * GiB), describe_size(512 * MiB), describe_size(1000)
    ('2 GiB', '512 MiB', '1000 bytes')
    """
    for unit, name in ((GiB, "GiB"), (MiB, "MiB")):
        if size >= unit:
            return f"{size / unit:g} {name}"
    return f"{size} bytes"


_UNITS = {"kib": 1024, "mib": MiB, "gib": GiB, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "": 1}


def _size(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"limit {name}: a size or count, not {value!r}")
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip().lower().replace(" ", "")
        digits = text.rstrip("kmgib")
        unit = text[len(digits) :]
        if unit not in _UNITS or not digits.replace(".", "", 1).isdigit():
            raise ValueError(f"limit {name}: {value!r} is not a size such as 512MiB or 2GiB")
        number = int(float(digits) * _UNITS[unit])
    if number <= 0:
        raise ValueError(f"limit {name}: must be more than 0, not {value!r}")
    return number


@dataclass(frozen=True)
class Sandbox:
    """The outer sandbox of one grading run: what its kernels see, and their limits.

    Parameters
    ----------
    kernels : pathlib.Path
        The run's kernel folder, the only writable place of the outer sandbox. Each kernel
        gets a subfolder and, once it has isolated itself, sees only that one.
    data : pathlib.Path
        The datasets folder, shown read-only at :data:`DATA_VIEW`.
    limits : Limits
        Per-kernel limits.
    cgroups : mapping
        ``{"pids": folder, "memory": folder}``: this run's cgroup-v1 folders, where the
        grader may make them (as root); see :func:`cgroup_folders`.

    Examples
    --------
    >>> from pathlib import Path
    >>> box = Sandbox(Path("/tmp/run/kernels"), Path("/tmp/data"))
    >>> command = box.command()
    >>> command[0].endswith("bwrap"), "--unshare-net" in command, "--die-with-parent" in command
    (True, True, True)
    """

    kernels: Path
    data: Path
    limits: Limits = Limits()
    cgroups: Mapping[str, str] = field(default_factory=dict)

    def read_only(self) -> list[Path]:
        """Folders the kernels may read where they are: the system, Python, the packages.

        The data are shown too, at :data:`DATA_VIEW`.
        """
        import helpers
        import stacks

        system = [Path(p) for p in ("/usr", "/bin", "/lib", "/lib32", "/lib64", "/sbin")]
        python = [Path(sys.base_prefix), Path(sys.prefix)]
        packages = [Path(helpers.__file__).parent, Path(stacks.__file__).parent]
        wanted = [*system, *python, *packages]
        return [path for path in dict.fromkeys(wanted) if path.exists()]

    def command(self) -> list[str]:
        """The ``bwrap`` command line that starts a program in the outer sandbox."""
        args = [
            _bwrap() or "bwrap",
            "--unshare-user",
            "--unshare-net",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--hostname",
            "grading",
            "--die-with-parent",
            "--new-session",
            "--dev",
            "/dev",
            # the host's /proc, writable: each kernel writes its own user-namespace maps,
            # then mounts a /proc of its PID namespace over it (stacks._isolate)
            "--bind",
            "/proc",
            "/proc",
            # where each kernel parks its own folder while it hides the others
            "--dir",
            "/run/stacks",
        ]
        for path in self.read_only():
            args += ["--ro-bind", str(path), str(path)]
        for name in _ETC:
            if Path(name).exists():
                args += ["--ro-bind", name, name]
        # the data at a path that says nothing of the grader's machine, answers held back
        args += ["--ro-bind", str(self.data), str(DATA_VIEW), *self._held_back()]
        # each kernel makes its own control group below these, then hides them (_isolate)
        for folder in self.cgroups.values():
            args += ["--bind", folder, folder]
        args += ["--bind", str(self.kernels), str(self.kernels), "--chdir", str(self.kernels)]
        # nothing but the kernel folder is writable: no shared /tmp between kernels
        return [*args, "--remount-ro", "/"]

    def _held_back(self) -> list[str]:
        """Empty files over the answers in the data: ground truth and reference outputs."""
        from helpers import datasets

        masks = []
        for name in datasets.NAMES:
            for relative in datasets.held_back(name):
                if (self.data / name / relative).is_file():
                    masks += ["--ro-bind", str(_empty_file()), str(DATA_VIEW / name / relative)]
        return masks

    def environment(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The whole environment of a sandboxed kernel: nothing of the grader's but these.

        Examples
        --------
        >>> from pathlib import Path
        >>> env = Sandbox(Path("/k"), Path("/d")).environment({"MPLBACKEND": "Agg"})
        >>> env["MPLBACKEND"], "STACKS_SECRET" in env
        ('Agg', False)
        """
        from stacks._kernels import GRADING_ENV

        env = {
            "PATH": f"{Path(sys.prefix) / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            # HOME and TMPDIR move into the kernel's private tmpfs when it isolates itself
            "HOME": str(self.kernels),
            "TMPDIR": str(self.kernels),
            "LANG": "C.UTF-8",
            "PYTHONNOUSERSITE": "1",
            "STACKS_DATA": str(DATA_VIEW),
            # helpers.datasets: read-only data with the answers held back; no rebuilding
            "STACKS_DATA_SEALED": "1",
            **GRADING_ENV,
            **(extra or {}),
        }
        return env


# what programs in the sandbox read from /etc: libraries, users, time zone, fonts; no
# secrets (/etc/shadow stays out even though the kernel's uid may be 0)
_ETC = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/localtime",
    "/etc/fonts",
    "/etc/mime.types",
    "/etc/alternatives",
)


_kernels_folder: Path | None = None


def kernels_folder() -> Path:
    """This process's kernel folder, made on first use and removed when the process exits.

    One folder per grading process, so that every kernel of a run shares one outer sandbox
    (and one zygote); each kernel has a subfolder.

    Examples
    --------
    >>> kernels_folder() == kernels_folder(), kernels_folder().is_dir()
    (True, True)
    """
    global _kernels_folder
    if _kernels_folder is None or not _kernels_folder.is_dir():
        from stacks._io import process_folder

        _kernels_folder = process_folder("stacks-kernels-")
    return _kernels_folder


@lru_cache(maxsize=1)
def _empty_file() -> Path:
    """An empty, read-only file of this process, shown in place of each held-back answer.

    Not /dev/null: device files cannot be opened on the data's ``nodev`` mount.
    """
    from stacks._io import process_folder

    path = process_folder("stacks-held-back-") / "empty"
    path.touch()
    path.chmod(0o444)
    return path


_cgroups: dict[str, str] | None = None


def cgroup_folders() -> dict[str, str]:
    """This process's control groups for kernels, ``{controller: folder}``, where it may make them.

    ``RLIMIT_NPROC`` does not bind processes of uid 0, so when the grader runs as root (CI
    machines, containers) the process limit comes from a cgroup-v1 ``pids`` controller,
    and the memory limit is also enforced on resident memory by the ``memory`` controller.
    Each kernel makes its own group below these folders. Without the rights, or on a
    machine with cgroup v2 only, this is ``{}`` and the rlimits alone apply.

    Examples
    --------
    >>> set(cgroup_folders()) <= {"pids", "memory"}
    True
    """
    global _cgroups
    if _cgroups is None:
        import atexit
        import uuid

        _cgroups = {}
        name = f"stacks-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        for controller in ("pids", "memory"):
            base = _own_cgroup(controller)
            if base is None:
                continue
            folder = base / name
            try:
                folder.mkdir()
            except OSError:
                continue
            _cgroups[controller] = str(folder)
            atexit.register(remove_cgroup, folder)
    return _cgroups


def _own_cgroup(controller: str) -> Path | None:
    """The cgroup-v1 folder of this process for ``controller``, if mounted."""
    root = Path("/sys/fs/cgroup") / controller
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, names, path = line.split(":", 2)
        if controller in names.split(",") and root.is_dir():
            return root / path.lstrip("/")
    return None


def remove_cgroup(folder: Path | str) -> None:
    """Remove a kernel's (or a run's) control group once its processes have gone."""
    import time

    folder = Path(folder)
    for child in sorted(folder.glob("*/"), reverse=True) if folder.is_dir() else []:
        if (child / "cgroup.procs").exists():
            remove_cgroup(child)
    for _ in range(50):  # the last processes of a killed kernel take a moment to go
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.02)


def _bwrap() -> str | None:
    return os.environ.get("STACKS_BWRAP") or shutil.which("bwrap")


@lru_cache(maxsize=1)
def available() -> str | None:
    """Why the sandbox cannot start here, or None when it can.

    Starting ``bwrap`` is the only reliable test: it may be installed and still refused
    (user namespaces disabled by the kernel or by a container).

    Examples
    --------
    >>> available() is None or "bubblewrap" in available()
    True
    """
    binary = _bwrap()
    if binary is None:
        return "bubblewrap (bwrap) is not installed"
    probe = [
        binary,
        "--unshare-user",
        "--unshare-net",
        "--ro-bind",
        "/",
        "/",
        "--bind",
        "/proc",
        "/proc",
        # a writable place for the probe's folders that hides nothing: the project (and
        # its virtualenv) may well live under /tmp
        "--tmpfs",
        "/run",
        "--dir",
        "/run/stacks",
        "--dir",
        "/run/probe",
        "--setenv",
        "TMPDIR",
        "/run/probe",
        "--die-with-parent",
        sys.executable,
        "-m",
        "stacks._isolate",
        "--probe",
    ]
    try:
        done = subprocess.run(probe, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bubblewrap could not start: {error}"
    if done.returncode != 0 or "isolated" not in done.stdout:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return f"bubblewrap could not make a sandbox here: {last}"
    return None


def require() -> None:
    """Raise :class:`SandboxError`, saying how to install bubblewrap, if it cannot start.

    Examples
    --------
    >>> try:
    ...     require()
    ... except SandboxError as error:
    ...     assert "--no-sandbox" in str(error)
    """
    problem = available()
    if problem is not None:
        raise SandboxError(f"cannot sandbox the kernels: {problem}; {INSTALL_HINT}")
