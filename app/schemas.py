"""JSON shapes of the API. Inputs are strings that default to empty, so that the service,
not the decoder, says what is wrong with each field."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec


class TokenRequest(msgspec.Struct):
    email: str = ""
    password: str = ""


class TokenResponse(msgspec.Struct):
    token: str
    token_type: str
    expires_at: datetime


class Me(msgspec.Struct):
    id: UUID
    name: str
    email: str
    role: str
    organisation_id: UUID
    organisation_name: str
    organisation_kind: str


class RegistrationRequest(msgspec.Struct):
    organisation_name: str = ""
    cqc_provider_id: str = ""
    contact_name: str = ""
    email: str = ""
    password: str = ""


class ColleagueRequest(msgspec.Struct):
    name: str = ""
    email: str = ""
    role: str = ""
    password: str = ""


class RoleRequest(msgspec.Struct):
    role: str = ""


class Colleague(msgspec.Struct):
    id: UUID
    name: str
    email: str
    role: str


class ColleaguePage(msgspec.Struct):
    items: list[Colleague]
    page: int
    pages: int
    total: int


class Error(msgspec.Struct):
    status: int
    message: str
    errors: dict[str, str] | None = None
