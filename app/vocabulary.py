"""Shared vocabularies: roles, organisation kinds and audit actions, used by tables,
services and templates alike."""

from __future__ import annotations

from enum import StrEnum


class OrganisationKind(StrEnum):
    BUYER = "buyer"
    PROVIDER = "provider"


class Role(StrEnum):
    #: A member of a provider organisation.
    PROVIDER = "provider"
    #: A procurement officer of a buyer organisation: runs tenders and manages colleagues.
    OFFICER = "officer"
    #: Buyer staff who sit on evaluation panels (panel roles are per tender and lot).
    EVALUATOR = "evaluator"

    @property
    def label(self) -> str:
        return {
            Role.PROVIDER: "Provider user",
            Role.OFFICER: "Procurement officer",
            Role.EVALUATOR: "Evaluator",
        }[self]


BUYER_ROLES = (Role.OFFICER, Role.EVALUATOR)


class AuditAction(StrEnum):
    """Named ``<area>:<object>:<verb>``, kept sorted."""

    ACCOUNT_ORGANISATION_CREATE = "account:organisation:create"
    ACCOUNT_PASSWORD_CHANGE = "account:password:change"
    ACCOUNT_PROVIDER_REGISTER = "account:provider:register"
    ACCOUNT_SESSION_REVOKE_ALL = "account:session:revoke-all"
    ACCOUNT_SESSION_SIGN_OUT = "account:session:sign-out"
    ACCOUNT_SIGNIN_FAIL = "account:signin:fail"
    ACCOUNT_SIGNIN_SUCCEED = "account:signin:succeed"
    ACCOUNT_TOKEN_ISSUE = "account:token:issue"
    ACCOUNT_USER_ADD = "account:user:add"
    ACCOUNT_USER_ROLE_CHANGE = "account:user:role-change"
