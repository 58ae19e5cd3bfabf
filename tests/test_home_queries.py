"""The home page's three lists stop after a few rows instead of reading whole tables: the
newest summaries by an anti-join walking note.published_at (no GROUP BY over every note), the
upcoming sessions through (status, ends_at)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from exchange.db import db
from exchange.models import ContentStatus, LearningSession, Note
from exchange.services import sessions


def _statements(app, action) -> list[tuple[str, object]]:
    seen: list[tuple[str, object]] = []

    def _record(conn, cursor, statement, parameters, *args) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", _record)
    try:
        action()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", _record)
    return seen


def _add_notes(app, make_session) -> dict[str, int]:
    """Three past sessions; "both" has a Thai and (newer) English summary."""
    ids = {slug: make_session(days=-10 - n, slug=slug) for n, slug in enumerate(["a", "both", "c"])}
    base = datetime.now(UTC) - timedelta(days=5)
    with app.app_context():
        for slug, language, hours in [("a", "th", 1), ("both", "th", 0), ("both", "en", 3)]:
            db.session.add(
                Note(
                    session_id=ids[slug],
                    language=language,
                    title=f"{slug} {language}",
                    status=ContentStatus.PUBLISHED,
                    published_at=base + timedelta(hours=hours),
                )
            )
        db.session.add(  # a draft newer than everything does not count
            Note(session_id=ids["c"], status=ContentStatus.DRAFT, published_at=datetime.now(UTC))
        )
        db.session.commit()
    return ids


def test_latest_summaries_newest_first_once_per_session(app, make_session):
    _add_notes(app, make_session)
    with app.app_context():
        found = [s.slug for s in sessions.latest_summaries(4)]
        assert found == ["both", "a"]
        assert [s.slug for s in sessions.latest_summaries(1)] == ["both"]


def test_latest_summaries_does_not_group_every_note(app, make_session):
    _add_notes(app, make_session)
    with app.app_context():
        seen = _statements(app, lambda: sessions.latest_summaries(4))
    assert "GROUP BY" not in seen[0][0].upper()
    assert "EXISTS" in seen[0][0].upper()


def test_upcoming_includes_sessions_under_way_and_not_ended_ones(app, make_session):
    make_session(days=-3, slug="ended")
    make_session(days=-0.02, slug="under-way")  # started half an hour ago, ends in 1.5 h
    make_session(days=2, slug="later")
    make_session(days=1, slug="sooner")
    with app.app_context():
        assert [s.slug for s in sessions.upcoming(datetime.now(UTC), 6)] == [
            "under-way",
            "sooner",
            "later",
        ]
        assert [s.slug for s in sessions.upcoming(datetime.now(UTC), 1)] == ["under-way"]
        first = sessions.upcoming(datetime.now(UTC), 1)[0]
        assert first.organiser.slug  # card relations loaded
        assert first.topics


def test_home_lists_use_indexes_on_postgresql(app, make_session):
    """The indexes exist; on PostgreSQL (seq scans priced out, as on a large table) upcoming
    sorts only the sessions not yet ended (on a 4-row table the planner's choice of index says
    nothing: EXPLAIN ANALYZE figures on the bench's data are in the commit)."""
    _add_notes(app, make_session)
    make_session(days=3)
    with app.app_context():
        names = {i["name"] for i in sa.inspect(db.engine).get_indexes("learning_session")}
        assert "ix_learning_session_status_ends_at" in names
        if db.engine.dialect.name != "postgresql":
            return
        now = datetime.now(UTC)
        plans = {}
        for name, action in [
            ("upcoming", lambda: sessions.upcoming(now, 6)),
        ]:
            statement, parameters = _statements(app, action)[0]
            with db.engine.connect() as conn:
                conn.exec_driver_sql("SET enable_seqscan = off")
                conn.exec_driver_sql("SET enable_bitmapscan = off")
                rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters).all()
            plans[name] = "\n".join(row[0] for row in rows)
        # the sessions not yet ended are gathered first (a range of an index on a large
        # table), then sorted; not a walk of every session in starts_at order
        assert "CTE not_ended" in plans["upcoming"], plans["upcoming"]
        assert db.session.scalar(sa.select(sa.func.count(LearningSession.id))) == 4
