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
  The bands double (``BANDS``): after a rebuild the newest ids are one kind's (people, say)
  that may hold no match, and a band costs the GIN index about 0.2 ms per bucket named in it,
  so the body's bands go on to 32 buckets before "the rest", the title's (fewer matches) stop
  at 12.

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
# buckets of ID_BUCKET ids: the newest 2, the 4 before them, ... (see _newest)
BANDS = {"tsv": (2, 4, 8, 16, 32), "tsv_title": (2, 4, 12)}
_SIMPLE = sa.literal_column("'simple'::regconfig")


def matches(
    phrase_count: int,
    one_unit_each: bool,
    kind: bool,
    filters: list,
    limits: tuple[int, int],
) -> sa.Select:
    """id, kind and score of the documents matching all phrases, the kind and *filters*,
    among the newest ``limits[0]`` matches plus the newest ``limits[1]`` title matches.

    The statement is the same for every query of its shape (how many phrases, whether each
    is one unit, whether a kind is asked for): the text is in bound parameters, see
    `parameters`, so that it is built and compiled once."""
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
    if kind:
        found = found.op("&&")(sa.cast(sa.bindparam("kind_lexeme", type_=sa.Text), TSQUERY))
    top = _top()
    candidates = sa.union(
        *(
            _newest(column, found, filters, n, top)
            for column, n in zip(("tsv", "tsv_title"), limits, strict=True)
        )
    ).cte("candidates")
    conditions = [document.c.id.in_(select(candidates.c.id))]
    if not one_unit_each:  # the head first: OR stops there for most, without reading the tsv
        conditions.append(sa.or_(head.op("@@")(phrases_query), tsv.op("@@")(phrases_query)))
    score = func.ts_rank(head, phrases_query)
    return select(document.c.id, document.c.kind, score.label("score")).where(*conditions)


def parameters(phrases: list[Phrase], kind: SearchKind | None) -> dict[str, str]:
    """The values of `matches`' bound parameters for *phrases* and *kind*."""
    values = {f"phrase_{i}": " ".join(p) for i, p in enumerate(phrases)}
    if not all(len(p) == 1 for p in phrases):
        values["units"] = " ".join(u for p in phrases for u in p)
    if kind is not None:  # quoted, so that the tsquery parser keeps the "_" (never user text)
        values["kind_lexeme"] = f"'_k_{kind.value}'"
    return values


def _newest(name: str, query, filters: list, limit: int, top: sa.ColumnElement) -> sa.Select:
    """The newest *limit* ids whose column *name* matches *query* and *filters*, band by band."""
    column = sa.literal_column(f"search_document.{name}")
    parts = []
    skipped = 0
    for size in BANDS[name]:
        parts.append(column.op("@@")(query.op("&&")(_buckets(top, skipped, size))))
        skipped += size
    # the rest: an id filter on the rows the index found (no btree index wanted)
    rest = (top + 1 - skipped) * ID_BUCKET
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


def _buckets(top: sa.ColumnElement, skipped: int, count: int) -> sa.ColumnElement:
    """A tsquery matching the *count* buckets of ids before the newest *skipped* ones."""
    bucket = func.generate_series(top - (skipped + count - 1), top - skipped)
    bucket = bucket.column_valued("b")
    lexeme = sa.literal("'_b_") + sa.cast(bucket, sa.Text) + sa.literal("'")
    return sa.cast(select(func.string_agg(lexeme, sa.literal(" | "))).scalar_subquery(), TSQUERY)
