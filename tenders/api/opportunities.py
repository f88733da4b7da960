"""JSON API: opportunities."""

from __future__ import annotations

from litestar import Controller

CONTROLLERS: list[type[Controller]] = []
