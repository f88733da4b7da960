"""JSON controllers of evaluation under /api/v1, one module per concern; each exports
``CONTROLLERS``."""

from evaluation.api import awards, moderation, panels, results, scoring

API_CONTROLLERS = [
    *panels.CONTROLLERS,
    *scoring.CONTROLLERS,
    *moderation.CONTROLLERS,
    *results.CONTROLLERS,
    *awards.CONTROLLERS,
]
