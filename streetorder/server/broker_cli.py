"""``streetorder platform broker-acl``: the broker password file and ACL from the registry."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path


def add(command) -> None:
    """Register the subcommand with the ``platform`` command factory of :mod:`.cli`."""
    p = command(
        "broker-acl",
        "write the Mosquitto password file and ACL: one login per registered node",
        _broker_acl,
    )
    p.add_argument(
        "--passwd", type=Path, required=True,
        help="Mosquitto password_file to write; its existing node entries are kept",
    )  # fmt: skip
    p.add_argument("--acl", type=Path, required=True, help="Mosquitto acl_file to write")
    p.add_argument(
        "--rotate", action="append", default=[], metavar="NODE",
        help="issue a new password for this node (repeatable)",
    )  # fmt: skip


def _write(path: Path, text: str) -> None:
    """Atomically, readable by owner and group only (the broker's user)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o640)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _broker_acl(args: argparse.Namespace) -> int:
    from streetorder.errors import StreetorderError
    from streetorder.platform.db import Database
    from streetorder.platform.domain.errors import DomainError
    from streetorder.platform.services import broker_access
    from streetorder.server.settings import load_settings

    settings = load_settings(args.config).platform
    broker = settings.broker
    if broker is None or not broker.username or not broker.password:
        raise StreetorderError(
            "the platform's own broker login is needed: set broker.username and "
            "broker.password (or STREETORDER_BROKER_PASSWORD) in the platform settings"
        )
    try:
        existing = broker_access.parse_password_file(args.passwd.read_text(encoding="utf-8"))
    except FileNotFoundError:
        existing = {}
    except (OSError, UnicodeDecodeError) as exc:
        raise StreetorderError(f"{args.passwd}: cannot read: {exc}") from None
    db = Database(settings.database_url)
    try:
        with db.session() as session:
            nodes = broker_access.registered_nodes(session)
        files = broker_access.build(
            nodes, platform_user=broker.username, platform_password=broker.password,
            existing=existing, rotate=args.rotate,
        )  # fmt: skip
    except DomainError as exc:
        raise StreetorderError(str(exc)) from None
    finally:
        db.dispose()
    _write(args.passwd, files.password_file)
    _write(args.acl, files.acl)
    print(f"{args.passwd}: {len(nodes)} node login(s) and the platform's ({broker.username})")
    print(f"{args.acl}: each node publishes only under streetorder/v1/<node>/")
    for node in files.removed:
        print(f"removed login {node} (no longer registered)")
    for node, password in files.new_passwords.items():
        print(f"node {node}: broker user {node}, password (shown once): {password}")
    if files.new_passwords or files.removed:
        print("reload the broker to apply (e.g. kill -HUP <mosquitto pid>)")
    return 0
