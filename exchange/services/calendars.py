"""Calendars for the app: what goes in each feed, its version, personal feed tokens, e-mailed
invites and "add to calendar" links. The iCalendar bytes come from ``exchange.ics.builder``;
this module gives it the app's settings, words and addresses.

A feed's *version* comes from one aggregate query over the rows the feed holds (how many, the
newest change, and checksums of their ids, sequences and statuses), so that an unchanged feed
is answered with 304, or from cached bytes, without loading a single session.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import contains_eager, joinedload, load_only

from exchange.db import db
from exchange.ics import builder
from exchange.markup import excerpt
from exchange.models import (
    Agency,
    LearningSession,
    Registration,
    RegistrationStatus,
    SessionStatus,
    User,
    session_topic,
)
from exchange.services import join_links
from exchange.services.sessions import PUBLIC_STATUSES, took_part

# Part of every ETag: raise it when the builder's output changes, so clients fetch it anew.
FORMAT_VERSION = "1"


# --- Settings, words, addresses -----------------------------------------------------------------


def settings() -> builder.Settings:
    return builder.Settings.from_config(current_app.config)


def wording(language: str) -> builder.Wording:
    """The words calendars show, in *language*."""
    with force_locale(language):
        return builder.Wording(
            language=language,
            online=_("Online"),
            details=_("Details"),
            join=_("Join the session"),
            waitlisted=_("You are on the waitlist: you do not have a seat yet."),
            cancelled=_("Cancelled"),
            cancelled_note=_("This session has been cancelled."),
        )


def feed_language(requested: str | None) -> str:
    """``?lang=`` when it names a language we have, else the default (Thai). Feeds never read
    the visitor's session cookie: the same address must give the same bytes to everyone."""
    languages = current_app.config["LANGUAGES"]
    return requested if requested in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def session_url(learning_session: LearningSession, language: str) -> str:
    """The session's page, in *language* when that is not the default."""
    extra = {} if language == current_app.config["BABEL_DEFAULT_LOCALE"] else {"lang": language}
    return url_for("sessions.detail", slug=learning_session.slug, _external=True, **extra)


_SLUG_MARK = "0slug0"  # a slug of the characters url_for leaves alone, found once below


def session_url_maker(language: str) -> Callable[[str], str]:
    """``session_url`` for many sessions: url_for once, then the slug put in its place
    (quoted as the URL converter does), which is ~50 times cheaper for a 1,000-event feed."""
    head, tail = session_url(_Slugged(_SLUG_MARK), language).split(_SLUG_MARK)
    return lambda slug: head + quote(slug, safe=_PATH_SAFE) + tail


_PATH_SAFE = "!$&'()*+,/:;=@"  # werkzeug's BaseConverter.to_url


@dataclass(frozen=True)
class _Slugged:
    slug: str


def webcal(url: str) -> str:
    """The same address with the webcal:// scheme, which calendar apps open as a subscription."""
    return "webcal://" + url.split("://", 1)[1]


def google_subscribe_link(feed_url: str) -> str:
    """Google Calendar's "add by URL" page for *feed_url* (webcal:// works where https fails)."""
    return "https://calendar.google.com/calendar/render?cid=" + quote(webcal(feed_url), safe="")


# --- Versions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Version:
    """What identifies a feed's content: equal versions give equal bytes."""

    count: int
    last_modified: datetime | None
    checksum: tuple[int, ...]

    def etag(self, *parts: object) -> str:
        """A strong ETag for this version and the other things the bytes depend on."""
        stamp = self.last_modified.isoformat() if self.last_modified else ""
        key = "|".join(map(str, (FORMAT_VERSION, self.count, stamp, *self.checksum, *parts)))
        return hashlib.sha256(key.encode()).hexdigest()[:32]


def _bigint(column: sa.ColumnElement[int]) -> sa.ColumnElement[int]:
    return sa.cast(column, sa.BigInteger)


def _checksums(weight: sa.ColumnElement[int]) -> list[sa.ColumnElement[int]]:
    """Sums that change when a row joins, leaves, or changes sequence or *weight*."""
    sid = _bigint(LearningSession.id)
    sequence = _bigint(LearningSession.ical_sequence) + 1
    return [
        func.coalesce(func.sum(sid * weight), 0),
        func.coalesce(func.sum((sid * sid % 1000003) * weight), 0),
        func.coalesce(func.sum(sid * sequence * weight), 0),
    ]


def _status_weight() -> sa.ColumnElement[int]:
    return sa.case((LearningSession.status == SessionStatus.CANCELLED, 2), else_=1)


def _latest(*values: datetime | None) -> datetime | None:
    present = [value for value in values if value is not None]
    return max(present) if present else None


# --- Public feeds -----------------------------------------------------------------------------


