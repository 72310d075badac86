"""``streetorder bench NAME``: run a benchmark script from ``scripts/bench_NAME.py``."""

from __future__ import annotations

import argparse
import runpy
import sys
from pathlib import Path

from streetorder.errors import StreetorderError

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def available() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in SCRIPTS.glob("bench_*.py"))


def register(sub: argparse._SubParsersAction) -> None:
    names = available()
    p = sub.add_parser(
        "bench",
        help="run a benchmark (numbers go to docs/PERFORMANCE.md)",
        description="Benchmarks: " + (", ".join(names) or "none found (needs a source checkout)"),
    )
    p.add_argument("name", help="benchmark name, e.g. " + (names[0] if names else "detector"))
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the benchmark")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    script = SCRIPTS / f"bench_{args.name}.py"
    if not script.is_file():
        known = ", ".join(available()) or "none (benchmarks live in a source checkout)"
        raise StreetorderError(f"unknown benchmark {args.name!r}; available: {known}")
    sys.argv = [str(script), *args.args]
    try:
        runpy.run_path(str(script), run_name="__main__")
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    return 0
