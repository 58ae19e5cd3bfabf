"""Search: Thai words inside sentences, English case, mixed queries, ranking, grouping, filters,
highlighting, drafts, an index that follows every change, `flask exchange reindex`, bad
queries, and a query count that does not grow with the results."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from exchange.db import db
from exchange.models import (
    Agency,
    ContentStatus,
    LearningSession,
    Note,
    NoteSection,
    Person,
    SearchDocument,
    SearchKind,
    SessionStatus,
    Takeaway,
    TakeawayKind,
    Topic,
)
from exchange.search.thai import MAX_TERMS, query_phrases, search_tokens
from exchange.services.search import search


def _marks(html: str) -> list[str]:
    return re.findall(r"<mark>(.*?)</mark>", html)


@pytest.fixture
def add_takeaway(app, make_session):
    """Factory: a takeaway with this Thai (and English) statement in a new session; its id."""

    def _add(statement_th: str, statement_en: str = "", **fields) -> int:
        session_id = make_session()
        with app.app_context():
            agency = db.session.scalar(select(Agency).filter_by(slug=fields.pop("agency", "")))
            takeaway = Takeaway(
                session_id=session_id,
                kind=TakeawayKind.PRACTICE,
                statement_th=statement_th,
                statement_en=statement_en,
                agencies=[agency] if agency else [],
                **fields,
            )
            db.session.add(takeaway)
            db.session.commit()
            return takeaway.id

    return _add


def _found(app, query: str, **filters) -> set[tuple[str, int]]:
    with app.app_context():
        results = search(query, **filters)
        return {(hit.kind.value, hit.ref_id) for group in results.groups for hit in group.hits}


# --- Thai and English ------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["องค์การ", "ความเป็นธรรม", "สุขภาพจิต"])
def test_thai_words_inside_sentences_of_the_demo(client, demo, word):
    response = client.get("/search", query_string={"q": word})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert word in _marks(html)
    assert 'class="search-hit' in html
    assert f'id="search-q" name="q" value="{word}"' in html  # the box keeps the query


def test_thai_word_inside_own_takeaway_and_not_inside_another_word(app, add_takeaway):
    inside = add_takeaway("การพัฒนาองค์การสู่การเป็นระบบราชการดิจิทัลอย่างยั่งยืน")
    other = add_takeaway("จัดสัมมนาเชิงปฏิบัติการ")
    assert ("takeaway", inside) in _found(app, "ระบบราชการ")
    assert ("takeaway", inside) in _found(app, "องค์การ")
    assert ("takeaway", other) not in _found(app, "ระบบราชการ")


def test_english_ignores_case_and_marks_the_original(app, client, add_takeaway):
    found = add_takeaway("เปลี่ยน Mindset ก่อน", "Change the MindSet of staff first")
    assert ("takeaway", found) in _found(app, "mindset")
    assert ("takeaway", found) in _found(app, "MINDSET")
    html = client.get("/search?q=mindset&lang=en").get_data(as_text=True)
    assert "MindSet" in _marks(html)


def test_mixed_thai_and_english_query_needs_every_chunk(app, client, demo):
    found = _found(app, "สายด่วน 1323")
    assert any(kind == "takeaway" for kind, _ in found)
    assert _found(app, "สุขภาพจิต zzyzxqq") == set()
    html = client.get("/search", query_string={"q": "สุขภาพจิต 1323"}).get_data(as_text=True)
    assert {"1323", "สุขภาพจิต"} <= set(_marks(html))


# --- ranking, grouping, filters --------------------------------------------------------------


def test_a_title_match_ranks_above_a_body_only_match(app, make_session):
    body_only = make_session(
        title_th="การประชุมประจำปี", description_th="มีการพูดถึงธรรมาภิบาลข้อมูลในช่วงท้าย"
    )
    in_title = make_session(title_th="ธรรมาภิบาลข้อมูลภาครัฐ", description_th="รายละเอียด")
    with app.app_context():
        (group,) = search("ธรรมาภิบาลข้อมูล").groups
        assert [h.ref_id for h in group.hits] == [in_title, body_only]


@pytest.mark.parametrize("kind", [None, SearchKind.SESSION])
def test_a_common_word_is_ranked_among_capped_candidates(
    app, client, make_session, monkeypatch, kind
):
    """The newest matches plus the newest title matches are ranked: the overview (a few of
    each kind) among GROUP_CANDIDATES of each, one kind's page among MAX_CANDIDATES."""
    from exchange.services import search as search_service

    for name in ("MAX_CANDIDATES", "GROUP_CANDIDATES"):
        monkeypatch.setattr(search_service, name, 3)
    for name in ("TITLE_CANDIDATES", "GROUP_TITLE_CANDIDATES"):
        monkeypatch.setattr(search_service, name, 2)
    oldest_in_title = make_session(title_th="ธรรมาภิบาลข้อมูลภาครัฐ", description_th="ย่อ")
    for n in range(5):
        make_session(title_th=f"การประชุม {n}", description_th="เรื่องธรรมาภิบาลข้อมูล")
    with app.app_context():
        results = search("ธรรมาภิบาลข้อมูล", kind=kind)
    assert results.capped
    assert results.groups[0].capped
    assert results.groups[0].hits[0].ref_id == oldest_in_title
    args = {"q": "ธรรมาภิบาลข้อมูล", "type": kind.value if kind else ""}
    html = client.get("/search", query_string=args).get_data(as_text=True)
    assert 'class="search-group__count">4+<' in html