def window_start(now: datetime) -> datetime:
    """Feeds hold sessions that ended at most FEED_PAST_DAYS ago, and everything after."""
    return now - timedelta(days=current_app.config["FEED_PAST_DAYS"])


def feed_criteria(
    now: datetime, *, agency_id: int | None = None, topic_id: int | None = None
) -> list[sa.ColumnElement[bool]]:
    """Published and cancelled sessions of the feed's window, of one agency or topic if given.

    Cancelled sessions stay (STATUS:CANCELLED, higher SEQUENCE), so that subscribed calendars
    remove them instead of keeping a session that will not take place.
    """
    criteria = [
        LearningSession.status.in_(PUBLIC_STATUSES),
        LearningSession.ends_at >= window_start(now),
    ]
    if agency_id is not None:
        criteria.append(took_part(agency_id))
    if topic_id is not None:
        criteria.append(
            LearningSession.id.in_(
                select(session_topic.c.session_id).where(session_topic.c.topic_id == topic_id)
            )
        )
    return criteria


def feed_version(criteria: list[sa.ColumnElement[bool]]) -> Version:
    """The feed's version, in one aggregate query."""
    row = db.session.execute(
        select(
            func.count(LearningSession.id),
            func.max(LearningSession.updated_at),
            *_checksums(_status_weight()),
        ).where(*criteria)
    ).one()
    count, last_modified, *checksum = row
    return Version(int(count), last_modified, tuple(int(n) for n in checksum))


# What tells whether a session's event is already built (builder's event key) and which
# VTIMEZONEs the feed needs: all a feed loads for its sessions; ``complete`` loads the rest.
_KEY_COLUMNS = (
    LearningSession.slug,
    LearningSession.status,
    LearningSession.timezone,
    LearningSession.starts_at,
    LearningSession.ends_at,
    LearningSession.updated_at,
    LearningSession.ical_sequence,
)


def feed_sessions(criteria: list[sa.ColumnElement[bool]]) -> list[LearningSession]:
    """The feed's sessions, soonest first, in one query, with only the columns of the event
    cache's key: a feed of 1,000 after one edit rebuilds one event and must not load 1,000
    descriptions. ``complete()`` loads everything for the events to be written."""
    return list(
        db.session.scalars(
            select(LearningSession)
            .where(*criteria)
            .options(
                load_only(*_KEY_COLUMNS),
                joinedload(LearningSession.organiser).load_only(Agency.name_th, Agency.name_en),
            )
            .order_by(LearningSession.starts_at, LearningSession.id)
        )
    )


def complete(sessions: list[LearningSession]) -> None:
    """Load every column of *sessions* (loaded by ``feed_sessions``), in one query."""
    if sessions:
        db.session.scalars(
            select(LearningSession)
            .where(LearningSession.id.in_([s.id for s in sessions]))
            .options(joinedload(LearningSession.organiser))
            .execution_options(populate_existing=True)
        ).all()


def file_version(learning_session: LearningSession) -> Version:
    """One session's version, from the loaded row."""
    sid = learning_session.id
    weight = 2 if learning_session.status is SessionStatus.CANCELLED else 1
    checksum = (sid * weight, learning_session.ical_sequence, weight)
    return Version(1, learning_session.updated_at, checksum)


def public_entries(sessions: list[LearningSession], language: str) -> list[builder.Entry]:
    """What anyone may see: never a join link."""
    url = session_url_maker(language)
    return [builder.Entry(s, url(s.slug)) for s in sessions]


# --- The personal feed ------------------------------------------------------------------------

_IN_FEED = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)


def _personal_criteria(user_id: int, now: datetime) -> list[sa.ColumnElement[bool]]:
    return [
        Registration.user_id == user_id,
        LearningSession.status.in_(PUBLIC_STATUSES),
        LearningSession.ends_at >= window_start(now),
    ]


def personal_version(user_id: int, now: datetime) -> Version:
    """The personal feed's version, in one aggregate query.

    It covers the user's cancelled registrations in the window too: their ``cancelled_at``
    moves Last-Modified on, so that a client that sends only If-Modified-Since still learns
    that a session left the feed.
    """
    in_feed = Registration.status.in_(_IN_FEED)
    seat = sa.case((Registration.status == RegistrationStatus.CONFIRMED, 3), else_=5)
    weight = sa.case((in_feed, _status_weight() * seat), else_=0)
    row = db.session.execute(
        select(
            func.count(sa.case((in_feed, 1))),
            func.max(LearningSession.updated_at),
            func.max(Registration.queued_at),
            func.max(Registration.confirmed_at),
            func.max(Registration.cancelled_at),
            *_checksums(weight),
        )
        .select_from(Registration)
        .join(Registration.learning_session)
        .where(*_personal_criteria(user_id, now))
    ).one()
    count, changed, queued, confirmed, cancelled, *checksum = row
    latest = _latest(changed, queued, confirmed, cancelled)
    return Version(int(count), latest, tuple(int(n) for n in checksum))


