"""The app as deployed (``app:app``), plus one hook the cold-feed row needs.

Served by gunicorn as ``benchapp:app`` (``--pythonpath bench``). A request carrying
``X-Bench-Touch: 1`` first sets a newer ``updated_at`` on one session of the feed's window and
commits, as an organiser's edit does; the feed view then finds a new version and builds the feed
(the worker re-renders the changed event, the rest come from its event cache). So wrk can
measure cold feeds with a fixed header; the UPDATE (about a millisecond) is part of what is
measured. Without the header nothing differs from ``app:app``.
"""

from __future__ import annotations

import random

import sqlalchemy as sa
from flask import request

from exchange import create_app
from exchange.db import db, utcnow
from exchange.models import LearningSession
from exchange.services import calendars

app = create_app()
_ids: list[int] = []
_rng = random.Random()  # noqa: S311 -- which session changes, not a secret


@app.before_request
def touch() -> None:
    if request.headers.get("X-Bench-Touch") != "1":
        return
    if not _ids:
        criteria = calendars.feed_criteria(utcnow())
        _ids.extend(db.session.scalars(sa.select(LearningSession.id).where(*criteria)))
    table = LearningSession.__table__
    db.session.execute(
        sa.update(table).where(table.c.id == _rng.choice(_ids)).values(updated_at=utcnow())
    )
    db.session.commit()
