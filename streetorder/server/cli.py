"""``streetorder platform serve | migrate | create-user | import-merchants | import-zones |
seed-demo`` and ``streetorder mobile schedule``: the server's commands, on the one settings file.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from streetorder.errors import ConfigError
from streetorder.server.failures import database_errors

CONFIG_HELP = "platform YAML (default: built-in defaults + STREETORDER_* environment variables)"


def register(subparsers) -> None:
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its progress lines are noise here
    platform = subparsers.add_parser("platform", help="the command-centre platform (API, ingest)")
    sub = platform.add_subparsers(dest="platform_command", metavar="SUBCOMMAND", required=True)

    def command(name: str, help_text: str, func) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--config", type=Path, default=None, help=CONFIG_HELP)
        p.set_defaults(func=func)
        return p

    serve = command("serve", "run the API, the MQTT ingest and the periodic jobs", _serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-ingest", action="store_true", help="do not consume MQTT here")
    serve.add_argument("--migrate", action="store_true", help="apply migrations first")

    command("migrate", "create or upgrade the database schema", _migrate)
    from streetorder.server import broker_cli

    broker_cli.add(command)

    user = command(
        "create-user", "create a login (prints the key of an edge-node login)", _create_user
    )
    user.add_argument("username")
    user.add_argument(
        "--role",
        required=True,
        choices=["reviewer", "squad_leader", "officer", "admin", "edge_node"],
    )
    user.add_argument("--squad", help="squad code (officers and squad leaders)")
    user.add_argument("--node", help="edge node code (edge_node logins)")
    user.add_argument("--display-name", default="")
    user.add_argument(
        "--password-env", default="STREETORDER_NEW_PASSWORD",
        help="read the password from this environment variable (else prompt)",
    )  # fmt: skip

    for name, what in (("import-merchants", "merchants"), ("import-zones", "zones")):
        imp = command(name, f"create or update {what} from a UTF-8 CSV file", _import)
        imp.add_argument("csv", type=Path)
        imp.set_defaults(what=what)

    seed = command("seed-demo", "a street, squad, people, merchants, node, cameras, zones", _seed)
    seed.add_argument(
        "--edge-config", type=Path, help="make cameras and zones match this edge YAML"
    )
    seed.add_argument(
        "--password", default=os.environ.get("STREETORDER_DEMO_PASSWORD", "streetorder-demo")
    )
    seed.add_argument("--node-token", help="edge-node API key to set (as in the edge config)")

    mobile = subparsers.add_parser("mobile", help="the officer app (task scheduler)")
    mobile_sub = mobile.add_subparsers(dest="mobile_command", metavar="SUBCOMMAND", required=True)
    schedule = mobile_sub.add_parser(
        "schedule", help="apply confirmed cases to colours, create tasks"
    )
    schedule.add_argument("--config", type=Path, default=None, help=CONFIG_HELP)
    schedule.set_defaults(func=_schedule)


def _server_settings(args: argparse.Namespace):
    from streetorder.server.settings import load_settings

    return load_settings(args.config)


def _settings(args: argparse.Namespace):
    """The platform's part of the settings file (the whole file is validated)."""
    return _server_settings(args).platform


def _migrate(args: argparse.Namespace) -> int:
    from streetorder.server.migrate import current, upgrade

    settings = _settings(args)
    with database_errors(settings.database_url):
        upgrade(settings.database_url)
        print(f"database at revision {current(settings.database_url)}")
    return 0


@contextmanager
def _named(config: Path | None) -> Iterator[None]:
    """Errors about settings found while starting (a TLS file) name the settings file."""
    try:
        yield
    except ConfigError as exc:
        where = str(config) if config is not None else "settings"
        if str(exc).startswith(where):
            raise
        raise ConfigError(f"{where}: {exc}") from None


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from streetorder.server.runtime import ServerRuntime

    settings = _server_settings(args)
    with database_errors(settings.platform.database_url), _named(args.config):
        from streetorder.server.migrate import current, upgrade

        if args.migrate:
            upgrade(settings.platform.database_url)
        current(settings.platform.database_url)  # the database answers before we serve
        runtime = ServerRuntime(settings, ingest=not args.no_ingest)
        app = runtime.start()
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    finally:
        runtime.stop()
    return 0


