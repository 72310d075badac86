"""The officer app's periodic job: apply confirmed cases to colours, schedule inspections.

Called by the server's periodic jobs (or cron via
``streetorder mobile schedule``); it is idempotent.
"""

from __future__ import annotations

from datetime import datetime

from streetorder.mobile_api.services.scheduler import ScheduleReport, schedule_inspections
from streetorder.mobile_api.settings import MobileSettings
from streetorder.platform.db.session import Database


def run_scheduler(
    db: Database, *, now: datetime, mobile: MobileSettings | None = None
) -> ScheduleReport:
    mobile = mobile or MobileSettings()
    with db.session() as session:
        return schedule_inspections(
            session, schedule=mobile.schedule, colours=mobile.colours, now=now
        )
