"""Panels, conflicts, scoring, moderation, results and awards (issues 6 and 7)."""
