"""Search over the index (``search_document``): ranked, grouped by kind, highlighted.

One query finds, ranks and counts the matches (FTS5 ``bm25`` on SQLite, ``ts_rank`` over the
``tsv`` column on PostgreSQL); one query per kind on the page loads what the results show. The
query is cut to ``thai.MAX_QUERY_CHARS`` and ``thai.MAX_TERMS`` chunks; each chunk is a phrase
of search units and every phrase must match. User text never reaches the database's query
syntax: FTS5 gets quoted phrases of letters and digits only, PostgreSQL bound parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from exchange.db import db
from exchange.models import (
    Agency,
    LearningSession,
    Note,
    Person,
    SearchDocument,
    SearchKind,
    Takeaway,
    search_document_agency,
    search_document_topic,
)
from exchange.search import postgresql
from exchange.search.highlight import Phrase, highlight, spans
from exchange.search.thai import MAX_QUERY_CHARS, normalise, query_phrases

_DOCUMENT = SearchDocument.__table__
MAX_PAGE = 50
# A word found in thousands of documents is ranked, kind by kind, among that kind's newest
# MAX_CANDIDATES matches plus its newest TITLE_CANDIDATES whose title matches: ranking every
# match (bm25, ts_rank) grows with the matches (hundreds of ms at 30,000); this keeps a search
# under 50 ms. The overview (a few hits of every kind) ranks each kind among fewer.
MAX_CANDIDATES = 500
TITLE_CANDIDATES = 100
GROUP_CANDIDATES = 100
GROUP_TITLE_CANDIDATES = 20
SNIPPET_CHARS = 240


@dataclass
class Hit:
    kind: SearchKind
    ref_id: int
    score: float
    title: Markup  # highlighted, in the reader's language where there is one
    snippet: Markup  # highlighted window of the original text
    item: object  # the LearningSession, Note, Takeaway, Agency or Person


@dataclass
class Group:
    kind: SearchKind
    total: int
    capped: bool = False  # more matches of this kind than were ranked: the total is "at least"
    hits: list[Hit] = field(default_factory=list)


@dataclass
class Results:
    query: str  # as searched (cut to the maximum length)
    phrases: list[Phrase]
    groups: list[Group]
    page: int = 1
    per_page: int = 0  # 0: the grouped overview, a few hits of each kind

    @property
    def total(self) -> int:
        return sum(g.total for g in self.groups)

    @property
    def capped(self) -> bool:
        """Some kind had more matches than were ranked: the total is "at least"."""
        return any(g.capped for g in self.groups)

    @property
    def pages(self) -> int:
        if not self.per_page or not self.groups:
            return 1
        return max(1, -(-self.groups[0].total // self.per_page))


def search(
    query: str | None,
    *,
    kind: SearchKind | None = None,
    agency_id: int | None = None,
    topic_id: int | None = None,
    page: int = 1,
    per_page: int = 20,
    per_group: int = 5,
    language: str = "th",
) -> Results:
    """Documents matching every chunk of *query*: grouped by kind (a few each), or with
    *kind* one page of that kind."""
    text = (query or "").strip()[:MAX_QUERY_CHARS]
    phrases = query_phrases(text)
    page = min(max(page, 1), MAX_PAGE)
    results = Results(text, phrases, [], page, per_page if kind else 0)
    if not phrases:
        return results
    shape = _Shape(
        len(phrases),
        all(len(p) == 1 for p in phrases),
        kind.value if kind else None,
        agency_id is not None,
        topic_id is not None,
    )
    values: dict[str, object] = {"agency_id": agency_id, "topic_id": topic_id}
    if kind is None:
        values["per_group"] = per_group
        limits = (GROUP_CANDIDATES, GROUP_TITLE_CANDIDATES)
    else:
        values.update(limit=per_page, offset=(page - 1) * per_page)
        limits = (MAX_CANDIDATES, TITLE_CANDIDATES)
    dialect = db.engine.dialect.name
    statement = _statement(dialect, shape, limits)
    if dialect == "postgresql":
        values.update(postgresql.parameters(phrases))
        with postgresql.connect() as connection:
            rows = connection.execute(statement, values).all()
    else:
        values.update(_fts_parameters(phrases))
        rows = db.session.execute(statement, values).all()
    groups: dict[SearchKind, Group] = {}
    for row in rows:
        capped = row.candidates >= limits[0]
        groups.setdefault(SearchKind(row.kind), Group(SearchKind(row.kind), row.total, capped))
    items = _load({k: [r.ref_id for r in rows if r.kind == k] for k in groups})
    for row in rows:
        item = items.get((row.kind, row.ref_id))
        if item is not None:  # (a row deleted meanwhile)
            title = _title(row.kind, item, phrases, language)
            snippet = highlight(row.body, phrases, SNIPPET_CHARS, row.search_text)
            hit = Hit(SearchKind(row.kind), row.ref_id, row.score, title, snippet, item)
            groups[SearchKind(row.kind)].hits.append(hit)
    results.groups = [groups[k] for k in SearchKind if k in groups]
    return results


@dataclass(frozen=True)
class _Shape:
    """What a search statement's SQL depends on; everything else is a bound parameter."""

    phrases: int
    one_unit_each: bool
    kind: str | None  # None: the overview, every kind
    agency: bool
    topic: bool


