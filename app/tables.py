"""Piccolo tables of the platform: organisations, users, sign-in attempts, audit log,
mail outbox."""

from __future__ import annotations

from piccolo.columns import (
    UUID,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from app.vocabulary import MailStatus, OrganisationKind, Role


class Organisation(Table):
    id = UUID(primary_key=True)
    name = Varchar(length=200)
    kind = Varchar(length=20, choices=OrganisationKind, index=True)
    #: Care Quality Commission provider ID, for regulated providers (e.g. 1-101234567).
    cqc_provider_id = Varchar(length=20, null=True, default=None)
    created_at = Timestamptz()


class User(Table, tablename="app_user"):
    id = UUID(primary_key=True)
    organisation = ForeignKey(
        references=Organisation, null=False, index=True, on_delete=OnDelete.restrict
    )
    #: Stored lower-cased, so sign-in ignores case.
    email = Varchar(length=320, unique=True)
    name = Varchar(length=200)
    role = Varchar(length=20, choices=Role)
    password_hash = Varchar(length=200)
    #: Raised to revoke every session and token issued before ("sign out everywhere").
    session_epoch = Integer(default=0)
    created_at = Timestamptz()


class SignInAttempt(Table):
    """Failed sign-ins, counted per account and per address for rate limiting."""

    email = Varchar(length=320, index=True)
    address = Varchar(length=64, index=True)
    attempted_at = Timestamptz(index=True)


class RevokedSession(Table):
    """Sessions signed out one at a time; kept until the token would have expired."""

    jti = Varchar(length=64, unique=True)
    expires_at = Timestamptz(index=True)


class AuditEvent(Table):
    """Append-only and hash-chained; ``body`` is the canonical JSON that was hashed."""

    seq = Integer(unique=True)
    prev_hash = Varchar(length=64, unique=True)
    hash = Varchar(length=64, unique=True)
    occurred_at = Timestamptz(index=True)
    action = Varchar(length=100, index=True)
    organisation_id = Varchar(length=36, null=True, default=None, index=True)
    body = Text()


class OutboxMessage(Table):
    """Email queued with the change that caused it, delivered by a worker; never deleted.

    A worker claims a row by writing ``claim_token`` and ``claimed_at``; a claim older than
    ``mail.ABANDONED_AFTER`` was left by a worker that died and may be taken again.
    """

    #: ``<uuid@caretender>``, made at enqueue and the same on every attempt.
    message_id = Varchar(length=100, unique=True)
    recipient = Varchar(length=320, index=True)
    subject = Varchar(length=200)
    body = Text()
    #: The recipient's organisation when known, for the audit log.
    organisation_id = Varchar(length=36, null=True, default=None)
    status = Varchar(length=20, choices=MailStatus, index=True)
    #: Claims so far, including any by a worker that died before finishing.
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(index=True)
    claim_token = Varchar(length=36, null=True, default=None, index=True)
    claimed_at = Timestamptz(null=True, default=None)
    #: Committed just before the message is handed over; cleared when that attempt fails.
    sending_started_at = Timestamptz(null=True, default=None)
    last_error = Text(default="")
    created_at = Timestamptz()
    sent_at = Timestamptz(null=True, default=None)
    #: Files of the file store sent with the body, read from the store at each attempt: a
    #: JSON list of ``{"sha256", "filename", "content_type"}`` in order (``mail.Attachment``).
    attachments = Text(default="[]")
