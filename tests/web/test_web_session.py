"""The signed session cookie: forged, tampered, expired or foreign tokens are refused."""

from __future__ import annotations

import time

import pytest

from streetorder.platform.web.session import (
    csrf_matches,
    decode_session,
    encode_session,
    new_prelogin_token,
    new_session,
    password_fingerprint,
    prelogin_token,
    sign,
)

SECRET = "a-secret-key-of-some-length-123"


def test_round_trip_keeps_user_csrf_and_fingerprint() -> None:
    session = new_session(7, "$2b$04$hash", 3600)
    back = decode_session(encode_session(session, SECRET), SECRET)
    assert back == session
    assert back.fingerprint == password_fingerprint("$2b$04$hash")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature changed
        lambda t: "eyJ1Ijo5OTl9" + t[t.index(".") :],  # payload swapped, old signature
        lambda t: t.split(".")[0],  # no signature
        lambda t: "",
        lambda t: "not-base64!.@@@",
    ],
)
def test_tampered_tokens_are_refused(mangle) -> None:
    token = encode_session(new_session(1, None, 3600), SECRET)
    assert decode_session(mangle(token), SECRET) is None


def test_other_secret_expired_and_other_purpose_are_refused() -> None:
    token = encode_session(new_session(1, None, 3600), SECRET)
    assert decode_session(token, SECRET + "x") is None
    assert decode_session(token, SECRET, now=time.time() + 3601) is None
    login_token = sign({"u": 1, "c": "x", "e": time.time() + 99, "f": ""}, SECRET, "login")
    assert decode_session(login_token, SECRET) is None  # a login-form token is not a session


def test_prelogin_token_round_trip_and_csrf_compare() -> None:
    token, cookie = new_prelogin_token(SECRET)
    assert prelogin_token(cookie, SECRET) == token
    assert prelogin_token(cookie, "other-secret-xxxxxxxxxxxx") is None
    assert csrf_matches(token, token) and not csrf_matches(token, None)
    assert not csrf_matches(token, token + "x") and not csrf_matches(token, "")
