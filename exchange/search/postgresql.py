"""PostgreSQL matching: candidates from the GIN indexes, newest first, without reading every
match.

A GIN index answers "which rows contain these units" in no particular order. Ranking a
common syllable among its newest matches used to mean reading each of its 40,000 rows (to
learn its id, and with a type filter to test its kind) before keeping 500: 60–140 ms. Each
tsvector therefore also holds two lexemes that no search unit can spell (units never contain
``_``; see ``exchange.models.search``): ``_k_<kind>`` and ``_b_<id // ID_BUCKET>``. The kind
and the age of a document are then parts of the GIN query itself, answered inside the index:

- the type filter is ``& '_k_takeaway'``, so only takeaways' rows are ever read;
- the newest matches are searched band by band: the newest ``BANDS[0]`` buckets of ids, then
  the ``BANDS[1]`` before them, and so on, then the rest, appended in that order under one
  LIMIT, so that PostgreSQL stops as soon as a band completes it. A common word reads about
  the limit's number of rows; a rare one reads its few matches whichever band they are in.

The phrases are then checked on those candidates only, first against ``tsv_head`` (title,
the beginning of the text, tags: small, in the row) and only if not found there against the
whole ``tsv`` (out of line and compressed for a long note: reading it was most of the time
left); a query of one-unit phrases needs no check (the index's answer is exact).
``ts_rank`` is computed on ``tsv_head``: a long note ranks by its title and beginning, as a
reader skims it (a takeaway's whole statement fits in the head: its rank is unchanged).
"""

from __future__ import annotations

from functools import reduce

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import TSQUERY

from exchange.models import SearchDocument, SearchKind
from exchange.models.search import ID_BUCKET

Phrase = tuple[str, ...]
_DOCUMENT = SearchDocument.__table__
BANDS = (2, 4, 12)  # buckets of ID_BUCKET ids: the newest 2, the 4 before them, the 12 before
_SIMPLE = sa.literal_column("'simple'::regconfig")


def matches(
    phrases: list[Phrase],
    kind: SearchKind | None,
    filters: list,
    limits: tuple[int, int],
) -> sa.Select:
    """id, kind and score of the documents matching all *phrases*, *kind* and *filters*,
    among the newest ``limits[0]`` matches plus the newest ``limits[1]`` title matches."""
    document = _DOCUMENT
    tsv = sa.literal_column("search_document.tsv")
    head = sa.literal_column("search_document.tsv_head")
    phrases_query = reduce(
        lambda a, b: a.op("&&")(b),
        [func.phraseto_tsquery(_SIMPLE, " ".join(p)) for p in phrases],
    )
    one_unit_each = all(len(p) == 1 for p in phrases)
    # the GIN index answers a query of single lexemes exactly: with one-unit phrases that is
    # the query itself (nothing left to check), otherwise every unit in any order
    found = phrases_query
    if not one_unit_each:
        found = func.plainto_tsquery(_SIMPLE, " ".join(u for p in phrases for u in p))
    if kind is not None:
        found = found.op("&&")(_any_of([f"_k_{kind.value}"]))
    candidates = sa.union(
        *(
            _newest(sa.literal_column(f"search_document.{column}"), found, filters, n)
            for column, n in zip(("tsv", "tsv_title"), limits, strict=True)
        )
    ).cte("candidates")
    conditions = [document.c.id.in_(select(candidates.c.id))]
    if not one_unit_each:  # the head first: OR stops there for most, without reading the tsv
        conditions.append(sa.or_(head.op("@@")(phrases_query), tsv.op("@@")(phrases_query)))
    score = func.ts_rank(head, phrases_query)
    return select(document.c.id, document.c.kind, score.label("score")).where(*conditions)


def _newest(column, query, filters: list, limit: int) -> sa.Select:
    """The newest *limit* ids whose *column* matches *query* and *filters*, band by band."""
    parts = []
    skipped = 0
    for size in BANDS:
        parts.append(column.op("@@")(query.op("&&")(_buckets(skipped, size))))
        skipped += size
    # the rest: an id filter on the rows the index found (no btree index wanted)
    rest = (_top() + 1 - skipped) * ID_BUCKET
    parts.append(sa.and_(column.op("@@")(query), (_DOCUMENT.c.id + 0) < rest))
    bands = sa.union_all(
        *(
            select(_DOCUMENT.c.id)
            .where(condition, *filters)
            .order_by((_DOCUMENT.c.id + 0).desc())  # "+ 0": from the GIN index, not the pkey
            .limit(limit)
            for condition in parts
        )
    ).subquery()
    return select(bands.c.id).limit(limit)


def _top() -> sa.ColumnElement:
    """The newest bucket of ids, found in the query (the pkey's last entry) rather than by one
    more round trip."""
    newest = _DOCUMENT.alias("newest")
    return select(func.max(newest.c.id) // ID_BUCKET).scalar_subquery()


def _buckets(skipped: int, count: int) -> sa.ColumnElement:
    """A tsquery matching the *count* buckets of ids before the newest *skipped* ones."""
    bucket = func.generate_series(_top() - (skipped + count - 1), _top() - skipped)
    bucket = bucket.column_valued("b")
    lexeme = sa.literal("'_b_") + sa.cast(bucket, sa.Text) + sa.literal("'")
    return sa.cast(select(func.string_agg(lexeme, sa.literal(" | "))).scalar_subquery(), TSQUERY)


def _any_of(lexemes: list[str]) -> sa.ColumnElement:
    """A tsquery matching any of these exact lexemes (made here from kinds and numbers, never
    from user text; quoted, so that the parser keeps the ``_``)."""
    return sa.cast(sa.literal(" | ".join(f"'{x}'" for x in lexemes), sa.Text), TSQUERY)
