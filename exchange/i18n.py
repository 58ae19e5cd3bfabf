"""Language choice, Buddhist-Era dates for Thai, Gregorian for English, and template helpers.

Babel has only Gregorian calendar data, so Thai dates take their day and month names from
Babel and their year from us (+543, exact for every date since 1941; research note A3).
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_timezone_gmt, get_timezone_location
from flask import Flask, current_app, request, session
from flask_babel import get_locale

BE_OFFSET = 543

# style -> (Babel pattern for day and month, how the year is written)
_THAI_STYLES = {
    "full": ("EEEEที่ d MMMM", lambda y: f" พ.ศ. {y}"),
    "long": ("d MMMM", lambda y: f" พ.ศ. {y}"),
    "medium": ("d MMM", lambda y: f" {y}"),
    "short": ("d MMM", lambda y: f" {y % 100:02d}"),
    "numeric": ("d/M", lambda y: f"/{y}"),
    "month": ("MMMM", lambda y: f" {y}"),
    "day_number": ("d", lambda y: ""),
    "month_short": ("MMM", lambda y: ""),
    "year": ("", str),
}
_ENGLISH_STYLES = {
    "full": "EEEE d MMMM y",
    "long": "d MMMM y",
    "medium": "d MMM y",
    "short": "d MMM yy",
    "numeric": "d/M/y",
    "month": "MMMM y",
    "day_number": "d",
    "month_short": "MMM",
    "year": "y",
}


def select_locale() -> str:
    """``?lang=`` on any address, else the visitor's remembered choice, else Thai."""
    languages = current_app.config["LANGUAGES"]
    requested = request.args.get("lang")
    if request.path.startswith("/api/v1"):  # the API keeps no cookie: ask each time
        if requested in languages:
            return requested
        return request.accept_languages.best_match(languages) or languages[0]
    if requested in languages:
        remember_language(requested)
        return requested
    chosen = session.get("lang")
    return chosen if chosen in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["DEFAULT_TIMEZONE"]


def remember_language(code: str) -> None:
    session["lang"] = code
    session.permanent = True


def current_language() -> str:
    locale = get_locale()  # once: templates call this for every item of a list
    return locale.language if locale else "th"


def _zone(tz: str | tzinfo | None) -> tzinfo:
    if tz is None:
        return ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def format_day(
    value: datetime,
    style: str = "full",
    tz: str | tzinfo | None = None,
    language: str | None = None,
) -> str:
    """A date in the reader's language: Buddhist Era in Thai, Gregorian in English."""
    language = language or current_language()
    local = value.astimezone(_zone(tz))
    if language == "th":
        pattern, year = _THAI_STYLES[style]
        day_and_month = format_date(local, pattern, locale="th") if pattern else ""
        return day_and_month + year(local.year + BE_OFFSET)
    return format_date(local, _ENGLISH_STYLES[style], locale="en")


def format_clock(
    value: datetime, tz: str | tzinfo | None = None, language: str | None = None
) -> str:
    """A time of day, 24-hour: "14:30" (the Thai "น." is added by the callers that end a phrase)."""
    language = language or current_language()
    return format_time(value.astimezone(_zone(tz)), "HH:mm", locale=language)


def format_time_range(
    start: datetime,
    end: datetime | None,
    tz: str | tzinfo | None = None,
    language: str | None = None,
) -> str:
    """ "09:00–12:00 น." in Thai, "09:00–12:00" in English."""
    language = language or current_language()
    text = format_clock(start, tz, language)
    if end is not None:
        text += "–" + format_clock(end, tz, language)
    return text + (" น." if language == "th" else "")


def format_moment(
    value: datetime, tz: str | tzinfo | None = None, language: str | None = None
) -> str:
    """Full date and time: "วันจันทร์ที่ 13 ธันวาคม พ.ศ. 2564 เวลา 09:00 น."."""
    language = language or current_language()
    day = format_day(value, "full", tz, language)
    clock = format_clock(value, tz, language)
    return f"{day} เวลา {clock} น." if language == "th" else f"{day}, {clock}"


def timezone_label(
    value: datetime, tz: str | tzinfo | None = None, language: str | None = None
) -> str:
    """ "เวลาไทย (GMT+07:00)" / "Thailand Time (GMT+07:00)"."""
    language = language or current_language()
    zone = _zone(tz)
    local = value.astimezone(zone)
    place = get_timezone_location(zone, locale=language)
    return f"{place} ({get_timezone_gmt(local, locale=language)})"


def format_year(year: int, language: str | None = None) -> str:
    """A calendar year: "พ.ศ. 2564" in Thai, "2021" in English."""
    language = language or current_language()
    return f"พ.ศ. {year + BE_OFFSET}" if language == "th" else str(year)


def localized(obj: object, field: str) -> str:
    """Template filter: ``agency|loc('name')`` picks the reader's language, falling back."""
    return obj.loc(field, current_language())  # type: ignore[attr-defined]


def safe_next(target: str | None, fallback: str = "/") -> str:
    """Only a path on this site: never another host (``//evil``, ``https://evil``)."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    if "\\" in target:
        return fallback
    return target


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.filters.update(
        day=format_day,
        time_range=format_time_range,
        moment=format_moment,
        tzlabel=timezone_label,
        year=format_year,
        loc=localized,
    )
