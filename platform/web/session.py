"""The browser session: an HMAC-signed cookie carrying the user id and a CSRF token.

Stateless and pure (stdlib only). The cookie is HttpOnly, SameSite=Lax and Secure when the
request came over TLS; every state-changing request must echo the session's CSRF token (a hidden
form field or the ``X-CSRF-Token`` header). The signature binds a fingerprint of the user's
password hash, so changing a password ends the user's other sessions, and the login session's
id (``sid``), which logging out ends on the server (``services/login_sessions.py``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

COOKIE_NAME = "so_session"
PRELOGIN_COOKIE = "so_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True)
class WebSession:
    user_id: int
    csrf: str
    expires_at: int  # unix seconds
    fingerprint: str  # of the password hash at login
    sid: str = ""  # the login session (a cookie without one opens nothing)


def _key(secret: str, purpose: str) -> bytes:
    return hashlib.sha256(f"streetorder-web|{purpose}|{secret}".encode()).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(payload: dict, secret: str, purpose: str) -> str:
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    mac = hmac.new(_key(secret, purpose), body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def unsign(token: str, secret: str, purpose: str) -> dict | None:
    """The payload if the signature is valid, else ``None`` (never raises on bad input)."""
    body, _, mac = token.partition(".")
    if not body or not mac:
        return None
    want = hmac.new(_key(secret, purpose), body.encode(), hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(want, _unb64(mac)):
            return None
        payload = json.loads(_unb64(body))
    except (ValueError, json.JSONDecodeError):
        return None
    return payload if isinstance(payload, dict) else None


def password_fingerprint(password_hash: str | None) -> str:
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


def new_session(
    user_id: int, password_hash: str | None, lifetime_seconds: int, sid: str = ""
) -> WebSession:
    return WebSession(
        user_id=user_id,
        csrf=secrets.token_urlsafe(24),
        expires_at=int(time.time()) + lifetime_seconds,
        fingerprint=password_fingerprint(password_hash),
        sid=sid,
    )


def encode_session(session: WebSession, secret: str) -> str:
    payload = {
        "u": session.user_id,
        "c": session.csrf,
        "e": session.expires_at,
        "f": session.fingerprint,
        "s": session.sid,
    }
    return sign(payload, secret, "session")


def decode_session(token: str | None, secret: str, now: float | None = None) -> WebSession | None:
    """The session in a cookie, or ``None`` if absent, forged, malformed or expired."""
    if not token:
        return None
    payload = unsign(token, secret, "session")
    if payload is None:
        return None
    try:
        session = WebSession(
            user_id=int(payload["u"]),
            csrf=str(payload["c"]),
            expires_at=int(payload["e"]),
            fingerprint=str(payload["f"]),
            sid=str(payload.get("s") or ""),
        )
    except (KeyError, TypeError, ValueError):
        return None
    if session.expires_at < (time.time() if now is None else now):
        return None
    return session


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def new_prelogin_token(secret: str) -> tuple[str, str]:
    """A CSRF token for the login form and the signed cookie that carries it."""
    token = secrets.token_urlsafe(24)
    return token, sign({"c": token, "e": int(time.time()) + 3600}, secret, "login")


def prelogin_token(cookie: str | None, secret: str) -> str | None:
    payload = unsign(cookie or "", secret, "login")
    if not payload or int(payload.get("e", 0)) < time.time():
        return None
    return str(payload.get("c") or "") or None
