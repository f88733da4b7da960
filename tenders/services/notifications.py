"""Telling every interested provider about a change to a tender, by email."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from app import mail
from app.platform import Platform
from app.tables import User
from tenders.tables import Interest


async def notify_interested(
    platform: Platform,
    tender_id: UUID,
    *,
    subject: str,
    template: str,
    context: Mapping[str, Any],
    link_path: str,
) -> int:
    """Queue one email to every user of every organisation interested in the tender.

    Call inside the write transaction of the change, so the emails go if and only if the
    change commits. Returns how many were queued.
    """
    interested = await Interest.select(Interest.organisation).where(Interest.tender == tender_id)
    organisations = [row["organisation"] for row in interested]
    if not organisations:
        return 0
    recipients = await User.select(User.email, User.name, User.organisation).where(
        User.organisation.is_in(organisations)
    )
    for recipient in recipients:
        await mail.enqueue(
            platform,
            to=recipient["email"],
            subject=subject,
            template=template,
            context={**context, "name": recipient["name"]},
            link_path=link_path,
            organisation_id=recipient["organisation"],
        )
    return len(recipients)
