"""SQL statements per page do not grow with the data (no N+1)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("url", "days"),
    [
        ("/", 1),
        ("/", -30),
        ("/sessions", 1),
        ("/sessions?when=past", -30),
        ("/sessions?when=all&topic=topic-shared&agency=agency-shared", 1),
        ("/agencies", 1),
        ("/agencies/agency-shared", -30),
        ("/topics", 1),
        ("/topics/topic-shared", -30),
        ("/people/person-shared-0", -30),
        ("/takeaways", -30),
        ("/takeaways?agency=agency-shared&topic=topic-shared&kind=practice", -30),
        ("/agencies/agency-shared?group=topic", -30),
    ],
)
def test_pages_do_not_grow_with_the_data(client, make_session, count_queries, url, days):
    make_session(people=2, days=days, shared=True)
    make_session(people=2, days=days)
    few = count_queries(lambda: client.get(url))
    assert client.get(url).status_code == 200
    for _ in range(10):
        make_session(people=4, days=days, shared=True)
        make_session(people=4, days=days)
    assert count_queries(lambda: client.get(url)) == few


def test_session_page_does_not_grow_with_people_or_takeaways(client, make_session, count_queries):
    make_session(people=1, slug="small", days=-3)
    make_session(people=12, slug="large", days=-3)
    few = count_queries(lambda: client.get("/sessions/small"))
    assert count_queries(lambda: client.get("/sessions/large")) == few


def test_takeaways_by_year_do_not_grow_with_the_data(client, make_session, count_queries):
    make_session(days=-30, shared=True)
    year = client.get("/takeaways").get_data(as_text=True)
    url = "/takeaways?year=" + _first_year(year)
    make_session(days=-30, shared=True)  # both counts are of the first page after a change
    few = count_queries(lambda: client.get(url))
    for _ in range(10):
        make_session(days=-30, shared=True)
    assert count_queries(lambda: client.get(url)) == few


def _first_year(page: str) -> str:
    import re

    return re.search(r'<option value="(\d{4})"', page).group(1)


def test_comparison_does_not_grow_with_agencies_or_topics(app, client, count_queries):
    from tests.test_knowledge import add_panel

    add_panel(app, "small", agencies=1, topics=1)
    add_panel(app, "large", agencies=8, topics=6)
    few = count_queries(lambda: client.get("/sessions/small/compare"))
    assert count_queries(lambda: client.get("/sessions/large/compare")) == few
