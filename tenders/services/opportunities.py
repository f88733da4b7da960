"""Public opportunities: the published tenders anyone may find, read and put in a calendar.

No sign-in is needed. Only published tenders are shown, never drafts; cancelled tenders
are not listed, though their pages stay readable. Whether a tender is open follows from the
clock: from the instant ``now >= deadline`` it leaves the open list for the closed one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from piccolo.columns.combination import WhereRaw
from piccolo.querystring import QueryString

from app import database
from app.errors import Invalid, NotFound
from app.platform import Platform
from app.tables import Organisation
from app.vocabulary import OrganisationKind
from tenders import domain_data
from tenders.lifecycle import countdown
from tenders.services.views import TenderView, as_uuid, load_tender
from tenders.tables import Tender
from tenders.vocabulary import ComplexityBand, ServiceType, TenderStatus

PAGE_SIZE = 20
#: Longer searches are cut short: a search box is not a place for essays.
MAX_QUERY = 200
MAX_WORDS = 8


class Order(StrEnum):
    #: Soonest deadline first (for closed tenders: the most recently closed first).
    CLOSING = "closing"
    #: Most recently published first.
    NEWEST = "newest"

    @property
    def label(self) -> str:
        return {Order.CLOSING: "Closing soonest", Order.NEWEST: "Newest"}[self]


class Availability(StrEnum):
    OPEN = "open"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return {Availability.OPEN: "Open for bids", Availability.CLOSED: "Closed"}[self]


def area(districts: Sequence[str]) -> str:
    """A lot's districts in the fewest words: "All districts", "North districts", or the
    names themselves."""
    if set(districts) == set(domain_data.DISTRICTS):
        return "All districts"
    for group, members in domain_data.DISTRICT_GROUPS.items():
        if set(districts) == set(members):
            return f"{group} districts"
    return ", ".join(districts)


@dataclass(frozen=True)
class OpportunitySearch:
    """What a visitor asked for, checked: the filters of one search, in any page."""

    query: str = ""
    service_types: tuple[ServiceType, ...] = ()
    #: As chosen: district names, and the groups ("North", "South") standing for theirs.
    districts: tuple[str, ...] = ()
    bands: tuple[ComplexityBand, ...] = ()
    councils: tuple[UUID, ...] = ()
    order: Order = Order.CLOSING
    status: Availability = Availability.OPEN

    def params(self) -> list[tuple[str, str]]:
        """The search as query parameters, leaving out what is the default."""
        params: list[tuple[str, str]] = []
        if self.query:
            params.append(("keywords", self.query))
        params += [("service_type", str(value)) for value in self.service_types]
        params += [("district", value) for value in self.districts]
        params += [("band", str(value)) for value in self.bands]
        params += [("council", str(value)) for value in self.councils]
        if self.order is not Order.CLOSING:
            params.append(("order", str(self.order)))
        if self.status is not Availability.OPEN:
            params.append(("status", str(self.status)))
        return params

    def link(self, page: int) -> str:
        """The query string of this search at ``page``."""
        return "?" + urlencode([*self.params(), *([("page", str(page))] if page > 1 else [])])

    def chosen(self) -> dict[str, list[str]]:
        """Each multiple-choice filter's values, by the filter's name in a URL."""
        return {
            "service_type": [str(value) for value in self.service_types],
            "district": list(self.districts),
            "band": [str(value) for value in self.bands],
            "council": [str(value) for value in self.councils],
        }

    def district_names(self) -> tuple[str, ...]:
        """The chosen districts with each group replaced by its members."""
        return domain_data.expand_districts(self.districts)


@dataclass(frozen=True)
class LotSummary:
    number: int
    name: str
    service_type: ServiceType
    districts: tuple[str, ...]
    complexity_band: ComplexityBand | None

    @property
    def area(self) -> str:
        return area(self.districts)


@dataclass(frozen=True)
class Council:
    id: UUID
    name: str


@dataclass(frozen=True)
class Opportunity:
    """One tender in a list of opportunities."""

    id: UUID
    title: str
    reference: str
    council: Council
    submission_deadline: datetime
    published_at: datetime
    closed: bool
    #: "Closes in 3 days, at 12:00pm on Friday 4 December 2026", or "Closed at ...".
    countdown: str
    lots: tuple[LotSummary, ...]


@dataclass(frozen=True)
class OpportunityPage:
    items: tuple[Opportunity, ...]
    number: int
    pages: int
    total: int
    search: OpportunitySearch
    #: Every council with a published tender, for the council filter.
    councils: tuple[Council, ...] = field(default_factory=tuple)


# Checking a search --------------------------------------------------------------------


def _values(raw: str | Iterable[str] | None) -> list[str]:
    if raw is None:
        return []
    items = [raw] if isinstance(raw, str) else list(raw)
    return list(dict.fromkeys(item.strip() for item in items if item and item.strip()))


def _district(value: str) -> str:
    if value not in domain_data.DISTRICTS and value not in domain_data.DISTRICT_GROUPS:
        raise ValueError(value)
    return value


def parse_search(
    *,
    query: str | None = None,
    service_type: str | Iterable[str] | None = None,
    district: str | Iterable[str] | None = None,
    band: str | Iterable[str] | None = None,
    council: str | Iterable[str] | None = None,
    order: str | None = None,
    status: str | None = None,
) -> OpportunitySearch:
    """Check a search as it came from a form or a URL. Raises ``Invalid`` naming each
    filter whose value is not one of its options."""
    problems: dict[str, str] = {}

    def pick(name: str, raw: str | Iterable[str] | None, convert: Any, message: str) -> tuple:
        try:
            return tuple(convert(value) for value in _values(raw))
        except ValueError:
            problems[name] = message
            return ()

    service_types = pick(
        "service_type", service_type, ServiceType, "Select types of service from the list"
    )
    districts = pick("district", district, _district, "Select districts from the list")
    bands = pick("band", band, ComplexityBand, "Select complexity bands from the list")
    councils = pick("council", council, UUID, "Select a council from the list")
    orders = pick("order", order, Order, "Select how to sort the tenders")
    statuses = pick("status", status, Availability, "Select open or closed tenders")
    if problems:
        raise Invalid(problems)
    return OpportunitySearch(
        query=" ".join((query or "").split())[:MAX_QUERY],
        service_types=service_types,
        # Groups first, then districts, each in the county's order: one search, one URL.
        districts=tuple(
            name
            for name in (*domain_data.DISTRICT_GROUPS, *domain_data.DISTRICTS)
            if name in districts
        ),
        bands=bands,
        councils=councils,
        order=orders[0] if orders else Order.CLOSING,
        status=statuses[0] if statuses else Availability.OPEN,
    )


# Searching ----------------------------------------------------------------------------


def _containing(text: str) -> str:
    """A LIKE pattern (with ``ESCAPE '\\'``) for values containing ``text`` literally,
    whatever ``%``, ``_`` or ``\\`` it holds."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _any_of(column: str, values: Sequence[Any]) -> QueryString:
    return QueryString(f"{column} IN ({', '.join('{}' for _ in values)})", *values)


