"""PostgreSQL matching: each kind's candidates from its own GIN indexes, newest first,
without reading every match.

A GIN index answers "which rows contain these units" in no particular order. Ranking a
common syllable among its newest matches used to mean reading each of its 40,000 rows (to
learn its id) before keeping 500: 60–140 ms. So:

- every kind has its own partial GIN indexes (``WHERE kind = 'takeaway'``, see
  ``exchange.models.search``): a kind's candidates are gathered from its own posting lists,
  so people (the newest ids after a reindex) never crowd sessions out of a search, and a
  type filter reads only that type's rows;
- each tsvector also holds a lexeme no search unit can spell (units never contain ``_``):
  ``_b_<id // ID_BUCKET>``, its bucket of ids. The newest matches are searched band by band
  from the kind's newest bucket: 1 bucket, the 2 before it, 4, ... (``BANDS``), then the
  rest, under one LIMIT, so that PostgreSQL stops as soon as a band completes it. A common
  word reads about the limit's number of rows; a rare one reads its few matches whichever
  band they are in. The bands double because each costs the index a look at every unit's
  posting list: a rare phrase of common syllables walks all of them.

The phrases are then checked on those candidates only, first against ``tsv_head`` (title,
the beginning of the text, tags: small, in the row) and only if not found there against the
whole ``tsv`` (out of line and compressed for a long note: reading it was most of the time
left); a query of one-unit phrases needs no check (the index's answer is exact).
``ts_rank`` is computed on ``tsv_head``: a long note ranks by its title and beginning, as a
reader skims it (a takeaway's whole statement fits in the head: its rank is unchanged).

The statement runs on search's own connection (`install`): in autocommit, so that no
ROLLBACK ends its transactions and psycopg keeps the statement prepared from one request to
the next, with a generic plan (planning it took 4-5 ms of a 10 ms overview).
"""

from __future__ import annotations

from functools import reduce

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import TSQUERY

from exchange.db import ENGINES
from exchange.models import SearchDocument, SearchKind
from exchange.models.search import ID_BUCKET

Phrase = tuple[str, ...]
_DOCUMENT = SearchDocument.__table__
# bands of ID_BUCKET ids, newest first: (the first's size, how many), each twice the one
# before: the newest 1, the 2 before it, 4, 8, 16, 32 buckets (63 in all), then the rest
BANDS = {"tsv": (1, 6), "tsv_title": (2, 3)}
_SIMPLE = sa.literal_column("'simple'::regconfig")
_ENGINE = "search"
# for the search statement only (its connection runs nothing else): a plan made once per
# connection, not per search; the GIN bitmap preferred to a scan that reads every tsvector;
# no parallel workers (starting them cost a filter's nested loop 10-30 ms, more than it took)
SETTINGS = {
    "plan_cache_mode": "force_generic_plan",
    "enable_seqscan": "off",
    "max_parallel_workers_per_gather": "0",
}


def install(app: Flask) -> None:
    """Give *app* search's own engine: the app's database and engine options, in
    autocommit, every statement prepared at its first run, with `SETTINGS`.

    psycopg forgets its prepared statements at every ROLLBACK, and every request's session
    ends with one: on the request's connection the statement was planned at every search. A
    connection that is never in a transaction keeps them. One connection per worker process
    is kept (more are opened only while several threads search at once)."""
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    connect_args = dict(options.get("connect_args", {}))
    settings = " ".join(f"-c {name}={value}" for name, value in SETTINGS.items())
    connect_args["options"] = f"{connect_args.get('options', '')} {settings}".strip()
    connect_args["prepare_threshold"] = 0
    engine = sa.create_engine(
        app.config["SQLALCHEMY_DATABASE_URI"],
        **{
            **options,
            "isolation_level": "AUTOCOMMIT",
            "pool_size": 1,
            "connect_args": connect_args,
        },
    )
    app.extensions.setdefault(ENGINES, {})[_ENGINE] = engine


def connect() -> sa.Connection:
    """A connection of search's own engine (see `install`)."""
    return current_app.extensions[ENGINES][_ENGINE].connect()


