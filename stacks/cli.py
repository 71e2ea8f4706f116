"""The ``stacks`` command: generate data, build exercises, check and grade notebooks.

Every sub-command turns expected failures (bad arguments, missing files) into a one-line
message on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


class CommandError(Exception):
    """An error whose message is meant for the person at the terminal."""


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--seed must be a whole number such as 0 or 42, not {text!r}"
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"--seed must be 0 or more, not {value}")
    return value


def _cmd_data(args: argparse.Namespace) -> int:
    from helpers import datasets

    names = args.names or list(datasets.NAMES)
    for name in names:
        if name not in datasets.NAMES:
            raise CommandError(
                f"unknown dataset {name!r}; the known datasets are: {', '.join(datasets.NAMES)}"
            )
    for name in names:
        folder = datasets.generate(name, seed=args.seed, progress=not args.quiet)
        info = datasets.describe(name)
        print(f"{name}: {info['shape']} {info['dtype']} -> {folder}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stacks",
        description="Course toolkit for image sequences and 3D images.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    data = sub.add_parser("data", help="generate the simulated course datasets")
    data.add_argument("names", nargs="*", metavar="NAME", help="datasets to generate (default: all)")
    data.add_argument("--seed", type=_seed, default=0, help="random seed (default 0)")
    data.add_argument("--quiet", action="store_true", help="no progress bar")
    data.set_defaults(func=_cmd_data)

    from stacks import course

    course.add_subcommands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CommandError as error:
        print(f"stacks {args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"stacks {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
