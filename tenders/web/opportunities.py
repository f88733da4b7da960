"""Pages: public opportunities. Anyone may find tenders, read them and put a deadline in
their calendar; nothing here needs a sign-in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.params import FromPath
from litestar.response import Template
from markupsafe import Markup

from app.dependencies import PLATFORM, PlatformDep
from app.errors import Invalid
from app.paging import page_links
from app.sessions import current_session
from app.templating import make_environment
from app.web_support import form_errors, render
from tenders import domain_data
from tenders.api.opportunities import SEARCH_PARAMS, SearchParamsDep, search
from tenders.lifecycle import countdown
from tenders.services import bids, clarifications, opportunities
from tenders.services.opportunities import Availability, Council, OpportunitySearch, Order
from tenders.vocabulary import ComplexityBand, ServiceType

FILTER_ORDER = ["keywords", "service_type", "district", "band", "council", "status", "order"]


def pounds(pence: int | None) -> str:
    """ "£2,850,000" for whole pounds, "£15.87" otherwise."""
    if pence is None:
        return ""
    whole, part = divmod(pence, 100)
    return f"£{whole:,}" if part == 0 else f"£{whole:,}.{part:02d}"


def _countdown(deadline: datetime | None, now: datetime) -> str:
    return countdown(deadline, now) if deadline is not None else ""


# The tender page is shared with the officers' preview, which renders it from its own
# controller: the filters it needs belong to the one environment, not to a context.
_environment = make_environment()
_environment.filters["countdown"] = _countdown
_environment.filters["pounds"] = pounds


def _items(choices: Any) -> list[dict[str, str]]:
    return [{"value": str(value), "text": value.label} for value in choices]


#: The filters' options, as the govuk-frontend macros take them.
OPTIONS = {
    "status": _items(Availability),
    "service_type": _items(ServiceType),
    "district": [
        *(
            {"value": group, "text": f"{group} ({', '.join(members)})"}
            for group, members in domain_data.DISTRICT_GROUPS.items()
        ),
        {"divider": "or"},
        *({"value": name, "text": name} for name in domain_data.DISTRICTS),
    ],
    "band": _items(ComplexityBand),
    "order": _items(Order),
}


def _filter_fields(
    *,
    keywords: str,
    status: str,
    order: str,
    chosen: Mapping[str, Sequence[str]],
    councils: Sequence[Council],
    errors: Mapping[str, Any] | None = None,
) -> Markup:
    """The fields of the filter form and its button, rendered on their own."""
    return Markup(  # noqa: S704 - the output of an autoescaping template
        _environment.get_template("tenders/_opp_filters.html").render(
            options=OPTIONS,
            keywords=keywords,
            status=status,
            order=order,
            chosen=chosen,
            councils=[{"value": str(council.id), "text": council.name} for council in councils],
            errors=errors,
        )
    )


@lru_cache(maxsize=256)
def _kept_filter_fields(search: OpportunitySearch, councils: tuple[Council, ...]) -> Markup:
    """The filters of a search, kept: the same few combinations come again and again, and
    some thirty govuk-frontend checkboxes cost more to render than the search itself."""
    return _filter_fields(
        keywords=search.query,
        status=str(search.status),
        order=str(search.order),
        chosen=search.chosen(),
        councils=councils,
    )


_PAGINATION = _environment.from_string(
    '{% from "govuk_frontend_jinja/components/pagination/macro.html" import govukPagination %}'
    "{{ govukPagination(params) }}"
)


@lru_cache(maxsize=256)
def _pagination(search: OpportunitySearch, number: int, pages: int) -> Markup:
    """The links to a search's other pages, kept as the filters are."""
    if pages <= 1:
        return Markup()
    items = [
        {"ellipsis": True}
        if link is None
        else {"number": link, "href": search.link(link), "current": link == number}
        for link in page_links(number, pages)
    ]
    return Markup(  # noqa: S704 - the output of an autoescaping template
        _PAGINATION.render(
            params={
                "previous": {"href": search.link(number - 1)} if number > 1 else None,
                "next": {"href": search.link(number + 1)} if number < pages else None,
                "items": items,
            }
        )
    )


class OpportunityPages(Controller):
    path = "/opportunities"
    include_in_schema = False
    dependencies = {"platform": PLATFORM}

    @get("/", dependencies={"params": SEARCH_PARAMS})
    async def opportunities(
        self, request: Request, platform: PlatformDep, params: SearchParamsDep
    ) -> Template:
        try:
            listing = await search(platform, params)
        except Invalid as error:
            errors = form_errors(error, FILTER_ORDER)
            fields = _filter_fields(
                keywords=params.keywords or "",
                status=params.status or str(Availability.OPEN),
                order=params.order or str(Order.CLOSING),
                chosen=params.chosen(),
                councils=(),
                errors=errors,
            )
            return render(
                request,
                "tenders/opportunities.html",
                {
                    "listing": None,
                    "filter_fields": fields,
                    "errors": errors,
                },
                status_code=400,
            )
        return render(
            request,
            "tenders/opportunities.html",
            {
                "listing": listing,
                "filter_fields": _kept_filter_fields(listing.search, listing.councils),
                "pagination": _pagination(listing.search, listing.number, listing.pages),
            },
        )

    @get("/{tender_id:str}")
    async def tender(
        self, request: Request, platform: PlatformDep, tender_id: FromPath[str]
    ) -> Template:
        tender = await opportunities.tender_page(platform, tender_id)
        session = current_session(request)
        return render(
            request,
            "tenders/tender.html",
            {
                "tender": tender,
                "now": platform.clock.now(),
                "preview": False,
                "actions": await clarifications.tender_actions(
                    platform, session.user if session else None, tender
                ),
                "bid": await bids.bid_for_tender(session.user, tender.id) if session else None,
                "clarifications": await clarifications.published_clarifications(tender.id),
            },
        )

    @get("/{tender_id:str}/deadline.ics")
    async def deadline_calendar(self, platform: PlatformDep, tender_id: FromPath[str]) -> Response:
        calendar = await opportunities.deadline_calendar(platform, tender_id)
        return Response(
            calendar.text.encode(),
            media_type="text/calendar",
            headers={"Content-Disposition": f'attachment; filename="{calendar.filename}"'},
        )


CONTROLLERS: list[type[Controller]] = [OpportunityPages]
