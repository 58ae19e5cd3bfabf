"""The soak in short, on each database: 40 s of mixed load on gunicorn with 4 workers, one of
them SIGKILLed mid-load, the mail server down for a few seconds, then every invariant.

bench/soak.py does the work (and runs for 10 minutes from `make soak`); here it runs on a small
dataset. After the load, the test waits for the mail worker to deliver what the outage held
back: a message that failed waits a minute before its next attempt, so a run takes about 1.5
minutes per database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench.soak import Settings, run_soak
from exchange.db import db
from tests.conftest import DATABASES, _drop_everything, make_test_app


@pytest.fixture(params=list(DATABASES))
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL every process can open, on an empty schema; emptied again afterwards."""
    url = DATABASES[request.param]
    if sa.make_url(url).get_backend_name() == "sqlite":
        url = f"sqlite:///{tmp_path / 'soak.sqlite'}"  # a file: every worker opens it
    app = make_test_app(url)
    with app.app_context():
        _drop_everything()  # the PostgreSQL test database is shared between runs
        db.engine.dispose()
    try:
        yield url
    finally:
        with app.app_context():
            db.session.remove()
            try:
                _drop_everything()
            finally:
                db.engine.dispose()


def test_a_short_soak_with_a_killed_worker_and_a_mail_outage_loses_nothing(
    empty_database: str, tmp_path: Path
) -> None:
    settings = Settings(
        seconds=40,
        sessions=30,
        users=300,
        clients=4,
        kill_at=0.25,  # a worker SIGKILLed at 10 s; the master starts another
        outage_at=0.1,  # no SMTP from 4 s to 8 s: early, so the back-off ends soon after
        outage_seconds=4,
        rss_tolerance_mb=15,  # 10 s between mid-run and the end: little time to settle
        sample_every=1,
        warm_rounds=1,
        drain_timeout=150,
        create_all=True,
    )
    lines: list[str] = []

    outcome = run_soak(empty_database, settings, tmp_path, say=lines.append)

    report = "\n".join([*lines, *outcome.lines])
    assert not outcome.violations, report
    assert "SIGKILL to gunicorn worker" in report, report
    assert "SMTP server started again" in report, report
    held_back = re.search(r"(\d+) needed more than one attempt", report)
    assert held_back is not None, report
    assert int(held_back.group(1)) > 0, report  # the outage held some mail back
