"""Reading what was learned: the takeaways filters, agency and topic pages, the comparison of
agencies × topics, the Atom feed of new summaries, and that nothing rendered can run script."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from exchange.db import db
from exchange.models import (
    Agency,
    Appearance,
    ContentStatus,
    LearningSession,
    Note,
    NoteSection,
    Person,
    Role,
    SessionStatus,
    Takeaway,
    TakeawayKind,
    Topic,
)
from tests.test_pages import WEBINAR, text_of

ATOM_SCHEMA = Path(__file__).parent / "schemas" / "atom.rng"
ATOM = "{http://www.w3.org/2005/Atom}"

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    '"><script>alert(1)</script>',
    '<a href="javascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "<iframe src=//example.org>",
    "ความเป็นธรรม<script>alert('ไทย')</script>องค์การ",
    "<<script>script>alert(1)<</script>/script>",
]


class _Elements(HTMLParser):
    """Every start tag with its attributes, as a browser's tokenizer would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))


def assert_inert(html: str) -> None:
    """No markup from user text can run: no script or frame element but our own script files,
    no event handler attribute, no javascript:/data:/vbscript: address."""
    parser = _Elements()
    parser.feed(html)
    for tag, attrs in parser.tags:
        if tag == "script":
            assert attrs.get("src", "").startswith("/static/"), attrs
        assert tag not in ("iframe", "object", "embed", "svg", "math", "base"), tag
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        for name in ("href", "src", "action", "formaction", "xlink:href"):
            scheme = re.sub(r"[\s\x00-\x1f]", "", attrs.get(name, "")).lower()
            assert not scheme.startswith(("javascript:", "data:", "vbscript:")), (tag, attrs)


def add_panel(
    app,
    slug: str,
    *,
    agencies: int = 2,
    topics: int = 2,
    days: float = -10,
    status: SessionStatus = SessionStatus.PUBLISHED,
    statement: str = "บทเรียน",
    note: bool = False,
) -> int:
    """A past panel: each agency says one thing per topic; one conclusion shared by all."""
    start = datetime.now(UTC) + timedelta(days=days)
    with app.app_context():
        found = [
            Agency(slug=f"{slug}-agency-{i}", name_th=f"หน่วยงาน {slug} {i}", name_en=f"A{i}")
            for i in range(agencies)
        ]
        themes = [
            Topic(slug=f"{slug}-topic-{i}", name_th=f"หัวข้อ {slug} {i}", name_en=f"T{i}")
            for i in range(topics)
        ]
        learning_session = LearningSession(
            slug=slug,
            title_th=f"เวที {slug}",
            title_en=f"Panel {slug}",
            status=status,
            starts_at=start,
            ends_at=start + timedelta(hours=3),
            organiser=found[0],
            topics=themes,
        )
        learning_session.appearances = [
            Appearance(
                person=Person(slug=f"{slug}-person-{i}", name_th=f"คน {i}"),
                role=Role.PANELLIST,
                agency=agency,
                sort_order=i,
            )
            for i, agency in enumerate(found)
        ]
        takeaways = [
            Takeaway(
                kind=TakeawayKind.PRACTICE,
                statement_th=f"{statement} {agency.name_th} {topic.name_th}",
                agencies=[agency],
                topics=[topic],
                position=n,
            )
            for n, (agency, topic) in enumerate((a, t) for a in found for t in themes)
        ]
        takeaways.append(
            Takeaway(
                kind=TakeawayKind.CONCLUSION,
                statement_th=f"{statement} ร่วมกัน",
                agencies=list(found),
                topics=themes[:1],
                position=len(takeaways),
            )
        )
        learning_session.takeaways = takeaways
        if note:
            learning_session.notes = [
                Note(
                    language="th",
                    title=f"สรุป {slug}",
                    body=f"{statement} บทนำ",
                    status=ContentStatus.PUBLISHED,
                    published_at=start + timedelta(days=1),
                    sections=[
                        NoteSection(agency=agency, heading=agency.name_th, body=f"{statement} ส่วน")
                        for agency in found
                    ],
                )
            ]
        db.session.add(learning_session)
        db.session.commit()
        return learning_session.id


# --- /takeaways filters -------------------------------------------------------------------


