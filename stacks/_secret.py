"""The course secret, and the seeds derived from it.

Hidden test data are made from a seed that students cannot know: an HMAC of the
assignment's name under the course secret. The secret is a file the instructor keeps
(``instructor/course-secret``, not committed, never part of a release), or the
``STACKS_COURSE_SECRET`` environment variable on machines that grade without the file. It
is made once, the first time it is needed, and never overwritten: the same secret gives the
same hidden data, so a regrade gives the same scores.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable

from stacks._errors import StacksError
from stacks._paths import Paths

__all__ = ["ENV_VAR", "hidden_seed", "read_or_make", "seed_for", "without_secret"]

#: The environment variable that holds the secret where the file is not at hand.
ENV_VAR = "STACKS_COURSE_SECRET"


def _check(text: str, where: str) -> bytes:
    text = text.strip()
    if len(text) < 16:
        raise StacksError(f"the course secret in {where} is too short (at least 16 characters)")
    return text.encode()


def read_or_make(paths: Paths = Paths(), log: Callable[[str], None] = lambda line: None) -> bytes:
    """The course secret: from ``STACKS_COURSE_SECRET``, the secret file, or made now.

    A new secret is written with mode 0600 and a message through ``log``; an existing one
    is never replaced.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     paths = Paths(exercises=Path(folder) / "exercises")
    ...     first = read_or_make(paths)
    ...     first == read_or_make(paths), len(first)
    (True, 64)
    """
    if os.environ.get(ENV_VAR):
        return _check(os.environ[ENV_VAR], ENV_VAR)
    path = paths.secret
    if path.is_file():
        return _check(path.read_text(encoding="utf-8"), str(path))
    if path.exists():
        raise StacksError(f"{path} should be the course secret, a file; it is something else")
    path.parent.mkdir(parents=True, exist_ok=True)
    text = secrets.token_hex(32)
    try:
        # O_EXCL: two graders starting at once make one secret, not two
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _check(path.read_text(encoding="utf-8"), str(path))
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text + "\n")
    log(f"made the course secret {path}: keep it (regrades need it) and never publish it")
    return text.encode()


def seed_for(secret: bytes, *parts: str) -> int:
    """A seed for numpy derived from the secret and ``parts`` (e.g. the assignment).

    Examples
    --------
    >>> seed_for(b"x" * 16, "hidden", "02_segmentation") == seed_for(b"x" * 16, "hidden", "02_segmentation")
    True
    >>> seed_for(b"x" * 16, "a") != seed_for(b"y" * 16, "a")
    True
    """
    digest = hmac.new(secret, "\x1f".join(parts).encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") >> 1  # 63 bits: a valid numpy seed


def hidden_seed(
    assignment: str, paths: Paths = Paths(), log: Callable[[str], None] = lambda line: None
) -> int:
    """The seed of the hidden test data of ``assignment``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     paths = Paths(exercises=Path(folder) / "exercises")
    ...     hidden_seed("01_projections", paths) != hidden_seed("02_segmentation", paths)
    True
    """
    return seed_for(read_or_make(paths, log), "hidden", assignment)


def without_secret(env: dict[str, str]) -> dict[str, str]:
    """``env`` without the course secret: what a kernel may see.

    Examples
    --------
    >>> without_secret({ENV_VAR: "s" * 20, "HOME": "/h"})
    {'HOME': '/h'}
    """
    return {key: value for key, value in env.items() if key != ENV_VAR}
