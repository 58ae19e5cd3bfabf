"""The organiser dashboard: who may see it, the numbers it shows, its charts and date filter."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import count

import pytest
from flask import Flask
from flask.testing import FlaskClient

from exchange.db import db
from exchange.models import (
    Agency,
    LearningSession,
    Registration,
    RegistrationStatus,
    SessionStatus,
    User,
    UserRole,
)
from exchange.services import dashboard as dashboard_service
from exchange.services.accounts import create_user

DASHBOARD = "/manage"
CONFIRMED = RegistrationStatus.CONFIRMED
WAITLISTED = RegistrationStatus.WAITLISTED
PENDING = RegistrationStatus.PENDING
CANCELLED = RegistrationStatus.CANCELLED


def session_dashboard(slug: str) -> str:
    return f"/manage/sessions/{slug}/dashboard"


@dataclass
class World:
    """Our agency (it organises the sessions), another one, and one user of each kind."""

    app: Flask
    home: int
    other: int
    users: dict[str, int]
    _numbers: count

    def agency(self, slug: str, name_en: str, name_th: str | None = None) -> int:
        with self.app.app_context():
            agency = Agency(slug=slug, name_th=name_th or f"ไทย {name_en}", name_en=name_en)
            db.session.add(agency)
            db.session.commit()
            return agency.id

    def session(
        self,
        slug: str,
        starts_at: datetime,
        *,
        organiser: int | None = None,
        capacity: int | None = None,
        status: SessionStatus = SessionStatus.PUBLISHED,
        timezone: str = "Asia/Bangkok",
    ) -> int:
        with self.app.app_context():
            learning_session = LearningSession(
                slug=slug,
                title_th=f"กิจกรรม {slug}",
                title_en=f"Session {slug}",
                organiser_id=organiser or self.home,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=2),
                capacity=capacity,
                status=status,
                timezone=timezone,
            )
            db.session.add(learning_session)
            db.session.commit()
            return learning_session.id

    def register(
        self,
        session_id: int,
        status: RegistrationStatus = CONFIRMED,
        *,
        agency: int | None = None,
        at: datetime | None = None,
        confirmed_at: datetime | None = None,
        checked_in: bool = False,
        times: int = 1,
    ) -> None:
        """*times* registrations, each by a new participant, queued (and confirmed) *at*."""
        at = at or datetime.now(UTC) - timedelta(days=1)
        with self.app.app_context():
            for _ in range(times):
                n = next(self._numbers)
                user = create_user(f"person{n}@example.go.th", f"Person {n}", agency_id=agency)
                db.session.flush()
                db.session.add(
                    Registration(
                        session_id=session_id,
                        user_id=user.id,
                        status=status,
                        agency_id=agency,
                        created_at=at,
                        queued_at=at,
                        confirmed_at=(confirmed_at or at) if status is CONFIRMED else None,
                        cancelled_at=at if status is CANCELLED else None,
                        checked_in_at=at if checked_in else None,
                    )
                )
            db.session.commit()


@pytest.fixture
def world(app: Flask) -> World:
    with app.app_context():
        home = Agency(slug="home", name_th="สำนักงานบ้าน", name_en="Home Office")
        other = Agency(slug="elsewhere", name_th="กรมอื่น", name_en="Other Department")
        db.session.add_all([home, other])
        db.session.flush()
        users = {
            "participant": create_user("p@example.go.th", "Pat", agency_id=home.id),
            "organiser": create_user(
                "o@example.go.th", "Olga", agency_id=home.id, role=UserRole.ORGANISER
            ),
            "other_organiser": create_user(
                "x@example.go.th", "Xavier", agency_id=other.id, role=UserRole.ORGANISER
            ),
            "admin": create_user("a@example.go.th", "Ada", role=UserRole.ADMIN),
            "homeless_organiser": create_user("h@example.go.th", "Hana", role=UserRole.ORGANISER),
        }
        db.session.commit()
        return World(
            app, home.id, other.id, {role: user.id for role, user in users.items()}, count(1)
        )


def login(client: FlaskClient, user_id: int, lang: str = "en") -> None:
    with client.session_transaction() as sess:
        sess["_user_id"] = str(user_id)
        sess["_fresh"] = True
        sess["lang"] = lang


def days_from_now(days: float) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(days=days)


def text(fragment: str) -> str:
    """Visible text of an HTML fragment, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def figure(page: str, figure_id: str) -> str:
    match = re.search(rf'<figure class="chart[^"]*" id="{figure_id}">(.*?)</figure>', page, re.S)
    assert match, f"no chart {figure_id}"
    return match.group(1)


