"""Buddhist-Era dates in Thai, Gregorian in English, and the remembered language choice."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from exchange.i18n import format_day, format_moment, format_time_range, safe_next, timezone_label

# 09:00 in Bangkok on Monday 13 December 2021 (the model webinar's day)
WEBINAR = datetime(2021, 12, 13, 2, 0, tzinfo=UTC)
BANGKOK = "Asia/Bangkok"


@pytest.mark.parametrize(
    ("style", "thai", "english"),
    [
        ("full", "วันจันทร์ที่ 13 ธันวาคม พ.ศ. 2564", "Monday 13 December 2021"),
        ("long", "13 ธันวาคม พ.ศ. 2564", "13 December 2021"),
        ("medium", "13 ธ.ค. 2564", "13 Dec 2021"),
        ("short", "13 ธ.ค. 64", "13 Dec 21"),
        ("numeric", "13/12/2564", "13/12/2021"),
        ("day_number", "13", "13"),
        ("month_short", "ธ.ค.", "Dec"),
        ("year", "2564", "2021"),
    ],
)
def test_dates_are_buddhist_era_in_thai_and_gregorian_in_english(app, style, thai, english):
    with app.app_context():
        assert format_day(WEBINAR, style, BANGKOK, "th") == thai
        assert format_day(WEBINAR, style, BANGKOK, "en") == english


def test_dates_use_the_sessions_timezone_not_utc(app):
    late = datetime(2021, 12, 12, 18, 30, tzinfo=UTC)  # already the 13th in Bangkok
    with app.app_context():
        assert format_day(late, "long", BANGKOK, "en") == "13 December 2021"
        assert format_day(late, "long", "UTC", "en") == "12 December 2021"


def test_times_and_zone_label(app):
    end = datetime(2021, 12, 13, 5, 0, tzinfo=UTC)
    with app.app_context():
        assert format_time_range(WEBINAR, end, BANGKOK, "th") == "09:00–12:00 น."
        assert format_time_range(WEBINAR, end, BANGKOK, "en") == "09:00–12:00"
        assert format_moment(WEBINAR, BANGKOK, "th") == (
            "วันจันทร์ที่ 13 ธันวาคม พ.ศ. 2564 เวลา 09:00 น."
        )
        assert format_moment(WEBINAR, BANGKOK, "en") == "Monday 13 December 2021, 09:00"
        assert timezone_label(WEBINAR, BANGKOK, "th") == "เวลาไทย (GMT+07:00)"
        assert timezone_label(WEBINAR, BANGKOK, "en") == "Thailand Time (GMT+07:00)"


def test_thai_is_the_default_language(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="th"' in page


def test_language_choice_is_remembered(client):
    response = client.get("/language/en?next=/sessions")
    assert response.status_code == 302
    assert response.headers["Location"] == "/sessions"
    assert '<html lang="en"' in client.get("/").get_data(as_text=True)
    client.get("/language/th?next=/")
    assert '<html lang="th"' in client.get("/").get_data(as_text=True)


def test_lang_parameter_switches_and_is_dropped_from_the_way_back(client):
    assert '<html lang="en"' in client.get("/sessions?lang=en").get_data(as_text=True)
    response = client.get("/language/th?next=/sessions%3Flang%3Den%26when%3Dpast")
    assert response.headers["Location"] == "/sessions?when=past"
    assert '<html lang="th"' in client.get(response.headers["Location"]).get_data(as_text=True)


def test_unknown_language_is_404(client):
    assert client.get("/language/fr?next=/").status_code == 404


@pytest.mark.parametrize(
    "target", ["https://evil.example", "//evil.example", "/\\evil.example", "javascript:x", ""]
)
def test_language_switch_never_leaves_the_site(client, target):
    response = client.get("/language/en", query_string={"next": target})
    assert response.headers["Location"] == "/"
    assert safe_next(target) == "/"


def test_switching_language_while_logged_in_changes_the_account_language(app, client, make_user):
    from exchange.db import db
    from exchange.models import User
    from tests.conftest import login_as

    user_id = make_user(locale="th")
    login_as(client, user_id)
    client.get("/language/en?next=/")
    with app.app_context():
        assert db.session.get(User, user_id).locale == "en"


@pytest.mark.parametrize(("lang", "text"), [("th", "กรุณาเข้าสู่ระบบ"), ("en", "Please log in")])
def test_the_log_in_request_of_a_protected_page_is_in_the_readers_language(client, lang, text):
    page = client.get(f"/me?lang={lang}", follow_redirects=True).get_data(as_text=True)
    assert f'<li class="flash flash--info">{text}' in page
