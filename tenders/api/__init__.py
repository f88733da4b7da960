"""JSON controllers of tenders under /api/v1; each module exports ``CONTROLLERS``."""

from tenders.api import authoring, bids, clarifications, opportunities, receipts

API_CONTROLLERS = [
    *opportunities.CONTROLLERS,
    *authoring.CONTROLLERS,
    *clarifications.CONTROLLERS,
    *bids.CONTROLLERS,
    *receipts.CONTROLLERS,
]