def table_rows(fragment: str) -> list[list[str]]:
    """The body rows of the (first) table in *fragment*, as lists of cell texts."""
    body = re.search(r"<tbody>(.*?)</tbody>", fragment, re.S)
    assert body, "no table body"
    return [
        [text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S)
    ]


def upcoming_row(page: str, title: str) -> list[str]:
    table = re.search(r'<table class="dashboard-table">(.*?)</table>', page, re.S)
    assert table, "no upcoming table"
    rows = [row for row in table_rows(table.group(1)) if row[0].startswith(title)]
    assert len(rows) == 1, rows
    return rows[0]


# -- who may see what -------------------------------------------------------------------------


def test_anonymous_is_sent_to_log_in(client, world):
    world.session("open-data", days_from_now(3))
    for url in (DASHBOARD, session_dashboard("open-data")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/auth/login"), url


def test_participant_is_forbidden(client, world):
    world.session("open-data", days_from_now(3))
    login(client, world.users["participant"])
    assert client.get(DASHBOARD).status_code == 403
    assert client.get(session_dashboard("open-data")).status_code == 403


def test_organiser_of_another_agency_sees_only_their_own(client, world):
    world.session("open-data", days_from_now(3))
    world.session("their-own", days_from_now(4), organiser=world.other)
    login(client, world.users["other_organiser"])
    page = client.get(DASHBOARD)
    assert page.status_code == 200
    assert "Session their-own" in page.text
    assert "Session open-data" not in page.text
    assert client.get(session_dashboard("open-data")).status_code == 403
    assert client.get(session_dashboard("their-own")).status_code == 200


@pytest.mark.parametrize("role", ["organiser", "admin"])
def test_organiser_of_the_agency_and_admin_see_the_session(client, world, role):
    world.session("open-data", days_from_now(3))
    login(client, world.users[role])
    page = client.get(DASHBOARD)
    assert page.status_code == 200
    assert "Session open-data" in page.text
    assert page.headers["Cache-Control"] == "private, no-store"
    assert client.get(session_dashboard("open-data")).status_code == 200


def test_admin_sees_every_agency(client, world):
    world.session("ours", days_from_now(3))
    world.session("theirs", days_from_now(4), organiser=world.other)
    login(client, world.users["admin"])
    page = client.get(DASHBOARD).text
    assert "Session ours" in page
    assert "Session theirs" in page


def test_organiser_without_agency_is_told_why_nothing_shows(client, world):
    world.session("open-data", days_from_now(3))
    login(client, world.users["homeless_organiser"])
    page = client.get(DASHBOARD)
    assert page.status_code == 200
    assert "not linked to an agency" in page.text
    assert "Session open-data" not in page.text
    assert client.get(session_dashboard("open-data")).status_code == 403


def test_unknown_session_is_404(client, world):
    login(client, world.users["admin"])
    assert client.get(session_dashboard("nope")).status_code == 404


def test_cancelled_sessions_are_left_out(client, world):
    world.session("called-off", days_from_now(3), status=SessionStatus.CANCELLED)
    world.session("draft", days_from_now(3), status=SessionStatus.DRAFT)
    login(client, world.users["organiser"])
    page = client.get(DASHBOARD).text
    assert "Session called-off" not in page
    assert "Session draft" in page
    assert "Draft" in upcoming_row(page, "Session draft")[0]


# -- the numbers ------------------------------------------------------------------------------


@pytest.fixture
def upcoming_lineup(world: World) -> int:
    """Four seats: three confirmed, two waitlisted, one pending, one cancelled."""
    session_id = world.session("full-soon", days_from_now(5), capacity=4)
    world.register(session_id, CONFIRMED, agency=world.home, times=3)
    world.register(session_id, WAITLISTED, agency=world.other, times=2)
    world.register(session_id, PENDING)
    world.register(session_id, CANCELLED, agency=world.other)
    return session_id


def test_upcoming_session_shows_fill_rate_waitlist_and_pending(client, world, upcoming_lineup):
    world.session("unlimited", days_from_now(6))
    login(client, world.users["organiser"])
    page = client.get(DASHBOARD).text
    _, seats, waitlist, pending, links = upcoming_row(page, "Session full-soon")
    assert seats == "3 of 4 75%"
    assert (waitlist, pending) == ("2", "1")
    assert links.startswith("Registrations")
    assert 'href="/manage/sessions/full-soon/registrations"' in page
    assert 'href="/manage/sessions/full-soon/registrations?status=waitlisted"' in page
    assert 'href="/manage/sessions/full-soon/dashboard"' in page
    assert upcoming_row(page, "Session unlimited")[1] == "0 unlimited seats"


def test_full_session_says_full(client, world):
    session_id = world.session("packed", days_from_now(5), capacity=2)
    world.register(session_id, CONFIRMED, times=2)
    login(client, world.users["organiser"])
    assert upcoming_row(client.get(DASHBOARD).text, "Session packed")[1] == "2 of 2 full"


def test_upcoming_are_soonest_first_and_past_ones_are_not_upcoming(client, world):
    world.session("later", days_from_now(9))
    world.session("sooner", days_from_now(2))
    world.session("over", days_from_now(-2))
    login(client, world.users["organiser"])
    page = client.get(DASHBOARD).text
    upcoming = page[page.index('id="upcoming-heading"') : page.index('id="past-heading"')]
    assert upcoming.index("Session sooner") < upcoming.index("Session later")
    assert "Session over" not in upcoming


def test_session_dashboard_shows_the_counts(client, world, upcoming_lineup):
    login(client, world.users["organiser"])
    page = client.get(session_dashboard("full-soon")).text
    stats = dict(
        (text(term), text(value))
        for term, value in re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", page, re.S)
    )
    assert stats["Seats taken"] == "3 of 4 75% · 1 seat left"
    assert stats["On the waitlist"] == "2"
    assert stats["Awaiting e-mail confirmation"] == "1"
    assert stats["Cancelled"] == "1"
    assert stats["Checked in"] == "0"


@pytest.fixture
def past_lineup(world: World) -> dict[str, int]:
    """Three past sessions with check-ins, one nobody came to, and other agencies' people."""
    a = world.agency("agency-a", "Agency A")
    b = world.agency("agency-b", "Agency B")
    c = world.agency("agency-c", "Agency C")
    first = world.session("first", datetime(2024, 3, 10, 2, 0, tzinfo=UTC))
    world.register(first, CONFIRMED, agency=a, checked_in=True, times=3)
    world.register(first, CONFIRMED, agency=b, checked_in=True)
    world.register(first, CONFIRMED, agency=b, times=2)
    world.register(first, WAITLISTED, agency=c)  # no seat: not counted
    second = world.session("second", datetime(2024, 6, 1, 2, 0, tzinfo=UTC))
    world.register(second, CONFIRMED, agency=b, checked_in=True)
    world.register(second, CONFIRMED, agency=c, checked_in=True)
    world.register(second, CONFIRMED, checked_in=True)  # agency not given
    world.register(second, CANCELLED, agency=c)
    world.session("empty", datetime(2024, 7, 1, 2, 0, tzinfo=UTC))
    theirs = world.session("theirs", datetime(2024, 5, 1, 2, 0, tzinfo=UTC), organiser=world.other)
    world.register(theirs, CONFIRMED, agency=c, checked_in=True, times=5)
    return {"a": a, "b": b, "c": c}


def test_attendance_per_past_session(client, world, past_lineup):
    login(client, world.users["organiser"])
    chart = figure(client.get(DASHBOARD).text, "attendance-chart")
    assert table_rows(chart) == [
        ["Session first", "10 Mar 2024", "6", "4", "67%"],
        ["Session second", "1 Jun 2024", "3", "3", "100%"],
        ["Session empty", "1 Jul 2024", "0", "0", "—"],
    ]
    # the bars: earliest first, labelled with the date, checked in / confirmed and the share
    labels = [text(label) for label in re.findall(r"<text[^>]*>(.*?)</text>", chart)]
    assert labels.index("10 Mar 24") < labels.index("1 Jun 24") < labels.index("1 Jul 24")
    assert {"67%", "100%", "—", "4/6", "3/3", "0/0"} <= set(labels)


def test_agencies_ranked_by_attendance(client, world, past_lineup):
    login(client, world.users["organiser"])
    chart = figure(client.get(DASHBOARD).text, "agencies-chart")
    assert table_rows(chart) == [
        ["Agency A", "3", "3", "100%"],
        ["Agency B", "4", "2", "50%"],
        ["Agency C", "1", "1", "100%"],
        ["Agency not given", "1", "1", "100%"],
    ]
    assert "3 agencies in all." in chart


def test_agencies_beyond_the_top_ten_are_summed_up(app, world):
    session_id = world.session("crowded", datetime(2024, 3, 10, 2, 0, tzinfo=UTC))
    for n in range(12):
        agency = world.agency(f"a{n:02d}", f"Agency {n:02d}")
        world.register(session_id, CONFIRMED, agency=agency, times=12 - n, checked_in=n % 2 == 0)
    with app.test_request_context():
        ranking = dashboard_service.session_agencies(session_id, "en")
    assert [row.agency.name_en for row in ranking.rows[:10]] == [
        f"Agency {n:02d}" for n in range(10)
    ]
    others = ranking.rows[10]
    assert (others.agency, others.others, others.confirmed) == (None, 2, 2 + 1)
    assert (ranking.agencies, ranking.confirmed) == (12, sum(range(1, 13)))


def test_session_agencies_chart_shows_confirmed_by_agency(client, world, past_lineup):
    login(client, world.users["organiser"])
    chart = figure(client.get(session_dashboard("first")).text, "session-agencies-chart")
    assert table_rows(chart) == [  # most confirmed first; ties: most checked in
        ["Agency A", "3", "3", "50%"],
        ["Agency B", "3", "1", "50%"],
    ]


# -- registrations over time ------------------------------------------------------------------


@pytest.fixture
def timeline(world: World) -> int:
    """Registrations around Bangkok's midnight (17:00 UTC) for a session on 10 March 2024."""
    session_id = world.session("timeline", datetime(2024, 3, 10, 2, 0, tzinfo=UTC), capacity=3)
    world.register(session_id, CONFIRMED, at=datetime(2024, 3, 1, 10, 0, tzinfo=UTC))
    world.register(session_id, CONFIRMED, at=datetime(2024, 3, 1, 16, 59, tzinfo=UTC))
    # 23:30 UTC on 1 March is 06:30 on 2 March in Bangkok
    world.register(session_id, WAITLISTED, at=datetime(2024, 3, 1, 23, 30, tzinfo=UTC))
    # waited from 1 March, got a seat on 4 March (Bangkok): counts from the 4th
    world.register(
        session_id,
        CONFIRMED,
        at=datetime(2024, 3, 1, 12, 0, tzinfo=UTC),
        confirmed_at=datetime(2024, 3, 3, 17, 0, tzinfo=UTC),
    )
    world.register(session_id, PENDING, at=datetime(2024, 3, 2, 1, 0, tzinfo=UTC))
    world.register(session_id, CANCELLED, at=datetime(2024, 3, 2, 1, 0, tzinfo=UTC))
    return session_id


def test_registrations_by_day_in_the_sessions_timezone(app, timeline):
    with app.app_context():
        learning_session = db.session.get(LearningSession, timeline)
        days = dashboard_service.registrations_by_day(learning_session, until=date(2024, 3, 5))
    assert [
        (d.day.day, d.new_confirmed, d.confirmed, d.new_waitlisted, d.waitlisted) for d in days
    ] == [
        (1, 2, 2, 0, 0),
        (2, 0, 2, 1, 1),
        (3, 0, 2, 0, 1),
        (4, 1, 3, 0, 1),
        (5, 0, 3, 0, 1),
    ]


def test_registrations_by_day_follow_another_timezone(app, world):
    session_id = world.session(
        "new-york", datetime(2024, 3, 10, 14, 0, tzinfo=UTC), timezone="America/New_York"
    )
    # 23:30 UTC is 18:30 the same day in New York; 04:30 UTC is the evening before
    world.register(session_id, CONFIRMED, at=datetime(2024, 3, 1, 23, 30, tzinfo=UTC))
    world.register(session_id, CONFIRMED, at=datetime(2024, 3, 2, 4, 30, tzinfo=UTC))
    with app.app_context():
        days = dashboard_service.registrations_by_day(db.session.get(LearningSession, session_id))
    assert [(d.day, d.confirmed) for d in days] == [(date(2024, 3, 1), 2)]


def test_session_dashboard_draws_the_running_totals(client, world, timeline):
    login(client, world.users["organiser"])
    chart = figure(client.get(session_dashboard("timeline")).text, "registrations-chart")
    # days with news, up to the session's day (10 March, Bangkok)
    assert table_rows(chart) == [
        ["1 Mar 2024", "2", "2", "0", "0"],
        ["2 Mar 2024", "0", "2", "1", "1"],
        ["4 Mar 2024", "1", "3", "0", "1"],
    ]
    assert "from 1 March 2024 to 10 March 2024" in chart
    assert chart.count("<path ") == 2  # confirmed and waitlisted
    assert "10 Mar 24" in chart


def test_session_without_registrations_says_so(client, world):
    world.session("quiet", days_from_now(3))
    login(client, world.users["organiser"])
    page = client.get(session_dashboard("quiet")).text
    assert "Nobody has registered yet." in page
    assert 'id="registrations-chart"' not in page


# -- charts and their text alternative --------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "charts"),
    [
        (DASHBOARD, ["attendance-chart", "agencies-chart"]),
        (session_dashboard("first"), ["registrations-chart", "session-agencies-chart"]),
    ],
)
def test_charts_are_svg_with_a_table_alternative(client, world, past_lineup, url, charts):
    login(client, world.users["organiser"])
    page = client.get(url).text
    for chart_id in charts:
        chart = figure(page, chart_id)
        svg = re.search(r"<svg class=\"chart__svg\"[^>]*>", chart)
        assert svg, chart_id
        assert 'role="img"' in svg.group(0)
        assert f'aria-labelledby="{chart_id}-title {chart_id}-desc"' in svg.group(0)
        assert f'<title id="{chart_id}-title">' in chart
        assert f'<desc id="{chart_id}-desc">' in chart
        assert re.search(
            r"<details class=\"chart__data\">.*<table class=\"chart__table\">", chart, re.S
        )
        assert "font-family" not in chart  # SVG text inherits the page's Sarabun
    assert "<script" not in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page)  # nothing from elsewhere