def test_takeaways_filter_by_year_shows_buddhist_years_in_thai(app, client, demo):
    add_panel(app, "old", days=-800)
    page = client.get("/takeaways").get_data(as_text=True)
    assert 'value="2021"' in page
    assert "พ.ศ. 2564" in page
    only_2021 = text_of(client.get("/takeaways?year=2021"))
    assert "Hackatax" in only_2021
    assert "บทเรียน หน่วยงาน old" not in only_2021
    english = client.get("/takeaways?lang=en").get_data(as_text=True)
    assert ">2021</option>" in english
    assert "พ.ศ." not in english


@pytest.mark.parametrize("year", ["1999", "abc", "20211", "-1", "2021.0", "9" * 40])
def test_takeaways_unknown_year_is_a_clear_404(client, demo, year):
    response = client.get(f"/takeaways?year={year}")
    assert response.status_code == 404
    assert "ไม่พบหน่วยงาน หัวข้อ ประเภท หรือปีที่เลือก" in text_of(response)


def test_takeaways_combine_every_filter(client, demo):
    url = "/takeaways?agency=revenue-department&kind=initiative&year=2021"
    page = text_of(client.get(url))
    assert "Hackatax" in page
    assert "Justice Care" not in page


# --- agency and topic pages -----------------------------------------------------------------


def test_topic_page_shows_a_window_of_sessions_and_links_to_all(client, make_session):
    """A busy topic has hundreds of sessions: the page shows the next and the latest few, soonest
    and latest first, and links to the full list filtered by the topic."""
    for day in range(1, 16):
        make_session(days=day, shared=True, slug=f"next-{day:02d}")
        make_session(days=-day, shared=True, slug=f"past-{day:02d}")
    html = client.get("/topics/topic-shared?lang=en").get_data(as_text=True)
    cards = re.findall(r'class="session-card__title"><a href="/sessions/([^"]+)"', html)
    upcoming = [f"next-{day:02d}" for day in range(1, 13)]
    past = [f"past-{day:02d}" for day in range(1, 13)]
    assert cards == upcoming + past
    assert "30 sessions" in html
    assert 'href="/sessions?topic=topic-shared&amp;when=all"' in html
    assert "See all 30 sessions on this topic" in html
    listed = client.get("/sessions?topic=topic-shared&when=all").get_data(as_text=True)
    assert "next-15" in listed or "page=2" in listed  # the link's list has them all, paginated


def test_topic_page_with_few_sessions_has_no_see_all_link(client, make_session):
    make_session(days=2, shared=True)
    make_session(days=-2, shared=True)
    html = client.get("/topics/topic-shared").get_data(as_text=True)
    assert len(re.findall(r'class="session-card__title"', html)) == 2
    assert "See all" not in html


def test_agency_page_groups_by_kind_and_by_topic(client, demo):
    by_kind = client.get("/agencies/revenue-department").get_data(as_text=True)
    assert "<h3>ผลงานโดดเด่น</h3>" in by_kind
    by_topic = client.get("/agencies/revenue-department?group=topic")
    assert by_topic.status_code == 200
    html = by_topic.get_data(as_text=True)
    assert 'aria-current="true"' in html
    headings = re.findall(r"<h3><a href=\"/topics/([^\"]+)\">", html)
    assert headings, "each topic is a heading linking to the topic page"
    assert "/sessions/unlocking-success-organisation-4-0-2021" in html  # linked to its session


def test_topic_page_lists_agencies_that_spoke_on_it(client, demo):
    html = client.get("/topics/mindset-change").get_data(as_text=True)
    text = text_of(client.get("/topics/mindset-change"))
    assert "หน่วยงานที่พูดถึงหัวข้อนี้" in text
    for slug in ("revenue-department", "department-of-mental-health"):
        assert f"/takeaways?topic=mindset-change&amp;agency={slug}" in html


def test_topic_page_lists_the_agencies_that_said_most_and_links_to_the_rest(app, client):
    """A busy topic has a thousand agencies: the aside names the first 20 (most takeaways
    first) and links to the takeaways list, which filters by agency."""
    add_panel(app, "wide", agencies=21, topics=1)
    html = client.get("/topics/wide-topic-0?lang=en").get_data(as_text=True)
    listed = re.findall(r'href="/takeaways\?topic=wide-topic-0&amp;agency=([^"]+)"', html)
    assert len(listed) == 20
    assert "All takeaways on this topic, by agency" in html
    assert 'href="/takeaways?topic=wide-topic-0"' in html
    add_panel(app, "narrow", agencies=3, topics=1)
    html = client.get("/topics/narrow-topic-0?lang=en").get_data(as_text=True)
    assert len(re.findall(r'href="/takeaways\?topic=narrow-topic-0&amp;agency=', html)) == 3
    assert "All takeaways on this topic, by agency" not in html


