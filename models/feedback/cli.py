"""``streetorder models export-reviews``: registered by ``models/cli.py`` with one call."""

from __future__ import annotations

import argparse
import getpass
import os
from datetime import date
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
    p.add_argument(
        "--platform", default="http://127.0.0.1:8000", help="the platform's URL (its JSON API)"
    )
    p.add_argument("--user", required=True, help="a reviewer or admin login of the platform")
    p.add_argument(
        "--password-env", default="STREETORDER_PASSWORD",
        help="read the password from this environment variable (else prompt)",
    )  # fmt: skip
    p.add_argument(
        "--since", type=date.fromisoformat, help="only cases discovered from this (local) day"
    )
    p.add_argument("--val-share", type=float, default=0.2, help="share of images for val")
    p.add_argument("--force", action="store_true", help="replace an earlier export in --out")
    p.set_defaults(func=run_export_reviews)


def run_export_reviews(args: argparse.Namespace) -> int:
    from streetorder.errors import StreetorderError
    from streetorder.models.feedback.export import frames_of, write_export
    from streetorder.models.feedback.platform_client import PlatformClient

    password = os.environ.get(args.password_env)
    if not password:
        try:
            password = getpass.getpass(f"password for {args.user} at {args.platform}: ")
        except EOFError:
            raise StreetorderError(
                f"no password: set {args.password_env} or run in a terminal"
            ) from None
    client = PlatformClient(args.platform)
    client.login(args.user, password)
    frames = frames_of(client.reviewed_frames(since=args.since))
    report = write_export(
        frames, client.evidence, args.out, val_share=args.val_share, force=args.force
    )
    print(report.summary())
    return 0