def _joined(word: str, parts: Sequence[QueryString]) -> QueryString:
    return QueryString("(" + f" {word} ".join("{}" for _ in parts) + ")", *parts)


#: One keyword, found in the tender's own words or in any of its lots' names. SQLite's LIKE
#: ignores the case of ASCII letters (as its LOWER() does: no more); PostgreSQL's does not,
#: and ILIKE is its word for that.
_KEYWORD_LIKE = (
    "(tender.title LIKE {} ESCAPE '\\' OR tender.reference LIKE {} ESCAPE '\\'"
    " OR tender.description LIKE {} ESCAPE '\\'"
    " OR tender.id IN (SELECT lot.tender FROM lot WHERE lot.name LIKE {} ESCAPE '\\'))"
)
_KEYWORD = {"LIKE": _KEYWORD_LIKE, "ILIKE": _KEYWORD_LIKE.replace(" LIKE ", " ILIKE ")}
_LOT_MATCHES = "tender.id IN (SELECT lot.tender FROM lot WHERE {})"
#: Names are joined by "|": whole names only ("Stafford" is in "South Staffordshire").
_DISTRICT = "'|' || lot.districts || '|' LIKE {} ESCAPE '\\'"


#: Published tenders, and closed ones whose bids an officer has unsealed.
_LISTED = [str(s) for s in TenderStatus if s is TenderStatus.PUBLISHED or s.bids_opened]


def _where(search: OpportunitySearch, now: datetime, *, sqlite: bool) -> QueryString:
    """The WHERE clause of a search, its values kept apart as parameters."""
    clauses = [
        _any_of("tender.status", _LISTED),
        QueryString("tender.published_at IS NOT NULL"),
        QueryString(
            "tender.submission_deadline > {}"
            if search.status is Availability.OPEN
            else "tender.submission_deadline <= {}",
            now,
        ),
    ]
    if search.councils:
        clauses.append(_any_of("tender.buyer", search.councils))
    keyword = _KEYWORD["LIKE" if sqlite else "ILIKE"]
    # Every word somewhere.
    clauses += [
        QueryString(keyword, *[_containing(word)] * 4) for word in search.query.split()[:MAX_WORDS]
    ]
    # One lot must match every lot filter: a provider bids for a lot, not for a tender.
    lot_clauses: list[QueryString] = []
    if search.service_types:
        lot_clauses.append(_any_of("lot.service_type", [str(v) for v in search.service_types]))
    if search.bands:
        lot_clauses.append(_any_of("lot.complexity_band", [str(v) for v in search.bands]))
    if districts := search.district_names():
        lot_clauses.append(
            _joined("OR", [QueryString(_DISTRICT, _containing(f"|{d}|")) for d in districts])
        )
    if lot_clauses:
        clauses.append(QueryString(_LOT_MATCHES, _joined("AND", lot_clauses)))
    return _joined("AND", clauses)


