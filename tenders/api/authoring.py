"""JSON API: authoring."""

from __future__ import annotations

from litestar import Controller

CONTROLLERS: list[type[Controller]] = []
