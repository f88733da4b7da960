"""Lists a page at a time: the page shown and the links to the others."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from app.paging import Page, page_links, page_number, pages_for


@given(total=st.integers(0, 10_000), size=st.integers(1, 100))
def test_the_pages_hold_every_item_and_none_is_empty_but_the_only_one(total: int, size: int):
    pages = pages_for(total, size)
    assert (pages - 1) * size < max(total, 1) <= pages * size


@given(requested=st.integers(-5, 500), total=st.integers(0, 1_000), size=st.integers(1, 50))
def test_the_page_shown_is_the_one_asked_for_or_the_nearest_there_is(
    requested: int, total: int, size: int
):
    number = page_number(requested, total, size)
    assert 1 <= number <= pages_for(total, size)
    if 1 <= requested <= pages_for(total, size):
        assert number == requested


def test_a_page_knows_how_many_pages_there_are():
    assert Page(items=["a"], number=3, total=41, size=20).pages == 3
    assert Page(items=[], number=1, total=0, size=20).pages == 1


@given(pages=st.integers(1, 60), data=st.data())
def test_page_links_show_both_ends_the_neighbours_and_one_gap_for_each_jump(
    pages: int, data: st.DataObject
) -> None:
    number = data.draw(st.integers(1, pages))
    links = page_links(number, pages)
    shown = [link for link in links if link is not None]
    assert shown == sorted(set(shown))
    assert {1, pages, number} <= set(shown)
    assert {n for n in (number - 1, number + 1) if 1 <= n <= pages} <= set(shown)
    for before, after in itertools.pairwise(links):
        assert before is not None or after is not None, "two gaps in a row"
        if before is not None and after is not None:
            assert after == before + 1, "a jump without a gap"
    assert page_links(5, 10) == [1, None, 4, 5, 6, None, 10]