@lru_cache(maxsize=256)
def _statement(dialect: str, shape: _Shape, limits: tuple[int, int]) -> sa.Select:
    """The one query that finds, ranks and counts the matches of a search of this *shape*,
    built once, so that SQLAlchemy compiles it once: building and compiling it was a third of
    a search's time. (PostgreSQL keeps its plan: see `postgresql.install`.)"""
    matched, candidates = _matches(dialect, shape, limits)
    # how many candidates each kind had: as many as its limit means there were more matches
    counted = (
        select(candidates.c.kind, func.count().label("candidates"))
        .group_by(candidates.c.kind)
        .subquery("counted")
    )
    matched = matched.subquery("matched")
    matches = (
        select(matched.c.id, matched.c.kind, matched.c.score, counted.c.candidates)
        .join(counted, counted.c.kind == matched.c.kind)
        .subquery("matches")
    )
    order = (matches.c.score.desc(), matches.c.id)
    if not shape.kind:
        ranked = select(
            matches.c.id,
            matches.c.score,
            matches.c.candidates,
            func.row_number().over(partition_by=matches.c.kind, order_by=order).label("rn"),
            func.count().over(partition_by=matches.c.kind).label("total"),
        ).subquery()
        where = ranked.c.rn <= sa.bindparam("per_group", type_=sa.Integer)
    else:
        ranked = (
            select(
                matches.c.id,
                matches.c.score,
                matches.c.candidates,
                func.count().over().label("total"),
            )
            .order_by(*order)
            .limit(sa.bindparam("limit", type_=sa.Integer))
            .offset(sa.bindparam("offset", type_=sa.Integer))
            .subquery()
        )
        where = sa.true()
    return (
        select(
            _DOCUMENT.c.kind,
            _DOCUMENT.c.ref_id,
            _DOCUMENT.c.body,
            _DOCUMENT.c.search_text,
            ranked.c.score,
            ranked.c.total,
            ranked.c.candidates,
        )
        .join(ranked, ranked.c.id == _DOCUMENT.c.id)
        .where(where)
        .order_by(ranked.c.score.desc(), ranked.c.id)
    )


