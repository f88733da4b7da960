"""HTML controllers of tenders, one module per concern; each exports ``CONTROLLERS``."""

from tenders.web import authoring, clarifications, ocds, opening, opportunities, receipts

WEB_CONTROLLERS = [
    *opportunities.CONTROLLERS,
    *authoring.CONTROLLERS,
    *clarifications.CONTROLLERS,
    *ocds.CONTROLLERS,
    *opening.CONTROLLERS,
    *receipts.CONTROLLERS,
]