def _order_by(search: OpportunitySearch) -> QueryString:
    if search.order is Order.NEWEST:
        return QueryString("tender.published_at DESC, tender.id")
    if search.status is Availability.CLOSED:
        # Closed tenders are listed from the most recently closed.
        return QueryString("tender.submission_deadline DESC, tender.id")
    return QueryString("tender.submission_deadline, tender.id")


#: One page of tenders with the count of them all, their councils and their lots, in one
#: query. The window functions count and number the matches before the page is cut from
#: them, over the ids alone: only the page's own tenders are read whole.
_PAGE = (
    "SELECT tender.id, tender.title, tender.reference, tender.buyer,"
    " organisation.name AS buyer_name, tender.submission_deadline, tender.published_at,"
    " listed.total, lot.number AS lot_number, lot.name AS lot_name, lot.service_type,"
    " lot.districts, lot.complexity_band"
    " FROM (SELECT tender.id, COUNT(*) OVER () AS total,"
    " ROW_NUMBER() OVER (ORDER BY {}) AS position"
    " FROM tender WHERE {} ORDER BY position LIMIT {} OFFSET {}) AS listed"
    " JOIN tender ON tender.id = listed.id"
    " JOIN organisation ON organisation.id = tender.buyer"
    " LEFT JOIN lot ON lot.tender = tender.id"
    " ORDER BY listed.position, lot.number"
)
_COUNT = "SELECT COUNT(*) AS total FROM tender WHERE {}"


#: Far past the last page of any catalogue.
MAX_PAGE = 1_000_000


async def search(
    platform: Platform,
    *,
    query: str | None = None,
    service_type: str | Iterable[str] | None = None,
    district: str | Iterable[str] | None = None,
    band: str | Iterable[str] | None = None,
    council: str | Iterable[str] | None = None,
    order: str | None = None,
    status: str | None = None,
    page: int = 1,
) -> OpportunityPage:
    """A page of published tenders matching a search, 20 a page, with the councils to
    filter by. A page past the last shows the last. Raises ``Invalid`` for a filter value
    that is not one of its options."""
    checked = parse_search(
        query=query,
        service_type=service_type,
        district=district,
        band=band,
        council=council,
        order=order,
        status=status,
    )
    now = platform.clock.now()
    where = _where(checked, now, sqlite=database.is_sqlite())
    order_by = _order_by(checked)
    # Any page past the last shows the last: bounded first, so that the offset stays an
    # integer the database takes (a page of 10^21 overflowed it).
    number = min(max(1, page), MAX_PAGE)
    # One connection and one snapshot for every read.
    async with database.engine().transaction():
        rows = await Tender.raw(_PAGE, order_by, where, PAGE_SIZE, (number - 1) * PAGE_SIZE)
        total = rows[0]["total"] if rows else 0
        if not rows and number > 1:
            # Past the last page: the count says which page is the last, if any is.
            total = (await Tender.raw(_COUNT, where))[0]["total"]
            number = max(1, math.ceil(total / PAGE_SIZE))
            if total:
                rows = await Tender.raw(_PAGE, order_by, where, PAGE_SIZE, (number - 1) * PAGE_SIZE)
        councils = await _councils()
    return OpportunityPage(
        items=_opportunities(rows, now),
        number=number,
        pages=max(1, math.ceil(total / PAGE_SIZE)),
        total=total,
        search=checked,
        councils=councils,
    )


async def _councils() -> tuple[Council, ...]:
    """Councils with a published tender (open, closed or cancelled since)."""
    rows = (
        await Organisation.select(Organisation.id, Organisation.name)
        .where(
            Organisation.kind == OrganisationKind.BUYER,
            WhereRaw(
                "EXISTS (SELECT 1 FROM tender WHERE tender.buyer = organisation.id"
                " AND {} AND tender.published_at IS NOT NULL)",
                _any_of("tender.status", _LISTED),
            ),
        )
        .order_by(Organisation.name)
    )
    return tuple(Council(as_uuid(row["id"]), row["name"]) for row in rows)


