"""Vocabularies of evaluation, shared by tables, services, templates and the API."""

from __future__ import annotations

from enum import StrEnum


class PanelRole(StrEnum):
    """A person's seat on one lot's panel (panel roles are per tender and lot)."""

    #: Scores the lot's bids, blind to the other evaluators.
    EVALUATOR = "evaluator"
    #: Sees every evaluator's scores and agrees the consensus; does not score the lot.
    MODERATOR = "moderator"

    @property
    def label(self) -> str:
        return {PanelRole.EVALUATOR: "Evaluator", PanelRole.MODERATOR: "Moderator"}[self]
