"""Passwords (bcrypt, used directly), signed bearer tokens and edge-node API keys."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import bcrypt

from streetorder.i18n import Reason
from streetorder.platform.domain.errors import InvalidInput, Unauthorized

API_KEY_PREFIX = "sok_"
TokenKind = Literal["access", "refresh"]


def hash_password(password: str, rounds: int = 12) -> str:
    raw = password.encode("utf-8")
    if len(password) < 8:
        raise InvalidInput(Reason("session.password_short"))
    if len(raw) > 72:
        raise InvalidInput(Reason("session.password_long"))
    return bcrypt.hashpw(raw, bcrypt.gensalt(rounds)).decode("ascii")


def verify_password(password: str, password_hash: str | None) -> bool:
    raw = password.encode("utf-8")
    if password_hash is None or len(raw) > 72:
        return False
    try:
        return bcrypt.checkpw(raw, password_hash.encode("ascii"))
    except ValueError:
        return False


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    kind: TokenKind
    expires_at: datetime
    sid: str | None = None  # the login session (``services/login_sessions.py``)


class TokenSigner:
    """HMAC-SHA256 signed tokens ``<payload>.<signature>``, expiring, naming their login
    session (checked by the caller: a token outlives neither its expiry nor its session)."""

    def __init__(self, secret_key: str) -> None:
        self._key = hashlib.sha256(("streetorder-token|" + secret_key).encode()).digest()

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode("ascii"), hashlib.sha256).digest())

    def issue(
        self, user_id: int, kind: TokenKind, now: datetime, ttl: timedelta, sid: str | None = None
    ) -> str:
        body = {"sub": user_id, "k": kind, "exp": int((now + ttl).timestamp()), "sid": sid}
        payload = _b64(json.dumps(body, separators=(",", ":")).encode())
        return f"{payload}.{self._sign(payload)}"

    def verify(self, token: str, kind: TokenKind, now: datetime) -> TokenClaims:
        if not token.isascii():
            raise Unauthorized(Reason("session.invalid_token"))
        payload, _, signature = token.partition(".")
        if not signature or not hmac.compare_digest(signature, self._sign(payload)):
            raise Unauthorized(Reason("session.invalid_token"))
        try:
            body = json.loads(_unb64(payload))
            sid = body.get("sid")
            claims = TokenClaims(
                int(body["sub"]), body["k"], datetime.fromtimestamp(body["exp"], now.tzinfo),
                sid if isinstance(sid, str) else None,
            )  # fmt: skip
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError):
            raise Unauthorized(Reason("session.invalid_token")) from None
        if claims.kind != kind:
            raise Unauthorized(Reason("session.wrong_token", kind=claims.kind))
        if now >= claims.expires_at:
            raise Unauthorized(Reason("session.token_expired"))
        return claims

    def sign_link(self, purpose: str) -> str:
        """A short signature for a public link (e.g. a merchant's evidence page)."""
        return self._sign("link|" + purpose)[:22]

    def check_link(self, purpose: str, signature: str) -> bool:
        return signature.isascii() and hmac.compare_digest(self.sign_link(purpose), signature)
