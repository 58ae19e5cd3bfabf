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
