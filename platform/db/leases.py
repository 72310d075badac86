"""Leases: which replica runs a cluster-wide job, and until when."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, case, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from streetorder.platform.db.base import Base


class JobLease(Base):
    """One row per job name; the holder runs the job until ``expires_at`` unless it renews."""

    __tablename__ = "job_leases"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column()
    acquired_at: Mapped[datetime] = mapped_column()
    renewed_at: Mapped[datetime] = mapped_column()


def claim_lease(session: Session, name: str, holder: str, *, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease ``name`` for ``holder``; True when ``holder`` now holds it.

    One conditional UPDATE decides: PostgreSQL re-checks its WHERE after a concurrent winner
    commits, and SQLite's BEGIN IMMEDIATE serialises writers, so two replicas never both win.
    """
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(JobLease)
        .values(name=name, holder="", expires_at=now, acquired_at=now, renewed_at=now)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    taken = session.execute(
        update(JobLease)
        .where(
            JobLease.name == name,
            or_(JobLease.holder == holder, JobLease.expires_at <= now),
        )
        .values(
            holder=holder,
            expires_at=now + ttl,
            renewed_at=now,
            acquired_at=case((JobLease.holder == holder, JobLease.acquired_at), else_=now),
        )
        .execution_options(synchronize_session=False)
    )
    return taken.rowcount == 1


def release_lease(session: Session, name: str, holder: str, *, now: datetime) -> None:
    """Let another replica take over at once (a clean shutdown)."""
    session.execute(
        update(JobLease)
        .where(JobLease.name == name, JobLease.holder == holder)
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