def test_chart_dates_are_buddhist_era_in_thai(client, world, past_lineup):
    login(client, world.users["organiser"], lang="th")
    page = client.get(DASHBOARD).text
    chart = figure(page, "attendance-chart")
    assert "10 มี.ค. 67" in chart  # 10 March 2024 = พ.ศ. 2567
    assert table_rows(chart)[0][:2] == ["กิจกรรม first", "10 มี.ค. 2567"]
    assert "Show the numbers as a table" not in page  # translated


# -- the date filter --------------------------------------------------------------------------


def test_date_range_picks_sessions_by_their_local_start_day(client, world):
    # 00:30 on 1 March in Bangkok is still 29 February in UTC
    world.session("leap", datetime(2024, 2, 29, 17, 30, tzinfo=UTC))
    world.register(world.session("later", datetime(2024, 5, 1, 2, 0, tzinfo=UTC)), CONFIRMED)
    login(client, world.users["organiser"])
    march = client.get(f"{DASHBOARD}?from=2024-03-01&to=2024-03-31").text
    assert "Session leap" in march
    assert "Session later" not in march
    assert "from 1 March 2024 to 31 March 2024" in march
    february = client.get(f"{DASHBOARD}?to=2024-02-29").text
    assert "Session leap" not in february
    assert "No past sessions yet." in february


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("from=yesterday", "from", "Enter the date as year-month-day"),
        ("from=2024-13-01", "from", "There is no such day."),
        ("to=2023-02-29", "to", "There is no such day."),
        ("from=2567-01-01", "from", "Enter the year in the Common Era: 2567 B.E. is 2024 C.E."),
        ("from=0001-01-01", "from", "Enter a year between 1900 and 2299."),
        ("to=9999-12-31", "to", "Enter a year between 1900 and 2299."),
        ("from=2024-05-01&to=2024-04-01", "to", "The end date is before the start date."),
        ("from=%00%ff<script>", "from", "Enter the date as year-month-day"),
        ("from=" + "9" * 500, "from", "Enter the date as year-month-day"),
        ("from=20240301", "from", "Enter the date as year-month-day"),
    ],
)
def test_bad_dates_get_a_message_and_are_left_out(client, world, query, field, message):
    world.session("old", datetime(2024, 3, 10, 2, 0, tzinfo=UTC))
    world.session("soon", days_from_now(3))
    login(client, world.users["organiser"])
    response = client.get(f"{DASHBOARD}?{query}")
    assert response.status_code == 200
    error = re.search(
        rf'<small id="filter-{field}-error" class="field-error">(.*?)</small>', response.text
    )
    assert error, response.text
    assert text(error.group(1)).startswith(message)
    assert "Some dates could not be used" in response.text
    # the filter is not applied: everything shows
    assert "Session old" in response.text
    assert "Session soon" in response.text
    assert "<script>" not in response.text


