"""Session cookies and API bearer tokens: signed JWTs (HS256 only).

A token names its user, the user's session epoch when it was issued, its scope ("web" for
the cookie, "api" for bearer tokens) and, for web sessions, when it was last used, so idle
sessions end. Revocation lives in the database: raising the epoch ends every token at once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

import jwt

ALGORITHM = "HS256"
REQUIRED = ["exp", "iat", "sub", "jti", "scope", "epoch"]


class Scope(StrEnum):
    WEB = "web"
    API = "api"


@dataclass(frozen=True)
class TokenClaims:
    user_id: UUID
    epoch: int
    scope: Scope
    jti: str
    issued_at: datetime
    expires_at: datetime
    #: Web sessions only: when the session was last used, for the idle timeout.
    last_used_at: datetime | None = None


def new_claims(
    user_id: UUID, epoch: int, scope: Scope, now: datetime, lifetime: timedelta
) -> TokenClaims:
    return TokenClaims(
        user_id=user_id,
        epoch=epoch,
        scope=scope,
        jti=secrets.token_urlsafe(16),
        issued_at=now,
        expires_at=now + lifetime,
        last_used_at=now if scope is Scope.WEB else None,
    )


def encode(claims: TokenClaims, key: bytes) -> str:
    payload = {
        "sub": str(claims.user_id),
        "epoch": claims.epoch,
        "scope": str(claims.scope),
        "jti": claims.jti,
        "iat": int(claims.issued_at.timestamp()),
        "exp": int(claims.expires_at.timestamp()),
    }
    if claims.last_used_at is not None:
        payload["last"] = int(claims.last_used_at.timestamp())
    return jwt.encode(payload, key, algorithm=ALGORITHM)


def decode(token: str, key: bytes, scope: Scope, now: datetime) -> TokenClaims | None:
    """The claims of a genuine, unexpired token of this scope; ``None`` for anything else."""
    try:
        payload = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            options={"require": REQUIRED, "verify_exp": False, "verify_iat": False},
        )
        claims = TokenClaims(
            user_id=UUID(payload["sub"]),
            epoch=int(payload["epoch"]),
            scope=Scope(payload["scope"]),
            jti=str(payload["jti"]),
            issued_at=datetime.fromtimestamp(payload["iat"], now.tzinfo),
            expires_at=datetime.fromtimestamp(payload["exp"], now.tzinfo),
            last_used_at=(
                datetime.fromtimestamp(payload["last"], now.tzinfo) if "last" in payload else None
            ),
        )
    except (jwt.InvalidTokenError, ValueError, TypeError, KeyError):
        return None
    # Expiry is checked against the injectable clock, not the machine's.
    if claims.scope is not scope or now >= claims.expires_at:
        return None
    return claims
