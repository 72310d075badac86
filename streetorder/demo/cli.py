"""``streetorder demo``: the whole chain on footage the project generates itself."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "demo",
        help="run the end-to-end demo (edge → broker → platform → review → officer → closure)",
        description=(
            "Generate street footage, run it through the edge pipeline, publish alerts over MQTT "
            "to the platform, review them, send the SMS, dispatch the work order, let an officer "
            "upload a rectification photo through the app API, verify and close. Uses a broker "
            "and database when given, else a private Mosquitto (or an embedded broker) and SQLite."
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
        "--serve",
        action="store_true",
        help="keep the platform and console running after the chain (Ctrl-C stops)",
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
        serve=args.serve,
    )
    return run_demo(options)