def _session(settings):
    from streetorder.platform.db import Database

    return Database(settings.database_url)


def _create_user(args: argparse.Namespace) -> int:
    from streetorder.errors import StreetorderError
    from streetorder.platform.domain.errors import DomainError
    from streetorder.platform.schemas.registry import UserCreate
    from streetorder.platform.services import registry

    settings = _settings(args)
    password = None
    if args.role != "edge_node":
        password = os.environ.get(args.password_env)
        if not password:
            try:
                password = getpass.getpass(f"password for {args.username}: ")
            except EOFError:
                raise StreetorderError(
                    f"no password: set {args.password_env} or run in a terminal"
                ) from None
    db = _session(settings)
    try:
        with database_errors(settings.database_url), db.session() as session:
            data = UserCreate(
                username=args.username, role=args.role, password=password, squad_code=args.squad,
                node_code=args.node, display_name=args.display_name,
            )  # fmt: skip
            user, key = registry.create_user(
                session, data=data, bcrypt_rounds=settings.auth.bcrypt_rounds
            )
            print(f"created {user.role} {user.username} (id {user.id})")
            if key:
                print(f"edge-node API key (shown once): {key}")
    except DomainError as exc:
        raise StreetorderError(str(exc)) from None
    finally:
        db.dispose()
    return 0


def _import(args: argparse.Namespace) -> int:
    from streetorder.errors import StreetorderError
    from streetorder.platform.domain.errors import DomainError
    from streetorder.platform.services import registry

    settings = _settings(args)
    try:
        text = args.csv.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise StreetorderError(f"{args.csv}: cannot read: {exc}") from None
    db = _session(settings)
    try:
        with database_errors(settings.database_url), db.session() as session:
            if args.what == "merchants":
                report = registry.import_merchants_csv(session, text=text)
            else:
                report = registry.import_zones_csv(session, text=text)
    except DomainError as exc:
        raise StreetorderError(f"{args.csv}: {exc}") from None
    finally:
        db.dispose()
    refused = len(report.errors)
    print(f"{args.what}: {report.created} created, {report.updated} updated, {refused} refused")
    for line in report.errors:
        print(f"  {line}")
    return 1 if report.errors else 0


def _seed(args: argparse.Namespace) -> int:
    from streetorder.platform.services.seed import seed_demo
    from streetorder.server.migrate import upgrade

    settings = _settings(args)
    with database_errors(settings.database_url):
        upgrade(settings.database_url)
    kwargs = {}
    if args.edge_config:
        from streetorder.config.node_file import load_node_registration

        edge = load_node_registration(args.edge_config)
        kwargs = {"node_code": edge.node_id, "cameras": edge.cameras}
        args.node_token = args.node_token or edge.platform.token
    db = _session(settings)
    try:
        with database_errors(settings.database_url), db.session() as session:
            report = seed_demo(
                session, password=args.password, node_api_key=args.node_token,
                bcrypt_rounds=settings.auth.bcrypt_rounds, **kwargs,
            )  # fmt: skip
    finally:
        db.dispose()
    print(f"logins ({args.password!r}): {', '.join(report.users)}")
    print(f"merchants: {', '.join(report.merchants)}; zones: {', '.join(report.zones)}")
    if report.node_api_key:
        print(f"edge node {report.node_code} API key: {report.node_api_key}")
    return 0


def _schedule(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from streetorder.mobile_api.jobs import run_scheduler

    settings = _server_settings(args)
    db = _session(settings.platform)
    try:
        with database_errors(settings.platform.database_url):
            report = run_scheduler(db, now=datetime.now(UTC), mobile=settings.mobile)
    finally:
        db.dispose()
    print(
        f"inspection tasks created: {report.created}, brought forward: {report.moved}, "
        f"colour changes from confirmed cases: {report.colour_changes}"
    )
    return 0
