"""Accounts: organisations, users, sign-in, sessions and their revocation.

Every function takes plain arguments, checks the caller's right to the object, writes its
change and the audit event in one transaction, and raises errors from ``app.errors``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from app import audit, database, mail
from app.errors import Invalid, NotFound, NotPermitted, TooManyAttempts
from app.paging import Page, page_number
from app.passwords import password_problem
from app.platform import Platform
from app.tables import Organisation, RevokedSession, SignInAttempt, User
from app.tokens import Scope, TokenClaims, decode, encode, new_claims
from app.validation import clean, cqc_provider_id_problem, email_problem, name_problem, unstripped
from app.vocabulary import BUYER_ROLES, AuditAction, OrganisationKind, Role

TOKEN_PURPOSE = "session-tokens"
SIGN_IN_FAILED = "Enter a correct email address and password"
PAGE_SIZE = 25


@dataclass(frozen=True)
class CurrentUser:
    id: UUID
    email: str
    name: str
    role: Role
    organisation_id: UUID
    organisation_name: str
    organisation_kind: OrganisationKind
    session_epoch: int

    @property
    def is_officer(self) -> bool:
        return self.role is Role.OFFICER

    @property
    def is_buyer(self) -> bool:
        return self.organisation_kind is OrganisationKind.BUYER

    @property
    def manages_colleagues(self) -> bool:
        """A council's officers manage its users; at a provider anyone may add a colleague,
        since a bid is written by a team of equals."""
        return self.is_officer if self.is_buyer else self.role is Role.PROVIDER


@dataclass(frozen=True)
class Session:
    user: CurrentUser
    claims: TokenClaims
    #: A fresh token to send back when the session's last use moved on (or was rotated).
    renewed_token: str | None = None


@dataclass(frozen=True)
class IssuedToken:
    value: str
    expires_at: datetime


@dataclass(frozen=True)
class UserSummary:
    id: UUID
    name: str
    email: str
    role: Role


_USER_COLUMNS = (
    User.id,
    User.email,
    User.name,
    User.role,
    User.session_epoch,
    User.password_hash,
    User.organisation.id.as_alias("organisation_id"),
    User.organisation.name.as_alias("organisation_name"),
    User.organisation.kind.as_alias("organisation_kind"),
)


def _current_user(row: Mapping[str, Any]) -> CurrentUser:
    return CurrentUser(
        id=_uuid(row["id"]),
        email=row["email"],
        name=row["name"],
        role=Role(row["role"]),
        organisation_id=_uuid(row["organisation_id"]),
        organisation_name=row["organisation_name"],
        organisation_kind=OrganisationKind(row["organisation_kind"]),
        session_epoch=row["session_epoch"],
    )


def _uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _parse_uuid(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise NotFound() from None


async def _email_taken(email: str) -> bool:
    return await User.exists().where(User.email == email)


#: Any constant: the first key of the advisory locks below (audit.py uses one-key locks).
_PG_ACCOUNT_LOCKS = 7_301


async def _hold_until_commit(key: str) -> None:
    """Make writers that name the same key take turns until commit, so that a check made
    after this (an email is free, another officer remains) still holds when the write
    commits. PostgreSQL only: SQLite writers already take turns."""
    if not database.is_sqlite():
        await User.raw("SELECT pg_advisory_xact_lock({}, hashtext({}))", _PG_ACCOUNT_LOCKS, key)


# Registration and buyers -------------------------------------------------------------


async def _refuse_problems(problems: Mapping[str, str | None], email: str, taken: str) -> None:
    """Raise ``Invalid`` listing every problem, an email already in use among them."""
    errors = {field: problem for field, problem in problems.items() if problem}
    if "email" not in errors and await _email_taken(email):
        errors["email"] = taken
    if errors:
        raise Invalid(errors)


async def _claim_email(email: str, taken: str) -> None:
    """Inside the write transaction: the email is still free, and stays so until commit."""
    await _hold_until_commit(f"email:{email}")
    if await _email_taken(email):
        raise Invalid({"email": taken})


async def _insert_organisation(
    platform: Platform, name: str, kind: OrganisationKind, cqc_provider_id: str | None = None
) -> UUID:
    organisation = Organisation(
        name=name, kind=kind, cqc_provider_id=cqc_provider_id, created_at=platform.clock.now()
    )
    await organisation.save()
    return organisation.id


async def register_provider(platform: Platform, form: Mapping[str, Any]) -> CurrentUser:
    """A visitor registers a provider organisation and becomes its first user.

    Raises ``Invalid`` with a message per field.
    """
    organisation_name = clean(form.get("organisation_name"))
    cqc_provider_id = clean(form.get("cqc_provider_id")).upper()
    contact_name = clean(form.get("contact_name"))
    email = clean(form.get("email")).lower()
    password = unstripped(form.get("password"))
    taken = "An account already uses this email address. Sign in instead"
    await _refuse_problems(
        {
            "organisation_name": name_problem(organisation_name, "your organisation's name"),
            "cqc_provider_id": cqc_provider_id_problem(cqc_provider_id),
            "contact_name": name_problem(contact_name, "your full name"),
            "email": email_problem(email),
            "password": password_problem(password),
        },
        email,
        taken,
    )
    password_hash = await platform.passwords.hash(password)
    async with database.write_transaction():
        await _claim_email(email, taken)
        organisation_id = await _insert_organisation(
            platform, organisation_name, OrganisationKind.PROVIDER, cqc_provider_id or None
        )
        user_id = await _insert_user(
            platform, None, organisation_id, contact_name, email, Role.PROVIDER, password_hash
        )
        await audit.record(
            platform,
            AuditAction.ACCOUNT_PROVIDER_REGISTER,
            actor_id=user_id,
            organisation_id=organisation_id,
            object_type="organisation",
            object_id=organisation_id,
            details={"name": organisation_name, "cqc_provider_id": cqc_provider_id or None},
        )
        await mail.enqueue(
            platform,
            to=email,
            subject=f"{organisation_name} is registered on caretender",
            template="mail/provider_registered.txt",
            context={"name": contact_name, "organisation": organisation_name},
            link_path="/sign-in",
            organisation_id=organisation_id,
        )
    return await _load_user(user_id)


async def create_buyer(
    platform: Platform, organisation_name: str, officer_name: str, email: str, password: str
) -> CurrentUser:
    """A buyer organisation and its first procurement officer (platform admins only).

    Raises ``Invalid``.
    """
    organisation_name, officer_name, email = (
        organisation_name.strip(),
        officer_name.strip(),
        email.strip().lower(),
    )
    taken = "An account already uses this email address"
    await _refuse_problems(
        {
            "organisation_name": name_problem(organisation_name, "the organisation's name"),
            "officer_name": name_problem(officer_name, "the officer's full name"),
            "email": email_problem(email),
            "password": password_problem(password),
        },
        email,
        taken,
    )
    password_hash = await platform.passwords.hash(password)
    async with database.write_transaction():
        await _claim_email(email, taken)
        organisation_id = await _insert_organisation(
            platform, organisation_name, OrganisationKind.BUYER
        )
        await audit.record(
            platform,
            AuditAction.ACCOUNT_ORGANISATION_CREATE,
            actor_id=None,
            organisation_id=organisation_id,
            object_type="organisation",
            object_id=organisation_id,
            details={"name": organisation_name, "kind": str(OrganisationKind.BUYER)},
        )
        user_id = await _insert_user(
            platform, None, organisation_id, officer_name, email, Role.OFFICER, password_hash
        )
    return await _load_user(user_id)


async def _insert_user(
    platform: Platform,
    actor_id: UUID | None,
    organisation_id: UUID,
    name: str,
    email: str,
    role: Role,
    password_hash: str,
) -> UUID:
    user = User(
        organisation=organisation_id,
        email=email,
        name=name,
        role=role,
        password_hash=password_hash,
        session_epoch=0,
        created_at=platform.clock.now(),
    )
    await user.save()
    await audit.record(
        platform,
        AuditAction.ACCOUNT_USER_ADD,
        actor_id=actor_id,
        organisation_id=organisation_id,
        object_type="user",
        object_id=user.id,
        details={"email": email, "role": str(role)},
    )
    return user.id


async def _load_user(user_id: UUID) -> CurrentUser:
    row = await User.select(*_USER_COLUMNS).where(User.id == user_id).first()
    if row is None:
        raise NotFound()
    return _current_user(row)


# Sign-in and sessions ----------------------------------------------------------------


async def _claim_attempt(platform: Platform, email: str, address: str) -> int:
    """Record a sign-in attempt before the password is checked, or refuse it.

    The attempt is committed first and counted after, so attempts made at the same moment
    all see each other: parallel guesses cannot slip past the limit. A refused attempt is
    not kept, so that someone hammering an account does not extend its lock for ever.
    Raises ``TooManyAttempts``.
    """
    limits = platform.settings.signin_limits
    now = platform.clock.now()
    window = timedelta(minutes=limits.window_minutes)
    async with database.write_transaction():
        attempt = SignInAttempt(email=email, address=address, attempted_at=now)
        await attempt.save()
    for column, value, limit in (
        (SignInAttempt.email, email, limits.per_account),
        (SignInAttempt.address, address, limits.per_address),
    ):
        others = (
            await SignInAttempt.select(SignInAttempt.attempted_at)
            .where(
                column == value,
                SignInAttempt.attempted_at > now - window,
                SignInAttempt.id != attempt.id,
            )
            .order_by(SignInAttempt.attempted_at, ascending=False)
            .limit(limit)
        )
        if len(others) >= limit:
            await SignInAttempt.delete().where(SignInAttempt.id == attempt.id)
            # Locked until the oldest failure that counts drops out of the window.
            unlocks_at = others[-1]["attempted_at"] + window
            raise TooManyAttempts(retry_after=max(1, math.ceil((unlocks_at - now).total_seconds())))
    return attempt.id


async def sign_in(
    platform: Platform, form: Mapping[str, Any], address: str, scope: Scope
) -> tuple[CurrentUser, IssuedToken]:
    """Check an email and password; return the user and a new token of ``scope``.

    Unknown email and wrong password give the same message and cost the same time.
    Raises ``Invalid`` and ``TooManyAttempts``.
    """
    email = clean(form.get("email")).lower()
    password = unstripped(form.get("password"))
    errors = {}
    if problem := email_problem(email):
        errors["email"] = problem
    if not password:
        errors["password"] = "Enter your password"
    if errors:
        raise Invalid(errors)
    attempt_id = await _claim_attempt(platform, email, address)
    row = await User.select(*_USER_COLUMNS).where(User.email == email).first()
    ok = await platform.passwords.verify(row["password_hash"] if row else None, password)
    if not ok:
        # The attempt stays recorded: it is the failure the limits count.
        async with database.write_transaction():
            await audit.record(
                platform,
                AuditAction.ACCOUNT_SIGNIN_FAIL,
                actor_id=None,
                organisation_id=None,
                object_type="user",
                object_id=None,
                details={"email": email, "address": address},
            )
        # One message, on the first field: the summary must not say it twice.
        raise Invalid({"email": SIGN_IN_FAILED})
    assert row is not None
    user = _current_user(row)
    rehashed = (
        await platform.passwords.hash(password)
        if platform.passwords.needs_rehash(row["password_hash"])
        else None
    )
    async with database.write_transaction():
        await SignInAttempt.delete().where(SignInAttempt.id == attempt_id)
        if rehashed:
            await User.update({User.password_hash: rehashed}).where(User.id == user.id)
        await audit.record(
            platform,
            AuditAction.ACCOUNT_SIGNIN_SUCCEED
            if scope is Scope.WEB
            else AuditAction.ACCOUNT_TOKEN_ISSUE,
            actor_id=user.id,
            organisation_id=user.organisation_id,
            object_type="user",
            object_id=user.id,
            details={"address": address},
        )
    return user, issue_token(platform, user, scope)


def _lifetime(platform: Platform, scope: Scope) -> timedelta:
    sessions = platform.settings.sessions
    if scope is Scope.WEB:
        return timedelta(hours=sessions.absolute_hours)
    return timedelta(hours=sessions.api_token_hours)


def issue_token(platform: Platform, user: CurrentUser, scope: Scope) -> IssuedToken:
    """A new token with a new id: sessions are never carried across a sign-in."""
    claims = new_claims(
        user.id, user.session_epoch, scope, platform.clock.now(), _lifetime(platform, scope)
    )
    return IssuedToken(encode(claims, platform.derived_key(TOKEN_PURPOSE)), claims.expires_at)


async def authenticate(platform: Platform, token: str, scope: Scope) -> Session | None:
    """The session a token stands for, or ``None`` if it is forged, expired, idle or revoked."""
    now = platform.clock.now()
    key = platform.derived_key(TOKEN_PURPOSE)
    claims = decode(token, key, scope, now)
    if claims is None:
        return None
    idle = timedelta(minutes=platform.settings.sessions.idle_minutes)
    if claims.last_used_at is not None and now - claims.last_used_at >= idle:
        return None
    row = await User.select(*_USER_COLUMNS).where(User.id == claims.user_id).first()
    if row is None or row["session_epoch"] != claims.epoch:
        return None
    if await RevokedSession.exists().where(RevokedSession.jti == claims.jti):
        return None
    renewed = None
    # Slide the idle timeout, but rewrite the cookie at most once a minute.
    if claims.last_used_at is not None and now - claims.last_used_at >= timedelta(minutes=1):
        renewed = encode(
            replace(claims, last_used_at=now),
            key,
        )
    return Session(_current_user(row), claims, renewed)


async def sign_out(platform: Platform, session: Session) -> None:
    """End this one session on the server, so its cookie is worthless even if kept."""
    async with database.write_transaction():
        await RevokedSession.insert(
            RevokedSession(jti=session.claims.jti, expires_at=session.claims.expires_at)
        )
        await RevokedSession.delete().where(RevokedSession.expires_at < platform.clock.now())
        await audit.record(
            platform,
            AuditAction.ACCOUNT_SESSION_SIGN_OUT,
            actor_id=session.user.id,
            organisation_id=session.user.organisation_id,
            object_type="user",
            object_id=session.user.id,
        )


async def _revoke_all(platform: Platform, user: CurrentUser, action: AuditAction) -> CurrentUser:
    await User.update({User.session_epoch: User.session_epoch + 1}).where(User.id == user.id)
    await audit.record(
        platform,
        action,
        actor_id=user.id,
        organisation_id=user.organisation_id,
        object_type="user",
        object_id=user.id,
    )
    return await _load_user(user.id)


async def sign_out_everywhere(platform: Platform, user: CurrentUser) -> None:
    """Revoke every session and API token of the user, on every device."""
    async with database.write_transaction():
        await _revoke_all(platform, user, AuditAction.ACCOUNT_SESSION_REVOKE_ALL)


async def change_password(
    platform: Platform, user: CurrentUser, form: Mapping[str, Any]
) -> CurrentUser:
    """Change the password (the current one required) and revoke every other session.

    Returns the user with the new session epoch, for a fresh cookie. Raises ``Invalid``.
    """
    current = unstripped(form.get("current_password"))
    new = unstripped(form.get("new_password"))
    errors = {}
    if not current:
        errors["current_password"] = "Enter your current password"
    if problem := password_problem(new):
        errors["new_password"] = problem.replace("Enter a password", "Enter a new password")
    if errors:
        raise Invalid(errors)
    stored = await User.select(User.password_hash).where(User.id == user.id).first()
    if stored is None or not await platform.passwords.verify(stored["password_hash"], current):
        raise Invalid({"current_password": "Your current password is incorrect"})
    new_hash = await platform.passwords.hash(new)
    async with database.write_transaction():
        await User.update({User.password_hash: new_hash}).where(User.id == user.id)
        await audit.record(
            platform,
            AuditAction.ACCOUNT_PASSWORD_CHANGE,
            actor_id=user.id,
            organisation_id=user.organisation_id,
            object_type="user",
            object_id=user.id,
        )
        return await _revoke_all(platform, user, AuditAction.ACCOUNT_SESSION_REVOKE_ALL)


# Colleagues --------------------------------------------------------------------------


PROVIDER_ROLE_ONLY = "A provider organisation's users can only have the provider role"


def _require_officer(actor: CurrentUser) -> None:
    if not (actor.is_buyer and actor.is_officer):
        raise NotPermitted()


def _require_colleague_manager(actor: CurrentUser) -> None:
    if not actor.manages_colleagues:
        raise NotPermitted()


def _role_problem(actor: CurrentUser, value: str) -> str | None:
    """A council's users are officers or evaluators; a provider's are all provider users."""
    if not actor.is_buyer:
        return None if value == Role.PROVIDER else PROVIDER_ROLE_ONLY
    if value not in {str(role) for role in BUYER_ROLES}:
        return "Select a role"
    return None


async def add_colleague(
    platform: Platform, actor: CurrentUser, form: Mapping[str, Any]
) -> UserSummary:
    """A user adds a colleague to their own organisation, with a first password: an officer
    chooses officer or evaluator; at a provider the role is provider, and may be left out.

    Raises ``NotPermitted`` and ``Invalid``.
    """
    _require_colleague_manager(actor)
    name = clean(form.get("name"))
    email = clean(form.get("email")).lower()
    role = clean(form.get("role"))
    if not actor.is_buyer:
        # Providers are not asked: their organisation has only the one role.
        role = role or str(Role.PROVIDER)
    password = unstripped(form.get("password"))
    taken = "An account already uses this email address"
    await _refuse_problems(
        {
            "name": name_problem(name, "their full name"),
            "email": email_problem(email),
            "role": _role_problem(actor, role),
            "password": password_problem(password),
        },
        email,
        taken,
    )
    password_hash = await platform.passwords.hash(password)
    async with database.write_transaction():
        await _claim_email(email, taken)
        user_id = await _insert_user(
            platform, actor.id, actor.organisation_id, name, email, Role(role), password_hash
        )
    return UserSummary(user_id, name, email, Role(role))


async def list_colleagues(
    platform: Platform, actor: CurrentUser, page: int = 1
) -> Page[UserSummary]:
    """The users of the caller's own organisation, by name. Raises ``NotPermitted``."""
    _require_colleague_manager(actor)
    scope = User.organisation == actor.organisation_id
    total = await User.count().where(scope)
    number = page_number(page, total, PAGE_SIZE)
    rows = (
        await User.select(User.id, User.name, User.email, User.role)
        .where(scope)
        .order_by(User.name)
        .order_by(User.email)
        .limit(PAGE_SIZE)
        .offset((number - 1) * PAGE_SIZE)
    )
    return Page([_summary(row) for row in rows], number, total, PAGE_SIZE)