def _opportunities(rows: Iterable[Mapping[str, Any]], now: datetime) -> tuple[Opportunity, ...]:
    """Tenders from their rows, one row per lot (or one row for a tender without lots)."""
    found: dict[UUID, tuple[Mapping[str, Any], list[LotSummary]]] = {}
    for row in rows:
        _, lots = found.setdefault(as_uuid(row["id"]), (row, []))
        if row["lot_number"] is not None:
            lots.append(
                LotSummary(
                    number=row["lot_number"],
                    name=row["lot_name"],
                    service_type=ServiceType(row["service_type"]),
                    districts=tuple(name for name in row["districts"].split("|") if name),
                    complexity_band=(
                        ComplexityBand(row["complexity_band"]) if row["complexity_band"] else None
                    ),
                )
            )
    return tuple(
        Opportunity(
            id=tender_id,
            title=row["title"],
            reference=row["reference"],
            council=Council(as_uuid(row["buyer"]), row["buyer_name"]),
            submission_deadline=row["submission_deadline"],
            published_at=row["published_at"],
            closed=now >= row["submission_deadline"],
            countdown=countdown(row["submission_deadline"], now),
            lots=tuple(lots),
        )
        for tender_id, (row, lots) in found.items()
    )


# One tender ---------------------------------------------------------------------------


async def tender_page(platform: Platform, tender_id: str | UUID) -> TenderView:
    """A tender as anyone may read it: published (open or closed) or cancelled after
    publication. Raises ``NotFound`` for a draft, or an id that names no tender."""
    try:
        wanted = as_uuid(tender_id)
    except ValueError:
        raise NotFound() from None
    # One connection (and one snapshot) for the tender's seven reads.
    async with database.engine().transaction():
        tender = await load_tender(wanted)
    if tender is None or tender.stored_status is TenderStatus.DRAFT or not tender.published_at:
        raise NotFound()
    return tender


@dataclass(frozen=True)
class CalendarFile:
    filename: str
    text: str


async def deadline_calendar(platform: Platform, tender_id: str | UUID) -> CalendarFile:
    """The tender's submission deadline as an iCalendar file. Raises ``NotFound`` as
    ``tender_page`` does."""
    tender = await tender_page(platform, tender_id)
    assert tender.submission_deadline is not None, "publication needs a deadline"
    url = f"{platform.settings.base_url.rstrip('/')}/opportunities/{tender.id}"
    # The reference goes into a header: plain letters, digits and dashes only.
    name = "".join(
        c if c.isascii() and (c.isalnum() or c in "-_.") else "-" for c in tender.reference
    )
    return CalendarFile(
        filename=f"{name or 'tender'}-deadline.ics",
        text=deadline_ics(tender, platform.clock.now(), url),
    )


# iCalendar (RFC 5545), written by hand ------------------------------------------------


def _ics_text(value: str) -> str:
    """A TEXT value with its backslashes, semicolons, commas and newlines escaped."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _ics_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """A content line folded at 75 octets, continuation lines starting with a space,
    never splitting a UTF-8 character (RFC 5545 section 3.1)."""
    encoded = line.encode()
    if len(encoded) <= 75:
        return line
    parts: list[str] = []
    start, limit = 0, 75
    while start < len(encoded):
        end = min(start + limit, len(encoded))
        # Step back off a UTF-8 continuation byte (10xxxxxx).
        while end < len(encoded) and encoded[end] & 0xC0 == 0x80:
            end -= 1
        parts.append(encoded[start:end].decode())
        start, limit = end, 74  # the leading space takes one octet
    return "\r\n ".join(parts)


def deadline_ics(tender: TenderView, now: datetime, url: str) -> str:
    """One VEVENT at the deadline, with an alarm a day before."""
    assert tender.submission_deadline is not None
    cancelled = tender.stored_status is TenderStatus.CANCELLED
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//caretender//Tender deadlines//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{tender.id}-deadline@caretender",
        f"DTSTAMP:{_ics_time(now)}",
        f"DTSTART:{_ics_time(tender.submission_deadline)}",
        f"SUMMARY:{_ics_text(f'Deadline: {tender.title}')}",
        "DESCRIPTION:"
        + _ics_text(
            f"Bids for {tender.title} ({tender.reference}, {tender.buyer_name}) must be "
            f"submitted before this time. Bids cannot be submitted late.\n{url}"
        ),
        f"URL:{url}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        "TRANSP:TRANSPARENT",
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        f"DESCRIPTION:{_ics_text(f'The tender {tender.title} closes in a day')}",
        "TRIGGER:-P1D",
        "END:VALARM",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(fold(line) + "\r\n" for line in lines)
