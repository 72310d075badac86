"""``streetorder mobile schedule``: run the inspection scheduler once (for cron or a timer).

Also runnable as ``python -m streetorder.mobile_api.cli schedule [--config FILE]``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers) -> None:
    mobile = subparsers.add_parser("mobile", help="the officer app (task scheduler)")
    sub = mobile.add_subparsers(dest="mobile_command", metavar="SUBCOMMAND", required=True)
    schedule = sub.add_parser("schedule", help="apply confirmed cases to colours, create tasks")
    schedule.add_argument("--config", type=Path, default=None, help="platform YAML")
    schedule.set_defaults(func=_schedule)


def _schedule(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from streetorder.mobile_api.jobs import run_scheduler
    from streetorder.platform.db.session import Database
    from streetorder.platform.settings import load_settings

    settings = load_settings(args.config)
    db = Database(settings.database_url)
    try:
        report = run_scheduler(db, now=datetime.now(UTC))
    finally:
        db.dispose()
    print(
        f"inspection tasks created: {report.created}, brought forward: {report.moved}, "
        f"colour changes from confirmed cases: {report.colour_changes}"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    from streetorder.errors import StreetorderError

    parser = argparse.ArgumentParser(prog="streetorder")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["mobile", *(sys.argv[1:] if argv is None else argv)])
    try:
        return int(args.func(args) or 0)
    except StreetorderError as exc:
        print(f"streetorder: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
