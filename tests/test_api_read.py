"""The public reads of /api/v1: shapes (checked against the OpenAPI document's own schemas),
filters, pages, ETags, what is never shown (drafts, join links, registrants), bad input, and
query counts that do not grow with the data."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy import select

from exchange.api import openapi, read
from exchange.db import db
from exchange.models import (
    Agency,
    ContentStatus,
    LearningSession,
    Note,
    NoteSection,
    Person,
    Registration,
    RegistrationStatus,
    SessionStatus,
    Takeaway,
    TakeawayKind,
)

WEBINAR = "unlocking-success-organisation-4-0-2021"
UPCOMING = "mindset-for-organisation-4-0-follow-up"
JOIN_URL = "https://meet.example.org/learning-exchange/mindset-4-0-follow-up"
THAI = re.compile("[\u0e00-\u0e7f]")

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[!-~]*$")  # printable ASCII, no spaces


def _is_uri(value: object) -> bool:
    """RFC 3986 in outline: a scheme, then printable ASCII; http(s) with a host."""
    if not isinstance(value, str):
        return True  # formats constrain strings only (null is the type's business)
    if not _URI.match(value):
        return False
    parts = urlsplit(value)
    return parts.scheme not in ("http", "https") or bool(parts.netloc)


FORMATS = FormatChecker()
FORMATS.checks("uri")(_is_uri)
for name in ("date", "date-time"):
    FORMATS.checkers[name] = Draft202012Validator.FORMAT_CHECKER.checkers[name]


@pytest.fixture
def check(app: Flask, client: FlaskClient) -> Callable[..., Any]:
    """GET *url*, assert the status, validate the JSON against the named schema; return it."""
    with app.test_request_context("/", base_url="http://localhost"):
        document = openapi.document()
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    registry = Registry().with_resource("urn:lx-api", resource)

    def _check(url: str, schema: str, status: int = 200, **headers: str) -> Any:
        response = client.get(url, headers=headers)
        assert response.status_code == status, (url, response.get_data(as_text=True)[:500])
        assert response.mimetype == "application/json"
        body = response.get_json()
        validator = Draft202012Validator(
            {"$ref": f"urn:lx-api#/components/schemas/{schema}"},
            registry=registry,
            format_checker=FORMATS,
        )
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
        return body

    return _check


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# --- sessions --------------------------------------------------------------------------------


def test_session_list_is_upcoming_by_default_with_thai_and_english(demo, check) -> None:
    body = check("/api/v1/sessions", "SessionPage")
    assert [s["slug"] for s in body["data"]] == [UPCOMING]
    first = body["data"][0]
    assert THAI.search(first["title"]["th"])
    assert first["title"]["en"]
    assert first["starts_at"].endswith("+07:00")
    assert first["timezone"] == "Asia/Bangkok"
    assert first["organiser"]["slug"] == "opdc"
    assert first["url"] == f"http://localhost/sessions/{UPCOMING}"
    assert first["api_url"] == f"http://localhost/api/v1/sessions/{UPCOMING}"
    assert body["meta"] == {"page": 1, "per_page": 20, "total": 1, "pages": 1}

    past = check("/api/v1/sessions?when=past", "SessionPage")
    assert [s["slug"] for s in past["data"]] == [WEBINAR]
    every = check("/api/v1/sessions?when=all", "SessionPage")
    assert [s["slug"] for s in every["data"]] == [UPCOMING, WEBINAR]  # latest first


def test_session_detail_shows_what_the_page_shows(demo, check) -> None:
    body = check(f"/api/v1/sessions/{WEBINAR}", "Session")
    assert body["starts_at"] == "2021-12-13T09:00:00+07:00"
    assert THAI.search(body["description"]["th"])
    assert body["agenda"]
    assert body["agenda"][0]["title"]["en"]
    assert [a["position"] for a in body["agenda"]] == sorted(a["position"] for a in body["agenda"])
    person = body["people"][0]
    assert THAI.search(person["person"]["name"]["th"])
    assert person["role"]
    assert person["agenda_item_id"] in {item["id"] for item in body["agenda"]}
    assert {a["slug"] for a in body["agencies"]} >= {"department-of-mental-health"}
    assert [n["language"] for n in body["notes"]] == ["th", "en"]
    note = body["notes"][0]
    assert note["sections"]
    assert note["sections"][0]["body"]["html"].startswith("<")
    assert note["sections"][0]["agency"]["api_url"].startswith("http://localhost/api/v1/")
    assert body["takeaways"]
    assert all(t["statement"]["th"] for t in body["takeaways"])
    assert body["registration"]["open"] is False
    assert body["registration"]["closed_reason"] == "finished"
    assert body["ics_url"] == f"http://localhost/sessions/{WEBINAR}.ics"
    assert body["api_url"] == f"http://localhost/api/v1/sessions/{WEBINAR}"

    upcoming = check(f"/api/v1/sessions/{UPCOMING}", "Session")
    assert upcoming["registration"]["open"] is True
    assert upcoming["registration"]["closed_reason"] is None


def test_session_filters_by_agency_topic_and_days(make_session, check) -> None:
    # 17:30 UTC is 00:30 the next day in Bangkok: the day filters count in the site's zone
    start = datetime(2030, 1, 1, 17, 30, tzinfo=UTC)
    make_session(slug="late", starts_at=start, ends_at=start + timedelta(hours=1))
    make_session(
        slug="other", starts_at=start + timedelta(days=5), ends_at=start + timedelta(days=6)
    )

    def slugs(query: str) -> list[str]:
        return [
            s["slug"] for s in check(f"/api/v1/sessions?when=all&{query}", "SessionPage")["data"]
        ]

    assert slugs("agency=agency-1") == ["late"]
    assert slugs("topic=topic-2") == ["other"]
    assert slugs("from=2030-01-02&to=2030-01-02") == ["late"]
    assert slugs("to=2030-01-01") == []
    assert slugs("from=2030-01-03") == ["other"]
    assert slugs("from=0001-01-01&to=9999-12-31") == ["other", "late"]


def test_session_document_includes_drafts_only_when_asked(app, make_session) -> None:
    make_session(slug="draft-one", status=SessionStatus.DRAFT)
    with app.test_request_context("/", base_url="http://localhost"):
        assert read.session_document("draft-one") is None
        assert read.session_document("no-such") is None
        document = read.session_document("draft-one", include_drafts=True)
        assert document is not None
        assert document["status"] == "draft"


def test_cancelled_sessions_are_listed_like_the_web_list(make_session, check) -> None:
    make_session(slug="called-off", status=SessionStatus.CANCELLED)
    body = check("/api/v1/sessions", "SessionPage")
    assert [(s["slug"], s["status"]) for s in body["data"]] == [("called-off", "cancelled")]
    detail = check("/api/v1/sessions/called-off", "Session")
    assert detail["registration"]["closed_reason"] == "cancelled"


# --- notes and takeaways in a session --------------------------------------------------------


def test_only_published_notes_and_takeaways_safe_html_and_links(app, make_session, check) -> None:
    session_id = make_session(slug="noted", days=-2)
    with app.app_context():
        agency = db.session.scalar(select(Agency).filter_by(slug="agency-1"))
        db.session.add_all(
            [
                Note(
                    session_id=session_id,
                    language="th",
                    title="สรุป",
                    body="**ตัวหนา** <script>alert(1)</script>",
                    conclusion="[x](javascript:alert(1))",
                    source_name="ต้นทาง",
                    source_url="javascript:alert(1)",
                    status=ContentStatus.PUBLISHED,
                    published_at=datetime(2030, 1, 1, tzinfo=UTC),
                    sections=[NoteSection(heading="ส่วน", body="- หนึ่ง", agency=agency)],
                ),
                Note(
                    session_id=session_id,
                    language="en",
                    title="Unfinished draft summary",
                    status=ContentStatus.DRAFT,
                ),
                Takeaway(
                    session_id=session_id,
                    kind=TakeawayKind.PRACTICE,
                    statement_th="ร่างที่ยังไม่เผยแพร่",
                    status=ContentStatus.DRAFT,
                ),
            ]
        )
        db.session.commit()
    body = check("/api/v1/sessions/noted", "Session")
    [note] = body["notes"]
    assert note["introduction"]["markdown"].startswith("**ตัวหนา**")
    assert "<strong>ตัวหนา</strong>" in note["introduction"]["html"]
    assert "<script" not in note["introduction"]["html"]
    assert "href" not in note["conclusion"]["html"]  # the text stays, the link does not
    assert note["source"] == {"name": "ต้นทาง", "url": None}
    assert note["sections"][0]["body"]["html"] == "<ul>\n<li>หนึ่ง</li>\n</ul>\n"
    assert note["published_at"] == "2030-01-01T07:00:00+07:00"
    statements = [t["statement"]["th"] for t in body["takeaways"]]
    assert "ร่างที่ยังไม่เผยแพร่" not in statements
    assert len(statements) == len(TakeawayKind)
    takeaways = check("/api/v1/takeaways?per_page=100", "TakeawayPage")
    assert "ร่างที่ยังไม่เผยแพร่" not in str(takeaways)


# --- agencies, people, topics ----------------------------------------------------------------


def test_agency_tree_nests_children_with_counts(demo, check) -> None:
    body = check("/api/v1/agencies", "AgencyTree")
    roots = {node["slug"]: node for node in body["data"]}
    health = roots["ministry-of-public-health"]
    assert health["kind"] == "ministry"
    [child] = health["children"]
    assert child["slug"] == "department-of-mental-health"
    assert child["sessions_count"] >= 1
    assert child["takeaways_count"] >= 1
    assert THAI.search(child["name"]["th"])


def test_agency_detail_with_parent_sessions_and_takeaway_links(demo, check) -> None:
    body = check("/api/v1/agencies/department-of-mental-health", "Agency")
    assert body["parent"]["slug"] == "ministry-of-public-health"
    assert body["sessions"]["total"] >= 1
    assert WEBINAR in [s["slug"] for s in body["sessions"]["data"]]
    assert body["takeaways"]["total"] >= 1
    listed = check(body["takeaways"]["api_url"].removeprefix("http://localhost"), "TakeawayPage")
    assert listed["meta"]["total"] == body["takeaways"]["total"]
    more = check(body["sessions"]["api_url"].removeprefix("http://localhost"), "SessionPage")
    assert more["meta"]["total"] == body["sessions"]["total"]
    parent = check("/api/v1/agencies/ministry-of-public-health", "Agency")
    assert [c["slug"] for c in parent["children"]] == ["department-of-mental-health"]
    assert check("/api/v1/agencies/opdc", "Agency")["website"] == "https://www.opdc.go.th"


@pytest.mark.parametrize(
    ("website", "expected"),
    [
        ("https://www.example.go.th/หน้าแรก", "https://www.example.go.th/%E0%B8%AB%E0%B8%99"),
        ("javascript:alert(1)", None),
        ("www.example.go.th", None),
        ("", None),
    ],
)
def test_agency_website_is_a_safe_uri_or_null(app, make_session, check, website, expected) -> None:
    make_session()
    with app.app_context():
        db.session.scalar(select(Agency).filter_by(slug="agency-1")).website = website
        db.session.commit()
    found = check("/api/v1/agencies/agency-1", "Agency")["website"]
    if expected is None:
        assert found is None
    else:
        assert found.startswith(expected)


def test_people_are_paged_and_a_person_has_appearances(demo, check) -> None:
    body = check("/api/v1/people?per_page=3", "PersonPage")
    assert len(body["data"]) == 3
    assert body["meta"]["total"] > 3
    assert body["links"]["next"]
    assert body["links"]["prev"] is None
    slug = body["data"][0]["slug"]
    person = check(f"/api/v1/people/{slug}", "Person")
    assert THAI.search(person["name"]["th"])
    assert person["appearances"]
    assert person["appearances"][0]["session"]["slug"]


def test_topics_with_counts_and_one_topic(demo, check) -> None:
    body = check("/api/v1/topics", "TopicList")
    topic = next(t for t in body["data"] if t["slug"] == "mindset-change")
    assert topic["sessions_count"] == 2
    assert topic["takeaways_count"] >= 1
    detail = check("/api/v1/topics/mindset-change", "Topic")
    assert detail["sessions"]["total"] == 2
    assert [s["slug"] for s in detail["sessions"]["data"]] == [UPCOMING, WEBINAR]
    assert detail["takeaways"]["total"] == topic["takeaways_count"]
    assert detail["agencies"]
    assert detail["agencies"][0]["takeaways"] >= 1


# --- takeaways -------------------------------------------------------------------------------


def test_takeaways_filter_by_agency_topic_kind_and_year(demo, check) -> None:
    everything = check("/api/v1/takeaways?per_page=100", "TakeawayPage")
    total = everything["meta"]["total"]
    assert total == len(everything["data"]) > 5
    assert everything["data"][0]["session"]["slug"] in (UPCOMING, WEBINAR)
    kinds = check("/api/v1/takeaways?kind=initiative&per_page=100", "TakeawayPage")
    assert kinds["data"]
    assert {t["kind"] for t in kinds["data"]} == {"initiative"}
    agency = check("/api/v1/takeaways?agency=revenue-department", "TakeawayPage")
    assert all("revenue-department" in [a["slug"] for a in t["agencies"]] for t in agency["data"])
    assert 0 < agency["meta"]["total"] < total
    topic = check("/api/v1/takeaways?topic=innovation&per_page=100", "TakeawayPage")
    assert all("innovation" in [x["slug"] for x in t["topics"]] for t in topic["data"])
    year = check("/api/v1/takeaways?year=2021&per_page=100", "TakeawayPage")
    assert {t["session"]["slug"] for t in year["data"]} == {WEBINAR}
    assert check("/api/v1/takeaways?year=1999", "TakeawayPage")["data"] == []


# --- search ----------------------------------------------------------------------------------


def test_search_groups_by_kind_and_pages_one_kind(demo, check) -> None:
    body = check("/api/v1/search?q=สุขภาพจิต", "SearchResults")
    assert body["total"] > 0
    assert body["meta"] is None
    kinds = [g["kind"] for g in body["groups"]]
    assert "takeaway" in kinds
    group = body["groups"][kinds.index("takeaway")]
    hit = group["data"][0]
    assert "<mark>" in hit["title"]["html"] + hit["snippet"]["html"]
    assert "<mark>" not in hit["snippet"]["text"]
    assert hit["session"]["slug"] == WEBINAR
    assert hit["api_url"].endswith(WEBINAR)
    paged = check(
        group["more_api_url"].removeprefix("http://localhost") + "&per_page=1", "SearchResults"
    )
    assert [g["kind"] for g in paged["groups"]] == ["takeaway"]
    assert paged["meta"]["total"] == group["total"]
    assert len(paged["groups"][0]["data"]) == 1
    if group["total"] > 1:
        assert paged["links"]["next"]


def test_search_of_nothing_or_too_much_is_an_empty_or_cut_answer(demo, check) -> None:
    assert check("/api/v1/search", "SearchResults")["groups"] == []
    assert check("/api/v1/search?q=%20%20", "SearchResults")["total"] == 0
    long = check("/api/v1/search?q=" + "ก" * 5000, "SearchResults")
    assert len(long["query"]) == 200
    assert check("/api/v1/search?q=%00%01<script>", "SearchResults")["total"] == 0


def test_search_filters_by_agency_and_topic(demo, check) -> None:
    body = check("/api/v1/search?q=4.0&agency=revenue-department", "SearchResults")
    assert body["total"] > 0
    unfiltered = check("/api/v1/search?q=4.0", "SearchResults")
    assert body["total"] <= unfiltered["total"]
    assert check("/api/v1/search?q=4.0&topic=innovation", "SearchResults")["total"] > 0


# --- what is never shown ---------------------------------------------------------------------


def test_drafts_are_invisible_everywhere(app, make_session, check) -> None:
    make_session(slug="public-one", shared=True, days=-3, title_en="Visible quokka")
    make_session(
        slug="secret-draft",
        shared=True,
        people=3,
        days=-3,
        status=SessionStatus.DRAFT,
        title_th="ร่างลับเฉพาะ",
        title_en="Hidden quokka",
    )
    with app.app_context():  # someone who appears only in the draft
        draft_only = db.session.scalar(select(Person).filter_by(slug="person-2-2"))
        assert draft_only is not None

    def text(url: str, schema: str, status: int = 200) -> str:
        return str(check(url, schema, status))

    for when in ("upcoming", "past", "all"):
        assert "secret-draft" not in text(f"/api/v1/sessions?when={when}", "SessionPage")
    check("/api/v1/sessions/secret-draft", "Error", 404)
    assert "secret-draft" not in text("/api/v1/agencies/agency-shared", "Agency")
    assert "secret-draft" not in text("/api/v1/topics/topic-shared", "Topic")
    assert "secret-draft" not in text("/api/v1/people/person-shared-0", "Person")
    assert "person-2-2" not in text("/api/v1/people?per_page=100", "PersonPage")
    check("/api/v1/people/person-2-2", "Person")  # the page exists (as on the web) …
    assert "secret-draft" not in text("/api/v1/people/person-2-2", "Person")  # … empty
    assert "secret-draft" not in text("/api/v1/takeaways?per_page=100", "TakeawayPage")
    assert check("/api/v1/agencies/agency-shared", "Agency")["takeaways"]["total"] == len(
        TakeawayKind
    )
    [topic] = check("/api/v1/topics", "TopicList")["data"]
    assert (topic["sessions_count"], topic["takeaways_count"]) == (1, len(TakeawayKind))
    [node] = check("/api/v1/agencies", "AgencyTree")["data"]
    assert (node["sessions_count"], node["takeaways_count"]) == (1, len(TakeawayKind))
    found = text("/api/v1/search?q=quokka", "SearchResults")
    assert "public-one" in found
    assert "secret-draft" not in found
    assert check("/api/v1/search?q=ร่างลับเฉพาะ", "SearchResults")["total"] == 0


def test_join_link_and_registrants_never_appear(app, demo, make_user, client, check) -> None:
    user_id = make_user("somchai.private@agency.go.th", name="สมชาย ส่วนตัว")
    with app.app_context():
        learning_session = db.session.scalar(select(LearningSession).filter_by(slug=UPCOMING))
        assert learning_session.join_url == JOIN_URL
        db.session.add(
            Registration(
                session_id=learning_session.id,
                user_id=user_id,
                status=RegistrationStatus.CONFIRMED,
                join_token="tok-private-123",
            )
        )
        learning_session.capacity = 10
        db.session.commit()
    detail = check(f"/api/v1/sessions/{UPCOMING}", "Session")
    assert detail["registration"]["confirmed"] == 1
    assert detail["registration"]["seats_left"] == 9
    urls = [
        f"/api/v1/sessions/{UPCOMING}",
        "/api/v1/sessions?when=all",
        "/api/v1/agencies",
        "/api/v1/agencies/opdc",
        "/api/v1/people?per_page=100",
        "/api/v1/topics",
        "/api/v1/topics/mindset-change",
        "/api/v1/takeaways?per_page=100",
        "/api/v1/search?q=meet",
        "/api/v1/search?q=mindset",
        "/api/v1/openapi.json",
    ]
    people = client.get("/api/v1/people?per_page=100").get_json()["data"]
    urls += [f"/api/v1/people/{p['slug']}" for p in people]
    for url in urls:
        body = client.get(url).get_data(as_text=True)
        for secret in (JOIN_URL, "meet.example.org", "somchai", "สมชาย", "tok-private-123"):
            assert secret not in body, (url, secret)


# --- the protocol: pages, ETags, bad input ---------------------------------------------------


def test_pages_link_to_each_other_and_past_the_end_is_empty(make_session, check) -> None:
    for n in range(3):
        make_session(days=n + 1)
    first = check("/api/v1/sessions?per_page=2", "SessionPage")
    assert first["meta"] == {"page": 1, "per_page": 2, "total": 3, "pages": 2}
    assert first["links"]["prev"] is None
    second = check(first["links"]["next"].removeprefix("http://localhost"), "SessionPage")
    assert len(second["data"]) == 1
    assert second["links"]["next"] is None
    assert second["links"]["prev"] == first["links"]["self"]
    assert {s["slug"] for s in first["data"] + second["data"]} == {
        "session-1",
        "session-2",
        "session-3",
    }
    beyond = check("/api/v1/sessions?per_page=2&page=9", "SessionPage")
    assert beyond["data"] == []
    assert beyond["meta"]["total"] == 3
    # url_for's own keywords in the query string are not passed on (nor a 500)
    odd = check("/api/v1/sessions?_external=0&endpoint=x&_anchor=y", "SessionPage")
    assert "_external" not in odd["links"]["self"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/sessions?when=all",
        f"/api/v1/sessions/{WEBINAR}",
        "/api/v1/agencies",
        "/api/v1/agencies/opdc",
        "/api/v1/people",
        "/api/v1/people/areepan-charoensuk",
        "/api/v1/topics",
        "/api/v1/topics/innovation",
        "/api/v1/takeaways",
        "/api/v1/search?q=4.0",
    ],
)
def test_unchanged_answers_are_304_with_if_none_match(demo, client, url) -> None:
    first = client.get(url)
    assert first.status_code == 200
    assert first.headers["ETag"]
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


@pytest.mark.parametrize(
    ("url", "fields"),
    [
        ("/api/v1/sessions?agency=no-such&topic=nor-this", {"agency", "topic"}),
        ("/api/v1/sessions?when=soon", {"when"}),
        ("/api/v1/sessions?from=2026-13-01&to=yesterday", {"from", "to"}),
        ("/api/v1/sessions?from=2026-02-01&to=2026-01-31", {"to"}),
        ("/api/v1/sessions?page=0", {"page"}),
        ("/api/v1/sessions?per_page=101", {"page"}),
        ("/api/v1/sessions?page=" + "9" * 5000, {"page"}),
        ("/api/v1/sessions?page=%D9%A3", {"page"}),  # an Arabic-Indic three
        ("/api/v1/people?page=-1", {"page"}),
        ("/api/v1/takeaways?kind=wisdom&year=20x6", {"kind", "year"}),
        ("/api/v1/takeaways?year=99999", {"year"}),
        ("/api/v1/takeaways?agency=%00", {"agency"}),
        ("/api/v1/search?q=x&kind=everything&agency=nope&topic=nope", {"kind", "agency", "topic"}),
        ("/api/v1/search?q=x&page=51", {"page"}),
        ("/api/v1/sessions?when=&page=&agency=", {"when", "page"}),  # empty agency: no filter
        ("/api/v1/agencies?lang=fr", {"lang"}),
        ("/api/v1/sessions/no-such?lang=", {"lang"}),
    ],
)
def test_bad_arguments_are_400_naming_each_field(demo, check, url, fields) -> None:
    body = check(url, "Error", 400)
    assert body["error"]["code"] == "invalid_input"
    if "per_page=101" in url:
        fields = {"per_page"}
    assert set(body["error"]["fields"]) == fields


@pytest.mark.parametrize("kind", ["sessions", "agencies", "people", "topics"])
@pytest.mark.parametrize("slug", ["no-such-thing", "%00", "ก" * 300, "x%20y", "%E2%80%AE", "..%2F"])
def test_unknown_or_odd_slugs_are_404(demo, check, kind, slug) -> None:
    body = check(f"/api/v1/{kind}/{slug}", "Error", 404)
    assert body["error"]["code"] == "not_found"


# --- query counts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/sessions",
        "/api/v1/sessions?when=all&topic=topic-shared&agency=agency-shared",
        "/api/v1/agencies",
        "/api/v1/agencies/agency-shared",
        "/api/v1/people",
        "/api/v1/people/person-shared-0",
        "/api/v1/topics",
        "/api/v1/topics/topic-shared",
        "/api/v1/takeaways",
        "/api/v1/takeaways?agency=agency-shared&topic=topic-shared&kind=practice",
        "/api/v1/search?q=การประชุม",
        "/api/v1/search?q=การประชุม&kind=takeaway",
    ],
)
def test_reads_do_not_grow_with_the_data(client, make_session, count_queries, url) -> None:
    make_session(people=2, days=1, shared=True)
    make_session(people=2, days=-30)
    few = count_queries(lambda: client.get(url))
    assert client.get(url).status_code == 200
    for n in range(8):
        make_session(people=4, days=n - 4, shared=True)
        make_session(people=4, days=n - 4)
    assert count_queries(lambda: client.get(url)) == few


def test_session_detail_does_not_grow_with_people_or_takeaways(
    app, client, make_session, count_queries
) -> None:
    make_session(people=1, slug="small", days=-3)
    make_session(people=12, slug="large", days=-3)
    few = count_queries(lambda: client.get("/api/v1/sessions/small"))
    assert count_queries(lambda: client.get("/api/v1/sessions/large")) == few
    assert len(client.get("/api/v1/sessions/large").get_json()["people"]) == 12


def test_every_read_route_has_a_described_200_schema(app) -> None:
    with app.test_request_context("/", base_url="http://localhost"):
        document = openapi.document()
    for path in read.PATHS:
        operation = document["paths"][path]["get"]
        ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        assert ref.split("/")[-1] in document["components"]["schemas"]
        assert "304" in operation["responses"]
    for name, schema in read.SCHEMAS.items():
        assert schema.get("additionalProperties") is False, name