def _matches(dialect: str, shape: _Shape, limits: tuple[int, int]) -> tuple[sa.Select, sa.CTE]:
    """id, kind and score (higher is better) of the documents matching all phrases and the
    filters, among at most *limits* candidates (newest matches, newest title matches) of each
    kind asked for; and those candidates (id, kind)."""
    document = _DOCUMENT
    filters = _filters(shape)
    kinds = (shape.kind,) if shape.kind else tuple(k.value for k in SearchKind)
    if dialect == "postgresql":
        return postgresql.matches(shape.phrases, shape.one_unit_each, kinds, filters, limits)
    # SQLite: FTS5 walks its matches newest first (rowid DESC). One kind's page stops at the
    # limit (the "+" keeps the planner off search_document's kind index, which would test
    # MATCH row by row); the overview walks them once, numbering each kind's (a walk per kind
    # went through every match for a kind with few). bm25 weights: title, text, tags.
    fts = sa.table("search_fts", sa.column("rowid")).alias("f")
    match = sa.bindparam("fts_match", type_=sa.Text)
    texts = (match, sa.bindparam("fts_title", type_=sa.Text))
    kind_column = sa.literal_column("+search_document.kind")

    def newest(text, limit: int) -> sa.Select:
        found = (
            select(fts.c.rowid.label("id"), document.c.kind)
            .select_from(fts.join(document, document.c.id == fts.c.rowid))
            .where(sa.literal_column("f.search_fts").op("MATCH")(text), *filters)
        )
        if shape.kind:
            kind = sa.literal_column(f"'{SearchKind(shape.kind).value}'")
            found = found.where(kind_column == kind).order_by(fts.c.rowid.desc()).limit(limit)
            found = found.subquery()
            return select(found.c.id, found.c.kind)
        order = fts.c.rowid.desc()
        position = func.row_number().over(partition_by=document.c.kind, order_by=order)
        found = found.add_columns(position.label("position")).subquery()
        return select(found.c.id, found.c.kind).where(found.c.position <= limit)

    candidates = sa.union(
        *(newest(text, limit) for text, limit in zip(texts, limits, strict=True))
    ).cte("candidates")
    ranked = sa.table("search_fts", sa.column("rowid"))
    score = -func.bm25(sa.literal_column("search_fts"), 10.0, 1.0, 0.2)
    query = (
        select(document.c.id, document.c.kind, score.label("score"))
        .select_from(ranked.join(document, document.c.id == ranked.c.rowid))
        .where(
            sa.literal_column("search_fts").op("MATCH")(match),
            # "+": filter FTS5's matches; as a rowid constraint FTS5 would re-run MATCH per id
            sa.literal_column("+search_fts.rowid").in_(select(candidates.c.id)),
        )
    )
    return query, candidates


def _fts_parameters(phrases: list[Phrase]) -> dict[str, str]:
    """FTS5 queries of quoted phrases (units are letters and digits only): all of them
    anywhere, and all of them in the title."""
    quoted = ['"' + " ".join(p) + '"' for p in phrases]
    return {
        "fts_match": " ".join(quoted),
        "fts_title": "search_title : (" + " AND ".join(quoted) + ")",
    }


def _filters(shape: _Shape) -> list:
    columns = _DOCUMENT.c
    conditions = []
    if shape.agency:
        link = search_document_agency
        conditions.append(
            columns.id.in_(
                select(link.c.document_id).where(link.c.agency_id == sa.bindparam("agency_id"))
            )
        )
    if shape.topic:
        link = search_document_topic
        conditions.append(
            columns.id.in_(
                select(link.c.document_id).where(link.c.topic_id == sa.bindparam("topic_id"))
            )
        )
    return conditions


_LOADERS = {
    SearchKind.SESSION: (LearningSession, (joinedload(LearningSession.organiser),)),
    SearchKind.NOTE: (Note, (joinedload(Note.learning_session),)),
    SearchKind.TAKEAWAY: (
        Takeaway,
        (joinedload(Takeaway.learning_session), joinedload(Takeaway.agencies)),
    ),
    SearchKind.AGENCY: (Agency, ()),
    SearchKind.PERSON: (Person, ()),
}


def _load(ids: dict[SearchKind, list[int]]) -> dict[tuple[str, int], object]:
    """What the hits show, one query per kind."""
    loaded: dict[tuple[str, int], object] = {}
    for kind, kind_ids in ids.items():
        model, options = _LOADERS[kind]
        found = db.session.scalars(select(model).where(model.id.in_(kind_ids)).options(*options))
        for item in found.unique():  # (a takeaway is a row per agency)
            loaded[(kind.value, item.id)] = item
    return loaded


def _title(kind: str, item, phrases: list[Phrase], language: str) -> Markup:
    """The heading of a hit: the reader's language, or the other one if only that matched."""
    if kind == SearchKind.NOTE:
        return highlight(item.title or item.learning_session.loc("title", language), phrases)
    if kind == SearchKind.PERSON:
        mine = item.display_name(language)
        other = item.display_name("th" if language == "en" else "en")
    else:
        field_name = (
            "statement"
            if kind == SearchKind.TAKEAWAY
            else ("name" if kind == SearchKind.AGENCY else "title")
        )
        mine = item.loc(field_name, language)
        other = item.loc(field_name, "th" if language == "en" else "en")
    mine, other = (" ".join(normalise(x).split()) for x in (mine, other))
    if other != mine and not spans(mine, phrases) and spans(other, phrases):
        mine = other
    return highlight(mine, phrases)