def test_every_kind_is_found_however_many_newer_matches_another_has(
    app, client, make_session, add_takeaway, monkeypatch
):
    """Candidates are gathered kind by kind: a word in many newer documents of one kind (people,
    the newest after a reindex) does not push an older session or takeaway out of the
    overview, and only the kind that had more matches than were ranked says "at least"."""
    from exchange.services import search as search_service

    monkeypatch.setattr(search_service, "GROUP_CANDIDATES", 3)
    monkeypatch.setattr(search_service, "GROUP_TITLE_CANDIDATES", 1)
    session_id = make_session(title_th="วิธีของศรีสุข", title_en="The Srisuk method")
    takeaway_id = add_takeaway("ทำตามวิธีศรีสุข", "Follow the Srisuk method")
    with app.app_context():
        people = [
            Person(slug=f"srisuk-{n}", name_th=f"คนที่{n} ศรีสุข", name_en=f"Person{n} Srisuk")
            for n in range(6)
        ]
        db.session.add_all(people)
        db.session.commit()
        results = search("srisuk")
    groups = {g.kind: g for g in results.groups}
    assert [h.ref_id for h in groups[SearchKind.SESSION].hits] == [session_id]
    assert [h.ref_id for h in groups[SearchKind.TAKEAWAY].hits] == [takeaway_id]
    assert len(groups[SearchKind.PERSON].hits) == 3
    assert [k for k, g in groups.items() if g.capped] == [SearchKind.PERSON]
    html = client.get("/search?q=srisuk").get_data(as_text=True)
    assert 'id="search-group-takeaway"' in html
    assert 'class="search-group__count">3+<' in html
    assert 'class="search-group__count">1<' in html
    body = client.get("/api/v1/search?q=srisuk").get_json()
    assert {g["kind"]: g["capped"] for g in body["groups"]} == {
        "session": False,
        "takeaway": False,
        "person": True,
    }


def test_results_are_grouped_by_kind_in_a_fixed_order(app, client, demo):
    with app.app_context():
        results = search("สุขภาพจิต")
    kinds = [g.kind for g in results.groups]
    assert kinds == sorted(kinds, key=list(SearchKind).index)
    assert {SearchKind.SESSION, SearchKind.NOTE, SearchKind.TAKEAWAY} <= set(kinds)
    html = client.get("/search", query_string={"q": "สุขภาพจิต"}).get_data(as_text=True)
    assert html.index('id="search-group-session"') < html.index('id="search-group-takeaway"')


