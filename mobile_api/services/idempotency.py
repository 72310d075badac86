"""Idempotency keys: a retried write gets the first response replayed, never a second record.

The key is claimed first (a row inserted before the write), the write follows and the
response is stored in the same row, all in one transaction: either everything exists or
nothing does. A concurrent request with the same key blocks on the unique ``(scope, key)``
until the first commits, then fails, rolls back and replays the first response; if the first
rolled back instead, the second simply goes ahead.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from streetorder.i18n import Reason
from streetorder.mobile_api.db import IdempotencyRecord
from streetorder.platform.db.session import Database
from streetorder.platform.domain.errors import Conflict, InvalidInput

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.:\-]{8,100}$")

#: An action returns the HTTP status and the JSON-ready body of its response.
Action = Callable[[Session], tuple[int, Any]]


@dataclass(frozen=True)
class Outcome:
    status_code: int
    body: Any
    replayed: bool


def fingerprint(method: str, path: str, *parts: bytes) -> str:
    digest = hashlib.sha256(f"{method.upper()} {path}".encode())
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def check_key(key: str) -> str:
    if not KEY_PATTERN.match(key):
        raise InvalidInput(Reason("officer.bad_idempotency_key"))
    return key


def run(
    db: Database, *, scope: str, key: str | None, request_fingerprint: str, action: Action
) -> Outcome:
    """Run ``action`` once per ``(scope, key)``; without a key, simply run it."""
    if key is None:
        with db.session() as session:
            status, body = action(session)
        return Outcome(status, body, False)
    check_key(key)
    for attempt in range(2):
        try:
            with db.session() as session:
                record = session.scalars(
                    select(IdempotencyRecord).filter_by(scope=scope, key=key)
                ).first()
                if record is not None:
                    if record.fingerprint != request_fingerprint:
                        raise Conflict(Reason("officer.idempotency_key_reused"))
                    return Outcome(record.status_code, record.body, True)
                claim = IdempotencyRecord(
                    scope=scope, key=key, fingerprint=request_fingerprint, status_code=0, body=None
                )
                session.add(claim)
                session.flush()  # takes the key now; a twin request waits here
                status, body = action(session)
                claim.status_code, claim.body = status, body
                session.flush()
            return Outcome(status, body, False)
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")  # pragma: no cover