# -- no N+1 -----------------------------------------------------------------------------------


def _sessions(world: World, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        for days, kind in ((3 + i, "up"), (-3 - i, "past")):
            session_id = world.session(f"{kind}-{i}", days_from_now(days), capacity=3)
            agency = world.agency(f"agency-{kind}-{i}", f"Agency {kind} {i}")
            world.register(session_id, CONFIRMED, agency=agency, checked_in=kind == "past")
            world.register(session_id, WAITLISTED)


@pytest.mark.parametrize("role", ["organiser", "admin"])
def test_dashboard_queries_do_not_grow_with_sessions(client, world, count_queries, role):
    _sessions(world, 1)
    login(client, world.users[role])
    few = count_queries(lambda: client.get(DASHBOARD))
    _sessions(world, 9, start=1)  # 2 sessions, then 20
    assert count_queries(lambda: client.get(DASHBOARD)) == few


def _registrations(world: World, session_id: int, n: int) -> None:
    agencies = [world.agency(f"agency-{session_id}-{n}-{i}", f"Agency {i}") for i in range(3)]
    for i in range(n):
        world.register(
            session_id,
            CONFIRMED if i % 3 else WAITLISTED,
            agency=agencies[i % 3] if i % 4 else None,
            at=datetime(2024, 3, 1, 10, tzinfo=UTC) + timedelta(hours=7 * i),
            checked_in=i % 2 == 0,
        )


@pytest.mark.parametrize("url", [DASHBOARD, session_dashboard("busy")])
def test_queries_do_not_grow_with_registrations(client, world, count_queries, url):
    session_id = world.session("busy", datetime(2024, 3, 20, 2, 0, tzinfo=UTC), capacity=100)
    _registrations(world, session_id, 5)
    login(client, world.users["organiser"])
    few = count_queries(lambda: client.get(url))
    assert client.get(url).status_code == 200
    _registrations(world, session_id, 45)  # 5, then 50
    assert count_queries(lambda: client.get(url)) == few


def test_service_queries_are_one_statement_each(app, world, count_queries, past_lineup):
    now = datetime.now(UTC)
    period = dashboard_service.Period()

    def run(*functions: str) -> None:
        with app.test_request_context():
            admin = db.session.get(User, world.users["admin"])
            for name in functions:
                args = (admin, now, period, "Asia/Bangkok")
                extra = ("en",) if name == "agencies_attending" else (12,)
                getattr(dashboard_service, name)(*args, *extra)

    baseline = count_queries(run)  # the user (and BEGIN on SQLite)
    assert count_queries(lambda: run("upcoming", "past", "agencies_attending")) == baseline + 3
