"""Property-based tests (hypothesis) of the search query parser and of /search.

The parser (``exchange.search.thai.query_phrases`` over ``units``) turns any text into at most
MAX_TERMS phrases of letters, digits and marks; the service quotes them for FTS5 or hands them
to ``phraseto_tsquery`` as bound parameters. Whatever a person (or a robot) types — Thai,
combining marks without a base, zero-width characters, NUL, FTS5 and tsquery syntax,
unbalanced quotes, a page of text — the parser never raises, its output never carries query
syntax, and /search answers with a page (or a 404 for an unknown filter), never a 500, on
SQLite and on PostgreSQL over the demo's real index.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import quote_from_bytes

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pythainlp.corpus import thai_words
from sqlalchemy import select

from exchange.db import db, engines, listening
from exchange.models import Agency, SearchKind, Topic
from exchange.pagination import MAX_PAGE
from exchange.search import thai
from exchange.search.highlight import highlight
from exchange.search.thai import (
    MAX_QUERY_CHARS,
    MAX_TERMS,
    MAX_UNITS_PER_TERM,
    normalise,
    query_phrases,
    search_tokens,
    unit_pattern,
    units,
)
from exchange.services.demo import load_demo
from exchange.services.search import search
from tests.conftest import DATABASES, built_app

PARSER = settings(max_examples=200, deadline=None, database=None)  # no .hypothesis/ in the tree
HTTP = settings(
    max_examples=80,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# --- what people and robots type ------------------------------------------------------------

THAI = st.characters(min_codepoint=0x0E00, max_codepoint=0x0E7F)
SYNTAX = [
    *'"(){}^*:&|!<->\\`\'+~.,;/[]%_@#=?', "OR", "AND", "NOT", "NEAR", "NEAR(", "<->", "<2>",
    ":*", "-x", "title:", "search_fts:", "search_title :", '"unbalanced', "' OR 1=1 --",
]  # fmt: skip
ODD = [
    "\x00", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e", "\u0301",
    "\u0e31", "\u0e48\u0e48", "\u0e4d\u0e32", "\u00a0", "\u3000", "\n", "\t", "\r\n", "ß", "İ",
    "ﬁ", "Ⅻ", "½", "⑴", "ͺ", "ﷺ", "\U0001f642", "\U0001f1f9\U0001f1ed", "\ufffd", "\U0010fffd",
]  # fmt: skip
WORDS = ["องค์การ", "ระบบราชการ", "สุขภาพจิต", "ความเป็นธรรม", "mindset", "PMQA", "4.0", "1323"]

fragment = st.one_of(
    st.text(max_size=12),
    st.text(alphabet=THAI, max_size=12),
    st.sampled_from(SYNTAX + ODD + WORDS),
    st.just(" "),
)
queries = st.one_of(
    st.lists(fragment, max_size=14).map("".join),
    st.text(),
    st.text(alphabet=THAI, min_size=MAX_QUERY_CHARS - 10, max_size=MAX_QUERY_CHARS + 60),
    st.text(min_size=MAX_QUERY_CHARS - 10, max_size=MAX_QUERY_CHARS * 3),
)
short_queries = st.lists(fragment, max_size=8).map("".join).filter(lambda q: len(q) <= 90)

# A unit that carried one of these would end a quoted FTS5 phrase, split a stored unit in two
# or be refused by PostgreSQL.
FORBIDDEN_IN_UNIT = re.compile(r'["\s\x00]')


def _assert_well_formed(phrases: list[tuple[str, ...]]) -> None:
    assert len(phrases) <= MAX_TERMS
    assert len(set(phrases)) == len(phrases)  # duplicates dropped
    for phrase in phrases:
        assert isinstance(phrase, tuple)
        assert 1 <= len(phrase) <= MAX_UNITS_PER_TERM
        for unit in phrase:
            assert isinstance(unit, str)
            assert unit
            assert not FORBIDDEN_IN_UNIT.search(unit), repr(unit)


# --- the parser ---------------------------------------------------------------------------


@PARSER
@given(queries)
@example("ͺ")  # folds (NFKD) to a lone space: was a blank unit, an empty FTS5 phrase
@example("ﷺ องค์การ")  # folds to four Arabic words with spaces: one unit must stay one token
@example('"' * 300)
@example("\x00" + "ก" * 250)
def test_parser_never_raises_and_emits_only_quoted_safe_units(query: str) -> None:
    _assert_well_formed(query_phrases(query))


@PARSER
@given(queries)
def test_tokeniser_units_are_slices_of_the_text_in_order(raw: str) -> None:
    text = normalise(raw)
    found = units(text)
    previous_end = 0
    for unit in found:
        assert previous_end <= unit.start < unit.end <= len(text)
        assert unit_pattern().fullmatch(text[unit.start : unit.end])
        assert unit.key
        assert not FORBIDDEN_IN_UNIT.search(unit.key)
        previous_end = unit.end
    assert search_tokens(raw).split() == [u.key for u in found]


@PARSER
@given(short_queries)
def test_a_text_is_found_by_itself_and_marked_where_found(text: str) -> None:
    """Index, query and highlighting agree: every phrase of a query is a run of the units
    stored for the same text, and highlighting that text marks something."""
    stored = f" {search_tokens(text)} "
    phrases = query_phrases(text)
    for phrase in phrases:
        assert f" {' '.join(phrase)} " in stored
    if phrases:
        assert "<mark>" in highlight(text, phrases)


@PARSER
@given(short_queries)
def test_normalisation_properties(query: str) -> None:
    phrases = query_phrases(query)
    once = normalise(query)  # (not idempotent: PyThaiNLP turns "0ๅๅ" into "0าๅ", then "0า")
    assert query_phrases(f"  {query}\t") == phrases  # surrounding blanks change nothing
    # nor runs of spaces (only spaces: PyThaiNLP drops a Thai mark dangling after a space, not
    # after a line break, so "0\r็" has a phrase "็" that "0 ็" has not)
    assert query_phrases(re.sub(" +", " ", query)) == phrases
    # A repeated query is the same phrases, unless PyThaiNLP joins the halves (it drops a
    # blank before a Thai mark: "ฺก ฺก" is one chunk "กฺก", as a typo would be)
    if normalise(f"{query} {query}").split() == once.split() * 2:
        assert query_phrases(f"{query} {query}") == phrases
    if query.isascii():
        assert query_phrases(query.upper()) == query_phrases(query.lower())


def test_caps_hold_for_long_queries() -> None:
    assert len(query_phrases(" ".join(f"w{n}" for n in range(100)))) == MAX_TERMS
    (phrase,) = query_phrases("ก" * 50 + "การพัฒนาองค์การ" * 20)
    assert len(phrase) <= MAX_UNITS_PER_TERM
    assert query_phrases("x" * MAX_QUERY_CHARS + " ytail") == [("x" * MAX_QUERY_CHARS,)]


# --- the database: what reaches SQL -------------------------------------------------------


@pytest.fixture(scope="module", params=list(DATABASES))
def demo_app(request: pytest.FixtureRequest) -> Iterator[Flask]:
    """One app per database with the demo indexed (read-only below, so shared by examples)."""
    with built_app(DATABASES[request.param]) as app:
        with app.app_context():
            load_demo(now=datetime.now(UTC))
            db.session.commit()
        yield app


@pytest.fixture(scope="module")
def demo_client(demo_app: Flask) -> FlaskClient:
    return demo_app.test_client()


@pytest.fixture(scope="module")
def demo_slugs(demo_app: Flask) -> dict[str, list[str]]:
    with demo_app.app_context():
        return {
            "agency": list(db.session.scalars(select(Agency.slug).order_by(Agency.id).limit(5))),
            "topic": list(db.session.scalars(select(Topic.slug).order_by(Topic.id).limit(5))),
        }


FTS5_MATCH = re.compile(r'"[^"]+"(?: "[^"]+")*')
FTS5_TITLE = re.compile(r'search_title : \("[^"]+"(?: AND "[^"]+")*\)')


@HTTP
@given(query=queries, kind=st.sampled_from([None, *SearchKind]))
@example(query="ͺ องค์การ", kind=None)
@example(query='สุขภาพจิต" OR "x', kind=SearchKind.TAKEAWAY)
def test_user_text_only_reaches_sql_as_bound_quoted_phrases(
    demo_app: Flask, query: str, kind: SearchKind | None
) -> None:
    sent: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        sent.append((statement, parameters))

    with demo_app.app_context():
        engine = db.engine
        try:
            with listening(engines(), "before_cursor_execute", record):  # search's own too
                results = search(query, kind=kind, page=3)
        finally:
            db.session.rollback()
    _assert_well_formed(results.phrases)
    for statement, parameters in sent:
        assert statement.isascii()  # no user text (Thai, marks …) spliced into the SQL
        values = parameters.values() if isinstance(parameters, dict) else parameters or ()
        for value in values:
            if engine.dialect.name == "sqlite" and isinstance(value, str) and '"' in value:
                assert FTS5_MATCH.fullmatch(value) or FTS5_TITLE.fullmatch(value), value


# --- /search over HTTP --------------------------------------------------------------------

pages = st.one_of(
    st.none(),
    st.integers(-3, 60).map(str),
    st.sampled_from(["", "0", "1e3", "٣", "2.0", "-1", "9" * 5000]),
)


@HTTP
@given(
    query=queries,
    kind=st.one_of(st.none(), st.sampled_from([k.value for k in SearchKind]), st.text(max_size=8)),
    agency=st.one_of(st.none(), st.sampled_from([0, 1, 2]), st.text(max_size=10)),
    topic=st.one_of(st.none(), st.sampled_from([0, 1]), st.text(max_size=10)),
    page=pages,
    lang=st.sampled_from([None, "th", "en", "xx", ""]),
)
@example(query="องค์การ", kind="takeaway", agency=None, topic=None, page="2", lang="en")
@example(query="x", kind=None, agency="\x00", topic=None, page=None, lang=None)  # PG 500
@example(query="x", kind="takeaway\x00", agency=0, topic=None, page="1\x00", lang=None)
@example(query="x", kind="\x00", agency=None, topic="a\x00", page="\x00", lang="\x00")
@example(query="x", kind=None, agency=None, topic=None, page="1" * 5000, lang=None)  # int() 500
def test_search_page_never_fails(
    demo_client: FlaskClient,
    demo_slugs: dict[str, list[str]],
    query: str,
    kind: str | None,
    agency: int | str | None,
    topic: int | str | None,
    page: str | None,
    lang: str | None,
) -> None:
    if isinstance(agency, int):
        agency = demo_slugs["agency"][agency]
    if isinstance(topic, int):
        topic = demo_slugs["topic"][topic]
    args = {"q": query, "type": kind, "agency": agency, "topic": topic, "page": page}
    args["lang"] = lang
    args = {name: value for name, value in args.items() if value is not None}
    response = demo_client.get("/search", query_string=args)
    assert response.status_code in (200, 404), response.status_code
    assert "<html" in response.get_data(as_text=True)
    # (a NUL carries no meaning: the app drops it, so "opdc\x00" is the agency opdc)
    kind, agency, topic, page = (
        None if value is None else value.replace("\x00", "")
        for value in (kind, agency, topic, page)
    )
    filters_known = (
        kind in (None, "", *(k.value for k in SearchKind))
        and agency in (None, "", *demo_slugs["agency"])
        and topic in (None, "", *demo_slugs["topic"])
    )
    page_ok = page is None or (
        page.isascii() and page.isdigit() and len(page) <= 7 and 1 <= int(page) <= MAX_PAGE
    )
    if filters_known and page_ok:
        assert response.status_code == 200
    else:
        assert response.status_code == 404


@HTTP
@given(raw=st.binary(max_size=120))
@example(raw=b"\xff\xfe%")
@example(raw=b"\xed\xa0\x80")  # a UTF-8-encoded surrogate
def test_search_survives_undecodable_query_strings(demo_client: FlaskClient, raw: bytes) -> None:
    response = demo_client.get("/search?q=" + quote_from_bytes(raw) + "&type=takeaway")
    assert response.status_code in (200, 400, 404)


# --- the word dictionary ----------------------------------------------------------------------

_thai_words = st.sampled_from(sorted(thai_words()))


@PARSER
@given(st.lists(st.one_of(_thai_words, fragment), max_size=12).map("".join), st.data())
def test_the_word_set_answers_as_pythainlps_trie(text: str, data: st.DataObject) -> None:
    """newmm asks its dictionary for the words at a position: WordSet (a set, ~1 MB) must
    answer exactly as PyThaiNLP's Trie (63 MB), at every position of any text."""
    from pythainlp.tokenize import word_dict_trie, word_tokenize

    trie, words = word_dict_trie(), thai._word_dictionary()
    for start in range(len(text) + 1):
        assert words.prefixes(text, start) == trie.prefixes(text, start), (text, start)
    assert word_tokenize(text, engine="newmm", custom_dict=words) == word_tokenize(
        text, engine="newmm"
    )
    word = data.draw(_thai_words)
    assert word in words
    assert len(words) == len(trie)


def test_the_demo_texts_tokenise_as_with_pythainlps_trie(demo_client: FlaskClient) -> None:
    from pythainlp.tokenize import word_tokenize

    from exchange.models import LearningSession, Takeaway

    app = demo_client.application
    with app.app_context():
        texts = [
            text
            for model, fields in (
                (LearningSession, ("title_th", "description_th")),
                (Takeaway, ("statement_th",)),
            )
            for row in db.session.scalars(select(model))
            for text in (getattr(row, name) for name in fields)
            if text
        ]
    assert sum(map(len, texts)) > 2000
    for text in texts:
        assert word_tokenize(text, engine="newmm", custom_dict=thai._word_dictionary()) == (
            word_tokenize(text, engine="newmm")
        )
