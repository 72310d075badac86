"""``streetorder edge run|check-config``, and ``streetorder replay`` once the replay part exists."""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path


def register(subparsers) -> None:
    edge = subparsers.add_parser("edge", help="run an edge node (cameras → alerts → MQTT)")
    sub = edge.add_subparsers(dest="edge_command", metavar="SUBCOMMAND", required=True)

    run = sub.add_parser("run", help="run the node until SIGTERM/SIGINT")
    run.add_argument("--config", required=True, type=Path, help="edge node YAML")
    run.set_defaults(func=_run)

    check = sub.add_parser("check-config", help="validate a node config and print a summary")
    check.add_argument("--config", required=True, type=Path, help="edge node YAML")
    check.set_defaults(func=_check_config)

    try:
        replay = importlib.import_module("streetorder.edge.replay.cli")
    except ModuleNotFoundError as exc:
        if exc.name not in ("streetorder.edge.replay.cli", "streetorder.edge.replay"):
            raise
    else:
        replay.register(subparsers)


def _run(args: argparse.Namespace) -> int:
    import signal
    import threading

    stop = threading.Event()  # before the heavy imports: a SIGTERM at start-up stops cleanly

    def on_signal(signum, _frame) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    from streetorder.edge.config import load_edge_config
    from streetorder.edge.node import EdgeNode
    from streetorder.edge.runtime.memory import tune_malloc
    from streetorder.errors import ConfigError

    tune_malloc()
    config = load_edge_config(args.config)
    try:
        EdgeNode(
            config, base_dir=args.config.resolve().parent, stop=stop, config_path=args.config
        ).run()
    except ConfigError as exc:  # found while starting (a TLS file): name the config file
        if str(exc).startswith(str(args.config)):
            raise
        raise ConfigError(f"{args.config}: {exc}") from None
    return 0


def summary(config, detector=None) -> list[str]:
    """Human-readable lines describing a node config (and its loaded model's classes)."""
    broker = config.broker
    lines = [
        f"node {config.node_id} (time zone {config.timezone})",
        "broker: none (alerts kept locally)"
        if broker is None
        else f"broker: {broker.host}:{broker.port}{' TLS' if broker.tls else ''}"
        f"{' user ' + broker.username if broker.username else ''}",
        f"platform: {config.platform.url or 'none (evidence kept locally)'}",
        f"model: {config.model.path or 'bundled'} ({config.model.threads} thread(s))",
        *([f"model classes: {detector.mapping.describe()}"] if detector is not None else []),
        f"storage: {config.storage.dir} (outbox bound {config.storage.queue_max_mb} MB)",
        f"heartbeat every {config.heartbeat_seconds:g} s",
        f"{len(config.cameras)} camera(s):",
    ]
    for cam in config.cameras:
        state = "" if cam.enabled else " [disabled]"
        lines.append(
            f"  {cam.id}{state}: {cam.source} every {cam.analysis_interval_seconds:g} s"
            f"{' key frames only' if cam.keyframes_only else ''}, {len(cam.zones)} zone(s)"
        )
        for zone in cam.zones:
            rules = zone.rules
            lines.append(
                f"    {zone.id} shop {zone.shop_id}: dwell {rules.dwell_seconds:g} s, "
                f"classes {', '.join(rules.classes)}"
                f"{', schedule ' + ' '.join(rules.schedule) if rules.schedule else ''}"
            )
    return lines


def _check_config(args: argparse.Namespace) -> int:
    """Validate the file, the files it names and the model's classes; report every problem."""
    from streetorder.edge.config import load_edge_config
    from streetorder.edge.config_files import missing_file_problems
    from streetorder.edge.detect import OnnxDetector, check_zone_classes
    from streetorder.errors import ConfigError

    config = load_edge_config(args.config)
    base_dir = args.config.resolve().parent
    problems = [f"{args.config}: {p}" for p in missing_file_problems(config, base_dir)]
    detector = None
    if not any(p.startswith(f"{args.config}: model.path:") for p in problems):
        try:
            detector = OnnxDetector.from_settings(config.model, base_dir, where=args.config)
            check_zone_classes(config.cameras, detector, args.config)
        except ConfigError as exc:
            problems.append(str(exc))
    if problems:
        raise ConfigError("\n".join(problems))
    print(f"{args.config}: valid")
    for line in summary(config, detector):
        print(line)
    return 0
