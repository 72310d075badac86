"""``streetorder demo``: the whole chain on footage the project generates itself."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "demo",
        help="run the end-to-end demo (edge → broker → platform → review → officer → closure)",
        description=(
            "Generate street footage, watch it live with the edge pipeline (one camera per "
            "video, stamped with the run's clock), publish alerts over MQTT to the platform, "
            "review them, send the SMS, dispatch work orders, let an officer upload "
            "after-correction photos through the app API, verify and close; a few alerts are "
            "left for you to review. Then the console stays up until Ctrl-C. Uses a broker and "
            "database when given, else a private Mosquitto (or an embedded broker) and SQLite."
        ),
    )
    p.add_argument("--out", type=Path, default=Path("out/demo"), help="output folder")
    p.add_argument("--broker", metavar="HOST:PORT", help="use this MQTT broker")
    p.add_argument(
        "--embedded-broker",
        action="store_true",
        help="use the embedded Python broker even if mosquitto is installed",
    )
    p.add_argument("--database-url", help="SQLAlchemy URL (default: SQLite in the output folder)")
    p.add_argument("--port", type=int, default=0, help="platform HTTP port (default: a free one)")
    p.add_argument(
        "--exit",
        dest="exit_when_done",
        action="store_true",
        help="exit when the story is told (default: keep the console up until Ctrl-C)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from streetorder.demo.runner import DemoOptions, run_demo

    options = DemoOptions(
        out=args.out,
        broker=args.broker,
        embedded_broker=args.embedded_broker,
        database_url=args.database_url,
        port=args.port,
        exit_when_done=args.exit_when_done,
    )
    return run_demo(options)