def test_topic_page_is_paginated(app, client):
    app.config["TAKEAWAYS_PER_PAGE"] = 3
    add_panel(app, "many", agencies=4, topics=1)
    first = client.get("/topics/many-topic-0")
    assert first.status_code == 200
    assert 'rel="next"' in first.get_data(as_text=True)
    assert client.get("/topics/many-topic-0?page=2").status_code == 200
    assert client.get("/topics/many-topic-0?page=99").status_code == 404


# --- comparison ---------------------------------------------------------------------------


def test_comparison_is_agencies_by_topics(app, client):
    add_panel(app, "cmp", agencies=3, topics=2)
    response = client.get("/sessions/cmp/compare")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    rows = re.findall(r'<th scope="row"[^>]*><a href="/agencies/([^"]+)"', html)
    assert rows == ["cmp-agency-0", "cmp-agency-1", "cmp-agency-2"]  # the order they appeared
    columns = re.findall(r'<th scope="col"><a href="/topics/([^"]+)"', html)
    assert columns == ["cmp-topic-0", "cmp-topic-1"]
    body = html.split("<tbody>")[1]
    cells = [re.sub(r"\s+", " ", c) for c in re.findall(r"<td>(.*?)</td>", body, flags=re.S)]
    assert len(cells) == 8  # 3 agencies and the shared row, 2 topics
    assert "บทเรียน หน่วยงาน cmp 1 หัวข้อ cmp 1" in cells[3]  # row 2, column 2
    assert "บทเรียน หน่วยงาน cmp 0" not in cells[3]
    assert [n for n, c in enumerate(cells) if "บทเรียน ร่วมกัน" in c] == [6]  # once, last row
    assert 'href="/agencies/cmp-agency-2"' in cells[6]  # who shared it


def test_comparison_link_and_empty_state(app, client, demo):
    assert "/compare" in client.get(WEBINAR).get_data(as_text=True)
    webinar = client.get(WEBINAR + "/compare")
    assert webinar.status_code == 200
    assert "Hackatax" in text_of(webinar)
    add_panel(app, "quiet", agencies=1, topics=1)
    with app.app_context():
        for takeaway in db.session.query(Takeaway).filter(
            Takeaway.learning_session.has(slug="quiet")
        ):
            takeaway.status = ContentStatus.DRAFT
        db.session.commit()
    quiet = client.get("/sessions/quiet/compare")
    assert quiet.status_code == 200
    assert "บทเรียน หน่วยงาน quiet" not in text_of(quiet)
    assert "กิจกรรมนี้ยังไม่ได้เผยแพร่ประเด็นที่ได้เรียนรู้" in text_of(quiet)


def test_comparison_of_a_draft_or_unknown_session_is_404(app, client):
    add_panel(app, "hidden", status=SessionStatus.DRAFT)
    assert client.get("/sessions/hidden/compare").status_code == 404
    assert client.get("/sessions/nothing/compare").status_code == 404


# --- the Atom feed ------------------------------------------------------------------------


def validate_atom(body: bytes) -> etree._Element:
    schema = etree.RelaxNG(etree.parse(str(ATOM_SCHEMA)))
    document = etree.fromstring(body)
    assert schema.validate(document), schema.error_log
    # RFC 4287 4.1.1: a feed without an author needs one in every entry
    if document.find(f"{ATOM}author") is None:
        assert all(e.find(f"{ATOM}author") is not None for e in document.iter(f"{ATOM}entry"))
    ids = [e.findtext(f"{ATOM}id") for e in document.iter(f"{ATOM}entry")]
    assert len(ids) == len(set(ids))
    return document