def personal_registrations(user_id: int, now: datetime) -> list[Registration]:
    """The user's confirmed and waitlisted registrations of the window, with their sessions."""
    return list(
        db.session.scalars(
            select(Registration)
            .join(Registration.learning_session)
            .where(*_personal_criteria(user_id, now), Registration.status.in_(_IN_FEED))
            .options(
                contains_eager(Registration.learning_session).joinedload(LearningSession.organiser)
            )
            .order_by(LearningSession.starts_at, LearningSession.id)
        )
    )


def personal_entries(registrations: list[Registration], language: str) -> list[builder.Entry]:
    """A confirmed seat comes with the personal join link; a waitlist place is TENTATIVE,
    without it. Give the registrations their tokens first (``join_links.ensure_join_tokens``)."""
    entries = []
    for registration in registrations:
        learning_session = registration.learning_session
        confirmed = registration.status is RegistrationStatus.CONFIRMED
        changed = _latest(
            learning_session.updated_at, registration.confirmed_at, registration.queued_at
        )
        entries.append(
            builder.Entry(
                learning_session,
                session_url(learning_session, language),
                join_url=join_links.personal_link_for(registration),
                tentative=not confirmed,
                stamp=changed,
            )
        )
    return entries


def user_by_calendar_token(token: str) -> User | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalars(select(User).filter_by(calendar_token=token)).one_or_none()


def calendar_token(user: User) -> str:
    """The user's feed token, made on first need. Flushes, never commits.

    A conditional UPDATE, so that two first requests at once end with one token, not two.
    """
    if user.calendar_token:
        return user.calendar_token
    db.session.execute(
        update(User)
        .where(User.id == user.id, User.calendar_token.is_(None))
        .values(calendar_token=_new_token())
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(user, ["calendar_token"])
    assert user.calendar_token
    return user.calendar_token


def regenerate_calendar_token(user: User) -> str:
    """A new feed token; the old one stops working at once. Flushes, never commits."""
    user.calendar_token = _new_token()
    db.session.flush()
    return user.calendar_token


def _new_token() -> str:
    return secrets.token_urlsafe(32)  # 43 characters, 256 bits


# --- E-mailed invites ---------------------------------------------------------------------------


def invite(
    learning_session: LearningSession,
    user: User,
    method: str,
    now: datetime,
    *,
    language: str | None = None,
    join_url: str = "",
) -> str:
    """The REQUEST or CANCEL for one person; a REQUEST carries *join_url*, the recipient's
    personal join link (``join_links.personal_link_for``), never the platform's own."""
    language = feed_language(language or user.locale)
    entry = builder.Entry(
        learning_session,
        session_url(learning_session, language),
        join_url=join_url if method == builder.REQUEST else "",
    )
    return builder.build_invite(
        entry,
        method=method,
        attendee=builder.Attendee(user.email, user.display_name),
        stamp=now,
        settings=settings(),
        wording=wording(language),
    ).decode("utf-8")


# --- "Add to calendar" links ------------------------------------------------------------------


def _utc(value: datetime, pattern: str) -> str:
    return value.astimezone(UTC).strftime(pattern)


def add_to_calendar_links(learning_session: LearningSession, language: str) -> dict[str, str]:
    """Links that open Google Calendar and Outlook with the session filled in (no join link:
    the page is public). Only addresses for the reader's browser; nothing is fetched here."""
    url = session_url(learning_session, language)
    title = learning_session.loc("title", language)
    about = excerpt(learning_session.loc("description", language), 300)
    details = f"{about}\n\n{url}" if about else url
    location = builder.location_text(learning_session, wording(language))
    google = {
        "action": "TEMPLATE",
        "text": title,
        "dates": "/".join(
            _utc(moment, "%Y%m%dT%H%M%SZ")
            for moment in (learning_session.starts_at, learning_session.ends_at)
        ),
        "details": details,
        "location": location,
        "ctz": learning_session.timezone,
    }
    outlook = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": title,
        "startdt": _utc(learning_session.starts_at, "%Y-%m-%dT%H:%M:%SZ"),
        "enddt": _utc(learning_session.ends_at, "%Y-%m-%dT%H:%M:%SZ"),
        "body": details,
        "location": location,
    }
    compose = "/calendar/0/deeplink/compose?" + urlencode(outlook, quote_via=quote)
    return {
        "google": "https://calendar.google.com/calendar/render?"
        + urlencode(google, quote_via=quote),
        "outlook": "https://outlook.live.com" + compose,
        "office365": "https://outlook.office.com" + compose,
    }
