"""The Jinja environment: our templates, the govuk-frontend-jinja macros, autoescape on."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader
from litestar.plugins.jinja import JinjaTemplateEngine

from app.clock import LONDON
from app.paging import page_links
from app.settings import PROJECT_ROOT

TEMPLATES_DIR = PROJECT_ROOT / "templates"


def london_time(value: datetime, seconds: bool = False) -> str:
    """ "12:00pm on Friday 4 December 2026", in Europe/London, as GOV.UK writes times;
    with ``seconds`` "12:00:05pm ...", for the exact time a bid was received."""
    local = value.astimezone(LONDON)
    hour = local.strftime("%I").lstrip("0")
    clock = f"{hour}:{local:%M:%S}" if seconds else f"{hour}:{local:%M}"
    return f"{clock}{local:%p}".lower() + f" on {local:%A} {local.day} {local:%B %Y}"


def utc_time(value: datetime) -> str:
    """ "2026-11-23 10:00:00 UTC": beside a UK time where the exact instant matters."""
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


@cache
def make_environment() -> Environment:
    """One environment per process: templates compile once, whatever the number of apps."""
    environment = Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(TEMPLATES_DIR),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
            ]
        ),
        # PITFALLS: from_environment() does not turn autoescape on for us.
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["london_time"] = london_time
    environment.filters["utc_time"] = utc_time
    environment.globals["page_links"] = page_links
    return environment


def make_engine() -> JinjaTemplateEngine:
    return JinjaTemplateEngine.from_environment(make_environment())
