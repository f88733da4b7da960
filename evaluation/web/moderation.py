"""Pages: placeholder until written."""

CONTROLLERS: list = []
