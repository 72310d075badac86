"""The ``streetorder`` command line. Each part registers its own subcommands.

Subcommand modules only define arguments at import time; heavy imports happen inside the
handlers, so ``streetorder --help`` stays fast and the edge never loads platform code.
Errors are printed as one line each (``streetorder: error: ...``; a config file with several
mistakes gives one line per mistake) with a non-zero exit status.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from streetorder import __version__
from streetorder.errors import StreetorderError

#: Modules with ``register(subparsers)``; each adds one top-level command.
COMMAND_MODULES = (
    "streetorder.demo.cli",
    "streetorder.edge.cli",
    "streetorder.server.cli",  # the platform and officer-app commands
    "streetorder.models.cli",
    "streetorder.bench_cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="streetorder",
        description="Street cameras watch, people judge: out-of-shop trading enforcement.",
    )
    parser.add_argument("--version", action="version", version=f"streetorder {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            # A part whose optional extra is not installed: say so when it is asked for.
            missing = exc.name or name
            _register_unavailable(sub, name, missing)
            continue
        module.register(sub)
    return parser


def _register_unavailable(sub, module_name: str, missing: str) -> None:
    command = module_name.split(".")[-2] if module_name.endswith(".cli") else module_name
    command = command.removeprefix("streetorder.").removesuffix("_cli")
    if command in sub.choices:
        return
    p = sub.add_parser(command, help=f"(unavailable: needs {missing})")

    def unavailable(_args: argparse.Namespace) -> int:
        raise StreetorderError(
            f"'{command}' needs the Python module {missing!r}; install the matching extra"
        )

    p.set_defaults(func=unavailable)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except StreetorderError as exc:
        for line in str(exc).splitlines() or [type(exc).__name__]:
            print(f"streetorder: error: {line}", file=sys.stderr)
        return 2
    except OSError as exc:  # a file or folder the command cannot use: name it, in one line
        if args.verbose:
            logging.getLogger("streetorder").exception("operational failure")
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"streetorder: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("streetorder: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
