"""Shared vocabularies: roles, organisation kinds, mail statuses and audit actions, used
by tables, services and templates alike."""

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


class MailStatus(StrEnum):
    #: Waiting for a worker, perhaps after failed attempts.
    PENDING = "pending"
    #: Accepted by the mail server (or written as a file in development).
    SENT = "sent"
    #: Given up after the last attempt, or refused outright; kept for the record.
    FAILED = "failed"


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
    BID_ANSWER_SAVE = "bid:answer:save"
    BID_BID_START = "bid:bid:start"
    BID_BID_SUBMIT = "bid:bid:submit"
    BID_BID_WITHDRAW = "bid:bid:withdraw"
    BID_CONTENT_READ = "bid:content:read"
    BID_EVIDENCE_ADD = "bid:evidence:add"
    BID_EVIDENCE_REMOVE = "bid:evidence:remove"
    BID_LOTS_CHOOSE = "bid:lots:choose"
    BID_PRICE_SAVE = "bid:price:save"
    BID_SUBMISSION_VERIFY = "bid:submission:verify"
    EVALUATION_AWARD_APPROVE = "evaluation:award:approve"
    EVALUATION_AWARD_REPORT = "evaluation:award:report"
    EVALUATION_AWARD_REPORT_READ = "evaluation:award-report:read"
    EVALUATION_CONFLICT_DECLARE = "evaluation:conflict:declare"
    EVALUATION_CONSENSUS_RECORD = "evaluation:consensus:record"
    EVALUATION_DECISION_RECORD_EXPORT = "evaluation:decision-record:export"
    EVALUATION_LOT_SIGN_OFF = "evaluation:lot:sign-off"
    EVALUATION_NOTICE_ISSUE = "evaluation:notice:issue"
    EVALUATION_PANEL_ASSIGN = "evaluation:panel:assign"
    EVALUATION_PANEL_REMOVE = "evaluation:panel:remove"
    EVALUATION_RESULTS_EXPORT = "evaluation:results:export"
    EVALUATION_SCORE_LOCK = "evaluation:score:lock"
    EVALUATION_SCORE_SAVE = "evaluation:score:save"
    MAIL_MESSAGE_FAIL = "mail:message:fail"
    MAIL_MESSAGE_SEND = "mail:message:send"
    TENDER_CLARIFICATION_ANSWER = "tender:clarification:answer"
    TENDER_CLARIFICATION_ASK = "tender:clarification:ask"
    TENDER_CLARIFICATION_PUBLISH = "tender:clarification:publish"
    TENDER_DOCUMENT_ADD = "tender:document:add"
    TENDER_INTEREST_REGISTER = "tender:interest:register"
    TENDER_INTEREST_WITHDRAW = "tender:interest:withdraw"
    TENDER_LOT_ADD = "tender:lot:add"
    TENDER_LOT_REMOVE = "tender:lot:remove"
    TENDER_LOT_UPDATE = "tender:lot:update"
    TENDER_PRICE_ITEM_ADD = "tender:price-item:add"
    TENDER_PRICE_ITEM_REMOVE = "tender:price-item:remove"
    TENDER_QUESTION_ADD = "tender:question:add"
    TENDER_QUESTION_REMOVE = "tender:question:remove"
    TENDER_SECTION_ADD = "tender:section:add"
    TENDER_SECTION_UPDATE = "tender:section:update"
    TENDER_TENDER_AWARD = "tender:tender:award"
    TENDER_TENDER_CANCEL = "tender:tender:cancel"
    TENDER_TENDER_CREATE = "tender:tender:create"
    TENDER_TENDER_EVALUATE = "tender:tender:evaluate"
    TENDER_TENDER_EXTEND = "tender:tender:extend"
    TENDER_TENDER_MODERATE = "tender:tender:moderate"
    TENDER_TENDER_OPEN = "tender:tender:open"
    TENDER_TENDER_OPEN_REQUEST = "tender:tender:open-request"
    TENDER_TENDER_PUBLISH = "tender:tender:publish"
    TENDER_TENDER_UPDATE = "tender:tender:update"