def test_feed_is_valid_atom_with_the_webinar_summary(client, demo):
    response = client.get("/feed.atom")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    document = validate_atom(response.data)
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    entry = parsed.entries[0]
    assert "ไขกุญแจความสำเร็จ" in entry.title
    assert entry.link.endswith(WEBINAR + "#summary")
    assert entry.link.startswith("http://localhost/")
    content = entry.content[0].value
    assert "Hackatax" in content or "กรมสรรพากร" in content
    assert 'href="http://localhost/agencies/' in content  # absolute links for feed readers
    assert entry.published_parsed[:3] >= (2021, 12, 13)
    assert document.get("{http://www.w3.org/XML/1998/namespace}lang") == "th"
    assert {t.term for t in entry.tags} >= {"mindset-change"}


def test_feed_in_english_uses_the_translation(client, demo):
    response = client.get("/feed.atom?lang=en")
    validate_atom(response.data)
    parsed = feedparser.parse(response.data)
    entry = parsed.entries[0]
    assert "?lang=en" in entry.link
    assert re.search(r"[A-Za-z]{4}", entry.title)
    assert parsed.feed.title == "Learning Exchange: new summaries"


def test_feed_ids_are_stable_and_drafts_stay_out(app, client, demo):
    first = feedparser.parse(client.get("/feed.atom").data)
    add_panel(app, "later", note=True, days=-2)
    add_panel(app, "draft", note=True, days=-1, status=SessionStatus.DRAFT)
    second = feedparser.parse(client.get("/feed.atom").data)
    assert second.entries[0].title == "สรุป later"  # newest summary first
    assert first.entries[0].id in [e.id for e in second.entries]
    assert "สรุป draft" not in [e.title for e in second.entries]


def test_feed_answers_conditional_requests(app, client, demo):
    response = client.get("/feed.atom")
    etag = response.headers["ETag"]
    again = client.get("/feed.atom", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    since = client.get(
        "/feed.atom", headers={"If-Modified-Since": response.headers["Last-Modified"]}
    )
    assert since.status_code == 304
    assert client.get("/feed.atom?lang=en", headers={"If-None-Match": etag}).status_code == 200
    add_panel(app, "news", note=True, days=-1)
    assert client.get("/feed.atom", headers={"If-None-Match": etag}).status_code == 200


def test_empty_feed_is_still_valid(client):
    response = client.get("/feed.atom")
    assert response.status_code == 200
    validate_atom(response.data)
    assert feedparser.parse(response.data).entries == []


def test_feed_does_not_grow_with_the_summaries(app, client, count_queries):
    add_panel(app, "one", note=True)
    few = count_queries(lambda: client.get("/feed.atom"))
    for n in range(8):
        add_panel(app, f"more{n}", note=True, agencies=3)
    assert count_queries(lambda: client.get("/feed.atom")) == few


def test_home_page_links_the_feed(client):
    html = client.get("/").get_data(as_text=True)
    assert 'type="application/atom+xml"' in html
    assert 'href="/feed.atom"' in html


# --- nothing rendered can run script --------------------------------------------------------


@pytest.mark.parametrize("payload", XSS)
def test_takeaway_text_is_inert_everywhere_it_is_shown(app, client, payload):
    add_panel(app, "xss", statement=payload, note=True)
    with app.app_context():
        learning_session = db.session.query(LearningSession).filter_by(slug="xss").one()
        note = learning_session.notes[0]
        note.conclusion = payload
        note.source_name = payload
        note.source_url = "javascript:alert(1)"
        note.sections[0].heading = payload
        learning_session.organiser.website = "javascript:alert(1)"
        learning_session.title_th = payload
        learning_session.description_th = payload
        learning_session.venue = payload
        learning_session.topics[0].name_th = payload
        learning_session.organiser.name_th = payload
        appearance = learning_session.appearances[0]
        appearance.person.name_th = payload
        appearance.person.prefix_th = payload
        appearance.position_title_th = payload
        db.session.commit()
    for url in (
        "/sessions/xss",
        "/sessions/xss/compare",
        "/takeaways",
        "/topics/xss-topic-0",
        "/agencies/xss-agency-0",
        "/agencies/xss-agency-0?group=topic",
        "/agencies",
        "/topics",
        "/people/xss-person-0",
        "/sessions?when=past",
        "/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_inert(response.get_data(as_text=True))
    feed = client.get("/feed.atom").data
    validate_atom(feed)
    content = feedparser.parse(feed).entries[0].content[0].value
    assert_inert(content)
