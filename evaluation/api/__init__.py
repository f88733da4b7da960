"""JSON controllers of evaluation under /api/v1; each module exports ``CONTROLLERS``."""

from evaluation.api import evaluation

API_CONTROLLERS = [*evaluation.CONTROLLERS]