def test_filters_by_type_agency_and_topic(app, client, demo):
    with app.app_context():
        agency = db.session.scalars(
            select(Agency).where(Agency.name_th.contains("สุขภาพจิต"))
        ).first()
        topic = db.session.scalars(select(Topic)).first()
        agency_slug, topic_slug, topic_id = agency.slug, topic.slug, topic.id
        results = search("สุขภาพจิต", kind=SearchKind.TAKEAWAY, agency_id=agency.id)
        assert [g.kind for g in results.groups] == [SearchKind.TAKEAWAY]
        for hit in results.groups[0].hits:
            assert agency in hit.item.agencies
        for group in search("องค์การ", topic_id=topic_id).groups:
            assert group.kind in (SearchKind.SESSION, SearchKind.NOTE, SearchKind.TAKEAWAY)
    response = client.get(
        "/search",
        query_string={"q": "สุขภาพจิต", "type": "takeaway", "agency": agency_slug},
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="search-group-takeaway"' in html
    assert 'id="search-group-session"' not in html
    assert client.get(f"/search?q=องค์การ&topic={topic_slug}").status_code == 200


@pytest.mark.parametrize("args", ["type=nothing", "agency=no-such-agency", "topic=no-such-topic"])
def test_unknown_filter_values_say_so(client, demo, args):
    response = client.get(f"/search?q=องค์การ&{args}")
    assert response.status_code == 404
    assert "search-hit" not in response.get_data(as_text=True)
    assert "/search?q=" in response.get_data(as_text=True)  # the way back, without filters


def test_one_kind_is_paginated(app, client, add_takeaway):
    for n in range(23):
        add_takeaway(f"แนวปฏิบัติที่ดีด้านนวัตกรรม ข้อ {n}")
    page1 = client.get("/search?q=นวัตกรรม&type=takeaway").get_data(as_text=True)
    page2 = client.get("/search?q=นวัตกรรม&type=takeaway&page=2").get_data(as_text=True)
    assert page1.count('class="search-hit ') == 20
    assert page2.count('class="search-hit ') == 3
    overview = client.get("/search?q=นวัตกรรม").get_data(as_text=True)
    assert overview.count('class="search-hit ') == 5
    assert "type=takeaway" in overview  # "show all 23"


# --- highlighting ----------------------------------------------------------------------------


def test_highlighting_escapes_the_original_text(client, add_takeaway):
    add_takeaway('<script>alert("x")</script> <b onmouseover=alert(1)>นวัตกรรม</b> & เด่น')
    html = client.get("/search?q=นวัตกรรม").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "<b onmouseover" not in html
    assert "&lt;script&gt;" in html
    assert "<mark>นวัตกรรม</mark>" in html
    query = client.get("/search", query_string={"q": "<img src=x onerror=alert(1)>"})
    assert "<img src=x" not in query.get_data(as_text=True)


def test_snippet_comes_from_the_original_not_the_tokens(app, client, demo):
    html = client.get("/search?q=ความเป็นธรรม&type=note").get_data(as_text=True)
    assert "ยึด<mark>ความเป็นธรรม</mark>เป็นปัจจัย" in html
    assert "ความ เป็น ธรรม" not in html


# --- only public content ---------------------------------------------------------------------


def test_drafts_are_never_found(app, make_session):
    draft_session = make_session(status=SessionStatus.DRAFT, title_th="ร่างกิจกรรมลับเฉพาะ")
    public = make_session(title_th="กิจกรรมเปิดเผย")
    with app.app_context():
        db.session.add(
            Takeaway(
                session_id=public,
                kind=TakeawayKind.PRACTICE,
                statement_th="ข้อสรุปลับเฉพาะ",
                status=ContentStatus.DRAFT,
            )
        )
        db.session.add(Note(session_id=public, title="บันทึกลับเฉพาะ", body="ลับเฉพาะ"))
        db.session.commit()
    assert _found(app, "ลับเฉพาะ") == set()
    assert ("session", draft_session) not in _found(app, "ร่างกิจกรรม")


# --- the index follows every change ----------------------------------------------------------


def test_index_follows_edit_delete_and_status(app, make_session, add_takeaway):
    takeaway_id = add_takeaway("แนวทางเดิมเรื่องงบประมาณ")
    with app.app_context():
        takeaway = db.session.get(Takeaway, takeaway_id)
        takeaway.statement_th = "แนวทางใหม่เรื่องบุคลากร"
        session_id = takeaway.session_id
        db.session.commit()
    assert _found(app, "งบประมาณ") == set()
    assert ("takeaway", takeaway_id) in _found(app, "บุคลากร")

    with app.app_context():
        db.session.get(LearningSession, session_id).status = SessionStatus.DRAFT
        db.session.commit()
    assert _found(app, "บุคลากร") == set()
    with app.app_context():
        db.session.get(LearningSession, session_id).status = SessionStatus.CANCELLED
        db.session.commit()
    assert ("takeaway", takeaway_id) in _found(app, "บุคลากร")

    with app.app_context():
        db.session.delete(db.session.get(Takeaway, takeaway_id))
        db.session.commit()
    assert _found(app, "บุคลากร") == set()


def test_index_follows_notes_and_their_sections(app, make_session):
    session_id = make_session()
    with app.app_context():
        note = Note(session_id=session_id, title="สรุป", status=ContentStatus.PUBLISHED)
        note.sections = [NoteSection(heading="ส่วนแรก", body="ระบบแจ้งเตือนอัจฉริยะ")]
        db.session.add(note)
        db.session.commit()
        note_id = note.id
    assert ("note", note_id) in _found(app, "อัจฉริยะ")
    with app.app_context():
        note = db.session.get(Note, note_id)
        note.sections[0].body = "ระบบจองคิวออนไลน์"
        db.session.commit()
    assert _found(app, "อัจฉริยะ") == set()
    assert ("note", note_id) in _found(app, "จองคิว")
    with app.app_context():
        db.session.delete(db.session.get(LearningSession, session_id))
        db.session.commit()
        assert (
            db.session.scalar(
                select(sa.func.count()).where(SearchDocument.session_id == session_id)
            )
            == 0
        )
    assert _found(app, "จองคิว") == set()


def test_agency_rename_updates_the_documents_that_show_it(app, make_session, add_takeaway):
    make_session()  # makes agency-1
    takeaway_id = add_takeaway("ทำงานเชิงรุกกับชุมชน", agency="agency-1")
    with app.app_context():
        agency = db.session.scalar(select(Agency).filter_by(slug="agency-1"))
        agency.name_th = "กรมส่งเสริมความสุขมวลรวม"
        agency_id = agency.id
        db.session.commit()
    found = _found(app, "ความสุขมวลรวม")
    assert ("agency", agency_id) in found
    assert ("takeaway", takeaway_id) in found  # attributed to it: its name is part of the match
    old = _found(app, "หน่วยงาน 1")  # the old name
    assert ("agency", agency_id) not in old
    assert ("takeaway", takeaway_id) not in old


# --- the command, bad queries, query counts --------------------------------------------------


def test_reindex_rebuilds_the_whole_index(app, runner, demo):
    with app.app_context():
        db.session.execute(sa.delete(SearchDocument))
        db.session.commit()
    assert _found(app, "องค์การ") == set()
    result = runner.invoke(args=["exchange", "reindex"])
    assert result.exit_code == 0, result.output
    assert re.search(r"Search index rebuilt: \d+ documents \(session 2, note 2,", result.output)
    assert _found(app, "องค์การ")


BAD_QUERIES = [
    "",
    "   ",
    "!!!",
    "?.,;",
    "ก" * 2000,
    "word " * 400,
    '"',
    '"องค์การ',
    "*",
    "องค์การ*",
    "NEAR",
    "NEAR(a b)",
    "AND",
    "OR",
    "a OR b",
    "(",
    ")",
    "-",
    "-องค์การ",
    "^",
    ":",
    "title:องค์การ",
    "search_fts:x",
    "'; DROP TABLE search_document; --",
    "a & b | !c <-> d",
    "\x00nul",
    "🙂",
    "\u0e31\u0e48",  # marks without a consonant
]


@pytest.mark.parametrize("query", BAD_QUERIES)
def test_bad_queries_answer_sensibly(client, demo, query):
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200
    assert "<html" in response.get_data(as_text=True)


def test_query_length_and_terms_are_capped():
    assert len(query_phrases(" ".join(f"w{n}" for n in range(50)))) == MAX_TERMS
    assert query_phrases("!!! ... ()") == []
    assert search_tokens("Café ก.พ.ร. 4.0") == "cafe ก พ ร 4 0"


def test_search_page_query_count_does_not_grow(client, make_session, add_takeaway, count_queries):
    add_takeaway("นโยบายนวัตกรรมภาครัฐ")
    make_session(title_th="นวัตกรรมภาครัฐ 1", description_th="นวัตกรรม")
    client.get("/search?q=นวัตกรรม&warm=up")  # warm up (another address: not a kept page)
    add_takeaway("นวัตกรรม ข้อแรก")  # both counts are of the first page after a change
    few = count_queries(lambda: client.get("/search?q=นวัตกรรม"))
    for n in range(8):
        add_takeaway(f"นวัตกรรม ข้อ {n}")
        make_session(title_th=f"นวัตกรรม {n}", description_th="นวัตกรรม", people=3)
    assert count_queries(lambda: client.get("/search?q=นวัตกรรม")) == few
    assert count_queries(lambda: client.get("/search?q=นวัตกรรม&type=takeaway")) <= few


def test_header_has_a_labelled_search_box(client):
    html = client.get("/").get_data(as_text=True)
    assert re.search(r'<form class="site-search" role="search" method="get" action="/search"', html)
    assert '<label for="site-search-q"' in html


def test_english_page_shows_english_titles(client, demo):
    html = client.get("/search?q=PMQA&lang=en").get_data(as_text=True)
    assert "search-hit" in html
    assert "Search" in html


def test_past_and_cancelled_sessions_are_public(app, make_session):
    start = datetime.now(UTC) - timedelta(days=30)
    past = make_session(title_th="บทเรียนย้อนหลัง", starts_at=start, ends_at=start + timedelta(1))
    cancelled = make_session(title_th="บทเรียนที่ยกเลิก", status=SessionStatus.CANCELLED)
    assert ("session", past) in _found(app, "ย้อนหลัง")
    assert ("session", cancelled) in _found(app, "ยกเลิก")


# --- large indexes: the newest matches, long notes -------------------------------------------


def _spread_ids(app, moves: dict[int, int]) -> None:
    """Give takeaways' documents these ids (old takeaway id → new document id): documents far
    apart in age without writing thousands of rows."""
    with app.app_context():
        for takeaway_id, new_id in moves.items():
            db.session.execute(
                sa.update(SearchDocument)
                .where(
                    SearchDocument.kind == SearchKind.TAKEAWAY, SearchDocument.ref_id == takeaway_id
                )
                .values(id=new_id)
            )
        db.session.commit()


@pytest.mark.parametrize("kind", [None, SearchKind.TAKEAWAY])
def test_capped_candidates_are_the_newest_matches_across_id_bands(
    app, add_takeaway, monkeypatch, kind
):
    """PostgreSQL looks for a kind's newest matches band by band of ids from its newest (1,000
    ids, the 2,000 before, 4,000, 8,000, 16,000, 32,000, the rest): the newest win whichever
    band they are in."""
    from exchange.services import search as search_service

    limit = "MAX_CANDIDATES" if kind else "GROUP_CANDIDATES"
    monkeypatch.setattr(search_service, limit, 3)
    ids = [add_takeaway(f"ธรรมาภิบาลข้อมูลเรื่องที่ {n}") for n in range(5)]
    add_takeaway("เรื่องอื่นทั้งหมด")
    # bands from bucket 70: 70,500 the first; none the next three; 60,000 the fourth (56-63);
    # 45,500 the fifth (40-55); none the sixth (8-39); 3,000 and 700 the rest (below 8,000)
    _spread_ids(app, dict(zip(ids, [3_000, 70_500, 700, 60_000, 45_500], strict=True)))
    with app.app_context():
        results = search("ธรรมาภิบาลข้อมูล", kind=kind)
        found = {h.ref_id for g in results.groups for h in g.hits}
        assert results.capped
        assert found == {ids[1], ids[3], ids[4]}
        monkeypatch.setattr(search_service, limit, 4)
        found = {h.ref_id for g in search("ธรรมาภิบาลข้อมูล", kind=kind).groups for h in g.hits}
        assert found == {ids[0], ids[1], ids[3], ids[4]}
        monkeypatch.setattr(search_service, limit, 500)
        results = search("ธรรมาภิบาลข้อมูล", kind=kind)
        assert not results.capped
        assert results.total == 5


def test_a_phrase_late_in_a_long_note_is_found(app, make_session):
    """Ranking reads the beginning of a note; the phrase check falls back to the whole text."""
    session_id = make_session()
    filler = " ".join(f"ย่อหน้าที่{n} การประชุมประจำปีของหน่วยงาน" for n in range(80))
    with app.app_context():
        note = Note(
            session_id=session_id,
            title="บันทึกยาว",
            body=f"{filler}\n\nท้ายบันทึก ธรรมาภิบาลข้อมูลภาครัฐ",
            status=ContentStatus.PUBLISHED,
        )
        db.session.add(note)
        db.session.commit()
        note_id = note.id
        assert (
            len(
                db.session.scalar(
                    select(SearchDocument.body).filter_by(kind=SearchKind.NOTE, ref_id=note_id)
                )
            )
            > 2000
        )
    assert ("note", note_id) in _found(app, "ธรรมาภิบาลข้อมูล")
    assert ("note", note_id) in _found(app, "ธรรมาภิบาลข้อมูล", kind=SearchKind.NOTE)
    assert ("note", note_id) not in _found(app, "ข้อมูลธรรมาภิบาล")  # the units, not the phrase


def _common_word_takeaways(ids) -> list[dict]:
    """search_document rows of takeaways (no takeaway behind them) holding one common word."""
    return [
        {
            "id": n,
            "kind": SearchKind.TAKEAWAY,
            "ref_id": n,
            "title": "",
            "body": "คำทั่วไป",
            "search_title": "",
            "search_text": f"คำ ทั่ว ไป {n}",
            "search_tags": "",
        }
        for n in ids
    ]


def _plan_nodes(node: dict):
    """Every node of an EXPLAIN (FORMAT JSON) plan."""
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


def test_postgresql_reads_only_the_newest_band_for_a_common_word(app, database_url):
    """A word in 2,999 documents: the candidates query reads the newest bucket's rows (1,000),
    not 2,999 (the GIN index answers the id band), from the kind's own partial indexes."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's plan; SQLite's FTS5 walks its matches newest first")
    from exchange.search import postgresql

    rows = _common_word_takeaways(range(1, 3000))
    with app.app_context():
        db.session.execute(sa.insert(SearchDocument), rows)
        db.session.execute(sa.text("ANALYZE search_document"))
        for kinds in (tuple(k.value for k in SearchKind), ("takeaway",)):
            values = postgresql.parameters([("ทั่ว",)])
            query, _ = postgresql.matches(1, True, kinds, [], (50, 10))
            query = query.params(values)
            sql = query.compile(db.engine, compile_kwargs={"literal_binds": True})
            db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
            (plan,) = db.session.execute(sa.text(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")).scalar()

            nodes = list(_plan_nodes(plan["Plan"]))
            heap_rows = sum(
                n["Actual Rows"] * n["Actual Loops"]
                for n in nodes
                if n["Node Type"] == "Bitmap Heap Scan"
            )
            assert heap_rows <= 1_000  # the newest bucket (ids 2,000-2,999), not 2,999
            used = {n.get("Index Name") for n in nodes}
            # the takeaways' own partial indexes (the other kinds have no document here)
            assert "ix_search_document_tsv_takeaway" in used
            assert "ix_search_document_tsv_title_takeaway" in used
            assert len(db.session.execute(query).all()) == 50
        db.session.rollback()


def test_postgresql_reads_a_filtered_search_from_the_filter_side(app, database_url):
    """With an agency (or topic) filter the candidates are the filter's documents that match,
    newest first: no band and no GIN index is searched for a word found mostly elsewhere,
    even in the generic plan search keeps (which cannot know how few the filter's are)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's plan")
    from exchange.search import postgresql
    from exchange.services import search as search_service

    rows = _common_word_takeaways(range(1001, 3001))  # after the agency's own document
    with app.app_context():
        agency = Agency(slug="filtered", name_th="หน่วยงาน", name_en="Agency")
        # another agency shares every document: an agency has 1,000 on average, as far as a
        # generic plan knows (the word, 2,000, it guesses at a few)
        busy = Agency(slug="busy", name_th="หน่วยงานใหญ่", name_en="Busy agency")
        db.session.add_all([agency, busy])
        db.session.flush()
        db.session.execute(sa.insert(SearchDocument), rows)
        link = search_service.search_document_agency
        links = [{"document_id": n, "agency_id": agency.id} for n in (1005, 1050, 1500)]
        links += [{"document_id": row["id"], "agency_id": busy.id} for row in rows]
        db.session.execute(sa.insert(link), links)
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()  # search reads on its own connection
        values = {**postgresql.parameters([("ทั่ว",)]), "agency_id": agency.id}

        def generic_plan(query: sa.Select) -> list[dict]:
            """The nodes of *query*'s plan as search's connection runs it: prepared, generic."""
            compiled = query.compile(db.engine)
            names = list(compiled.params)
            sql = re.sub(r"%\((\w+)\)s", lambda m: f"${names.index(m[1]) + 1}", str(compiled))
            arguments = ", ".join(f"'{values[name]}'" for name in names)
            with postgresql.connect() as connection:
                connection.exec_driver_sql(f"PREPARE filtered AS {sql}")
                try:
                    explain = f"EXPLAIN (FORMAT JSON) EXECUTE filtered({arguments})"
                    (plan,) = connection.exec_driver_sql(explain).scalar()
                finally:
                    connection.exec_driver_sql("DEALLOCATE filtered")
            return list(_plan_nodes(plan["Plan"]))

        filters = search_service._filters(search_service._Shape(1, True, None, True, False))
        kinds = ("takeaway",)
        _, banded = postgresql.matches(1, True, kinds, [], (50, 10))
        _, filtered = postgresql.matches(1, True, kinds, filters, (50, 10))
        banded, filtered = (generic_plan(select(c)) for c in (banded, filtered))
        assert "generate_series" in {n.get("Function Name") for n in banded}
        assert "generate_series" not in {n.get("Function Name") for n in filtered}
        indexes = {n.get("Index Name") or "" for n in filtered}
        assert not [name for name in indexes if name.startswith("ix_search_document_tsv")]
        found = search("ทั่ว", agency_id=agency.id, kind=SearchKind.TAKEAWAY)
        assert [(g.kind, g.total) for g in found.groups] == [(SearchKind.TAKEAWAY, 3)]
        overview = search("ทั่ว", agency_id=agency.id)
        assert [(g.kind, g.total) for g in overview.groups] == [(SearchKind.TAKEAWAY, 3)]


def test_a_takeaway_of_two_agencies_is_one_hit_naming_both(
    app, client, make_session, count_queries
):
    """Hits are loaded in one query per kind, a takeaway with its agencies (joined: one row
    per agency, one hit)."""
    session_id = make_session()
    with app.app_context():
        agencies = [
            Agency(slug="first", name_th="กรมหนึ่ง", name_en="First Department"),
            Agency(slug="second", name_th="กรมสอง", name_en="Second Department"),
        ]
        statement = "แบ่งปันข้อมูลข้ามหน่วยงาน"
        db.session.add(
            Takeaway(
                session_id=session_id,
                kind=TakeawayKind.PRACTICE,
                statement_th=statement,
                statement_en="Share data across agencies",
                agencies=agencies,
            )
        )
        db.session.commit()
        found = search("แบ่งปันข้อมูล", kind=SearchKind.TAKEAWAY)
        assert [len(g.hits) for g in found.groups] == [1]
        assert {a.slug for a in found.groups[0].hits[0].item.agencies} == {"first", "second"}
        db.session.remove()
        found = count_queries(lambda: search("แบ่งปันข้อมูล", kind=SearchKind.TAKEAWAY))
        db.session.remove()
        none = count_queries(lambda: search("ควอนตัม", kind=SearchKind.TAKEAWAY))
        db.session.remove()
        assert found == none + 1  # the takeaways with their sessions and agencies
    html = client.get("/search", query_string={"q": "แบ่งปันข้อมูล"}).get_data(as_text=True)
    assert html.count("search-hit--takeaway") == 1
    assert 'href="/agencies/first"' in html
    assert 'href="/agencies/second"' in html


def test_a_takeaway_hit_lands_on_the_takeaway_in_its_session_page(app, client, add_takeaway):
    found = add_takeaway("ลดขั้นตอนด้วยระบบไร้กระดาษ", "Go paperless")
    with app.app_context():
        slug = db.session.get(Takeaway, found).learning_session.slug
    html = client.get("/search", query_string={"q": "ไร้กระดาษ"}).get_data(as_text=True)
    target = f"/sessions/{slug}#takeaway-{found}"
    assert f'href="{target}"' in html
    page = client.get(target.split("#")[0]).get_data(as_text=True)
    assert page.count(f'id="takeaway-{found}"') == 1


def test_one_statement_per_shape_of_query(app, add_takeaway):
    """A search's SQL is built and compiled once per shape (phrases, filters, kind): the words
    are bound parameters, and two words of one shape find their own documents."""
    from exchange.services import search as search_service

    first = add_takeaway("ลดขั้นตอนด้วยระบบไร้กระดาษ", "Go paperless")
    second = add_takeaway("เปิดข้อมูลภาครัฐ", "Open government data")
    search_service._statement.cache_clear()
    with app.app_context():
        found = [
            [h.ref_id for g in search(q).groups for h in g.hits] for q in ("paperless", "open")
        ]
        by_kind = search("government", kind=SearchKind.TAKEAWAY)
    assert found == [[first], [second]]
    assert [h.ref_id for h in by_kind.groups[0].hits] == [second]
    info = search_service._statement.cache_info()
    assert (info.misses, info.hits) == (2, 1)  # "paperless" and "open" share one statement


def test_postgresql_search_keeps_its_plan_on_its_own_connection(app, database_url, add_takeaway):
    """The search statement runs on search's own connection, in autocommit: prepared once
    and its generic plan used by every later search (psycopg forgets prepared statements at
    a ROLLBACK, which ends every request), without sequential scans or parallel workers;
    the request's own connection keeps the server's settings."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL settings")
    from exchange.search import postgresql

    found = add_takeaway("ธรรมาภิบาลข้อมูลภาครัฐ", "Data governance")
    names = ("enable_seqscan", "max_parallel_workers_per_gather", "plan_cache_mode")
    with app.app_context():
        before = [db.session.scalar(sa.text(f"SHOW {name}")) for name in names]
        for _ in range(3):  # three requests
            assert [h.ref_id for g in search("ธรรมาภิบาล").groups for h in g.hits] == [found]
            db.session.remove()
        after = [db.session.scalar(sa.text(f"SHOW {name}")) for name in names]
        db.session.remove()
        with postgresql.connect() as connection:
            own = [connection.execute(sa.text(f"SHOW {name}")).scalar() for name in names]
            plans = connection.execute(
                sa.text(
                    "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
                    " WHERE statement LIKE :candidates"
                ),
                {"candidates": "%WITH candidates AS%"},
            ).all()
    assert after == before
    assert own == ["off", "0", "force_generic_plan"]
    assert plans == [(3, 0)]
