"""HTML controllers of tenders, one module per concern; each exports ``CONTROLLERS``."""

from tenders.web import authoring, bids, clarifications, ocds, opening, opportunities, receipts

WEB_CONTROLLERS = [
    *opportunities.CONTROLLERS,
    *authoring.CONTROLLERS,
    *clarifications.CONTROLLERS,
    *ocds.CONTROLLERS,
    *bids.CONTROLLERS,
    *opening.CONTROLLERS,
    *receipts.CONTROLLERS,
]
