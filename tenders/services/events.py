"""The audit event every change to a tender writes, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from app import audit
from app.accounts import CurrentUser
from app.platform import Platform
from app.vocabulary import AuditAction


async def record(
    platform: Platform,
    actor: CurrentUser,
    action: AuditAction,
    tender_id: UUID,
    details: Mapping[str, Any] | None = None,
) -> None:
    await audit.record(
        platform,
        action,
        actor_id=actor.id,
        organisation_id=actor.organisation_id,
        object_type="tender",
        object_id=tender_id,
        details=details,
    )