def matches(
    phrase_count: int,
    one_unit_each: bool,
    kinds: tuple[str, ...],
    filters: list,
    limits: tuple[int, int],
) -> tuple[sa.Select, sa.CTE]:
    """id, kind and score of the documents matching all phrases and *filters*, among the
    newest ``limits[0]`` matches plus the newest ``limits[1]`` title matches **of each of
    *kinds***; and the candidates (id, kind) they were checked among.

    Each kind's candidates come from that kind's own partial GIN indexes (``WHERE kind =
    '<kind>'``, see ``exchange.models.search``): their posting lists hold that kind's documents
    only, so a band of ids where the kind has no document costs nothing, and a kind whose
    documents are old (sessions, after a reindex) is not walked past every newer one.

    The statement is the same for every query of its shape (how many phrases, whether each
    is one unit, which kinds): the text is in bound parameters, see `parameters`, so that it
    is built and compiled once."""
    document = _DOCUMENT
    tsv = sa.literal_column("search_document.tsv")
    head = sa.literal_column("search_document.tsv_head")
    phrases_query = reduce(
        lambda a, b: a.op("&&")(b),
        [
            func.phraseto_tsquery(_SIMPLE, sa.bindparam(f"phrase_{i}", type_=sa.Text))
            for i in range(phrase_count)
        ],
    )
    # the GIN index answers a query of single lexemes exactly: with one-unit phrases that is
    # the query itself (nothing left to check), otherwise every unit in any order
    found = phrases_query
    if not one_unit_each:
        found = func.plainto_tsquery(_SIMPLE, sa.bindparam("units", type_=sa.Text))
    if filters:
        candidates = _newest_filtered(found, filters, kinds, limits).cte("candidates")
    else:
        candidates = sa.union(
            *(
                _newest(column, found, [_kind_is(_DOCUMENT, kind)], n, _top(kind))
                for kind in kinds
                for column, n in zip(("tsv", "tsv_title"), limits, strict=True)
            )
        ).cte("candidates")
    conditions = [document.c.id.in_(select(candidates.c.id))]
    if not one_unit_each:  # the head first: OR stops there for most, without reading the tsv
        conditions.append(sa.or_(head.op("@@")(phrases_query), tsv.op("@@")(phrases_query)))
    score = func.ts_rank(head, phrases_query)
    query = select(document.c.id, document.c.kind, score.label("score")).where(*conditions)
    return query, candidates


def parameters(phrases: list[Phrase]) -> dict[str, str]:
    """The values of `matches`' bound parameters for *phrases*."""
    values = {f"phrase_{i}": " ".join(p) for i, p in enumerate(phrases)}
    if not all(len(p) == 1 for p in phrases):
        values["units"] = " ".join(u for p in phrases for u in p)
    return values


def _kind_is(table: sa.TableClause, kind: str) -> sa.ColumnElement:
    """``kind = '<kind>'`` written out (one of SearchKind's values, never user text): the
    planner picks a partial index only for a predicate it can see in the SQL."""
    return table.c.kind == sa.literal_column(f"'{SearchKind(kind).value}'")


def _newest(name: str, query, filters: list, limit: int, top: sa.ColumnElement) -> sa.Select:
    """The newest *limit* documents (id, kind) whose column *name* matches *query* and
    *filters*, band by band.

    The bands are rows (their tsquery of buckets, newest first) joined to one LATERAL
    subquery, rather than one subquery each: the statement is planned for every search, and
    planning a subquery per band per kind took as long as running them."""
    column = sa.literal_column(f"search_document.{name}")
    first, count = BANDS[name]
    n = func.generate_series(_number(0), _number(count - 1)).column_valued("n")
    size = _number(first).op("<<", return_type=sa.Integer)(n)  # first * 2**n
    bands = select(n, _buckets(top, size - _number(first), size).label("q")).subquery("bands")
    skipped = first * (2**count - 1)
    newest = (_DOCUMENT.c.id + _number(0)).desc()  # "+ 0": from the GIN index, not the pkey
    in_band = (
        select(_DOCUMENT.c.id, _DOCUMENT.c.kind)
        .where(column.op("@@")(query.op("&&")(bands.c.q)), *filters)
        .order_by(newest)
        .limit(_number(limit))
        .lateral("in_band")
    )
    # the rest: an id filter on the rows the index found (no btree index wanted)
    below = (top + _number(1 - skipped)) * _number(ID_BUCKET)
    rest = (
        select(_DOCUMENT.c.id, _DOCUMENT.c.kind)
        .where(column.op("@@")(query), (_DOCUMENT.c.id + _number(0)) < below, *filters)
        .order_by(newest)
        .limit(_number(limit))
    )
    newest_first = sa.union_all(
        select(in_band.c.id, in_band.c.kind).select_from(bands.join(in_band, sa.true())),
        rest,
    ).subquery()
    return select(newest_first.c.id, newest_first.c.kind).limit(_number(limit))


