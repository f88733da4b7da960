"""HTML controllers of tenders, one module per concern; each exports ``CONTROLLERS``."""

from tenders.web import authoring, clarifications, ocds, opportunities

WEB_CONTROLLERS = [
    *opportunities.CONTROLLERS,
    *authoring.CONTROLLERS,
    *clarifications.CONTROLLERS,
    *ocds.CONTROLLERS,
]
