"""API: placeholder until written."""

CONTROLLERS: list = []
