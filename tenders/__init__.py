"""Tenders, lots, criteria, price schedules, clarifications and bids (issues 4 and 5)."""
