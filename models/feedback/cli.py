"""``streetorder models export-reviews``: registered by ``models/cli.py`` with one call."""

from __future__ import annotations

import argparse
from datetime import date, datetime, time
from pathlib import Path


def add_export_reviews(sub: argparse._SubParsersAction) -> None:
    """Add the ``export-reviews`` sub-command to the ``models`` command's sub-parsers."""
    p = sub.add_parser(
        "export-reviews",
        help="reviewed alerts as a YOLO data set (confirmed: labelled, rejected: negatives)",
        description=(
            "Confirmed alerts' clean evidence frames become images labelled with the alert's "
            "detected objects; rejected alerts become hard negatives (empty label files). The "
            "folder has a data.yaml ready for 'streetorder models train'."
        ),
    )
    p.add_argument("--out", type=Path, required=True, help="output folder (empty or an export)")
    p.add_argument("--config", type=Path, help="platform YAML (database URL, evidence folder)")
    p.add_argument("--since", type=date.fromisoformat, help="only cases discovered from this day")
    p.add_argument("--val-share", type=float, default=0.2, help="share of images for val")
    p.add_argument("--force", action="store_true", help="replace an earlier export in --out")
    p.set_defaults(func=run_export_reviews)


def run_export_reviews(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from streetorder.errors import StreetorderError
    from streetorder.models.feedback.export import reviewed_frames, write_export
    from streetorder.platform.db import Database
    from streetorder.platform.settings import load_settings
    from streetorder.platform.storage import FileSystemStore

    settings = load_settings(args.config)
    since = None
    if args.since is not None:
        since = datetime.combine(args.since, time.min, settings.tz)
    db = Database(settings.database_url)
    try:
        with db.session() as session:
            frames = reviewed_frames(session, since=since)
    except SQLAlchemyError as exc:
        reason = str(exc.orig if getattr(exc, "orig", None) else exc).splitlines()[0]
        raise StreetorderError(
            f"cannot read the platform database ({reason}); is it migrated "
            "('streetorder platform migrate') and is --config right?"
        ) from None
    finally:
        db.dispose()
    store = FileSystemStore(settings.evidence.dir)
    report = write_export(frames, store.get, args.out, val_share=args.val_share, force=args.force)
    print(report.summary())
    return 0