def _summary(row: Mapping[str, Any]) -> UserSummary:
    return UserSummary(_uuid(row["id"]), row["name"], row["email"], Role(row["role"]))


async def get_colleague(platform: Platform, actor: CurrentUser, user_id: str) -> UserSummary:
    """A user of the caller's own organisation; another organisation's users are not found.

    Raises ``NotPermitted`` and ``NotFound``.
    """
    _require_colleague_manager(actor)
    row = (
        await User.select(User.id, User.name, User.email, User.role)
        .where(User.id == _parse_uuid(user_id), User.organisation == actor.organisation_id)
        .first()
    )
    if row is None:
        raise NotFound()
    return _summary(row)


async def change_role(
    platform: Platform, actor: CurrentUser, user_id: str, form: Mapping[str, Any]
) -> UserSummary:
    """Set a colleague's role. An organisation always keeps one officer.

    Raises ``NotPermitted``, ``NotFound`` and ``Invalid``.
    """
    _require_officer(actor)
    colleague = await get_colleague(platform, actor, user_id)
    role = clean(form.get("role"))
    if problem := _role_problem(actor, role):
        raise Invalid({"role": problem})
    new_role = Role(role)
    if new_role is colleague.role:
        return colleague
    async with database.write_transaction():
        await _hold_until_commit(f"officers:{actor.organisation_id}")
        if colleague.role is Role.OFFICER:
            officers = await User.count().where(
                User.organisation == actor.organisation_id, User.role == Role.OFFICER
            )
            if officers <= 1:
                raise Invalid(
                    {
                        "role": "Your organisation must keep at least one procurement officer. "
                        "Make someone else an officer first"
                    }
                )
        await User.update({User.role: new_role}).where(User.id == colleague.id)
        await audit.record(
            platform,
            AuditAction.ACCOUNT_USER_ROLE_CHANGE,
            actor_id=actor.id,
            organisation_id=actor.organisation_id,
            object_type="user",
            object_id=colleague.id,
            details={"from": str(colleague.role), "to": str(new_role)},
        )
    return UserSummary(colleague.id, colleague.name, colleague.email, new_role)
