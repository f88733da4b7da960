"""Lists shown a page at a time: how many pages there are, which one to show, and the links
to the others (both ends, the neighbours of the current page, and a gap for each jump)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    #: The page shown, from 1.
    number: int
    #: Items on all the pages.
    total: int
    #: Items a page.
    size: int

    @property
    def pages(self) -> int:
        return pages_for(self.total, self.size)


def pages_for(total: int, size: int) -> int:
    """How many pages ``total`` items fill, ``size`` a page: at least one, even empty."""
    return max(1, -(-total // size))


def page_number(requested: int, total: int, size: int) -> int:
    """The page to show: the one asked for, brought within the pages there are."""
    return min(max(1, requested), pages_for(total, size))


def page_links(number: int, pages: int) -> list[int | None]:
    """The page numbers a pagination shows: the first, the last, and those next to the
    current one, with ``None`` for each gap between them."""
    links: list[int | None] = []
    for candidate in range(1, pages + 1):
        if candidate in (1, pages) or abs(candidate - number) <= 1:
            links.append(candidate)
        elif links[-1] is not None:
            links.append(None)
    return links