def _newest_filtered(
    query, filters: list, kinds: tuple[str, ...], limits: tuple[int, int]
) -> sa.Select:
    """With an agency or a topic filter: the newest ``limits[0]`` of the filter's documents
    of each of *kinds* that match *query*, and the newest ``limits[1]`` whose title does, in
    one reading of the filter's documents (a title match is also a match of the whole).

    An agency's or a topic's documents are a few hundred or thousand: read from the filter's
    side, each checked. The bands searched the GIN index for the word band after band,
    finding matches mostly outside the filter (100-300 ms for a common word and one agency);
    and with a generic plan (see `install`), which cannot know how few documents the filter
    has, the planner let the index find a common word's thousands of matches first. So the
    check is ``ts_match_vq()``, the function behind ``@@``, which no index answers."""
    document = _DOCUMENT
    tsv = sa.literal_column("search_document.tsv")
    in_title = func.ts_match_vq(sa.literal_column("search_document.tsv_title"), query)
    newest = document.c.id.desc()
    conditions = [func.ts_match_vq(tsv, query), *filters]
    if len(kinds) == 1:
        conditions.append(_kind_is(document, kinds[0]))
    matched = (
        select(
            document.c.id,
            document.c.kind,
            in_title.label("in_title"),
            func.row_number().over(partition_by=document.c.kind, order_by=newest).label("n"),
            func.row_number()
            .over(partition_by=(document.c.kind, in_title), order_by=newest)
            .label("n_title"),
        )
        .where(*conditions)
        .subquery("matched")
    )
    return select(matched.c.id, matched.c.kind).where(
        sa.or_(
            matched.c.n <= _number(limits[0]),
            sa.and_(matched.c.in_title, matched.c.n_title <= _number(limits[1])),
        )
    )


def _number(value: int) -> sa.ColumnElement:
    """An integer written into the SQL rather than bound as a parameter (the statement's
    parameters are then only what the reader asked for)."""
    return sa.literal_column(str(int(value)), sa.Integer)


def _top(kind: str) -> sa.ColumnElement:
    """The bucket of *kind*'s newest id, found in the query (the last entry of the (kind, id)
    index) rather than by one more round trip: each kind's bands start at its own newest
    document."""
    newest = _DOCUMENT.alias("newest")
    bucket = func.max(newest.c.id) // _number(ID_BUCKET)
    return select(bucket).where(_kind_is(newest, kind)).scalar_subquery()


def _buckets(top: sa.ColumnElement, skipped, count) -> sa.ColumnElement:
    """A tsquery matching the *count* buckets of ids before the newest *skipped* ones."""
    bucket = func.generate_series(top - (skipped + count - _number(1)), top - skipped)
    bucket = bucket.column_valued("b")
    lexeme = _text("'_b_") + sa.cast(bucket, sa.Text) + _text("'")
    return sa.cast(select(func.string_agg(lexeme, _text(" | "))).scalar_subquery(), TSQUERY)


def _text(value: str) -> sa.ColumnElement:
    """A string constant written into the SQL rather than bound as a parameter."""
    return sa.literal_column("'" + value.replace("'", "''") + "'", sa.Text)
