"""HTML controllers of evaluation, one module per concern; each exports ``CONTROLLERS``."""

from evaluation.web import awards, moderation, notices, panels, results, scoring

WEB_CONTROLLERS = [
    *panels.CONTROLLERS,
    *scoring.CONTROLLERS,
    *moderation.CONTROLLERS,
    *results.CONTROLLERS,
    *awards.CONTROLLERS,
    *notices.CONTROLLERS,
]
