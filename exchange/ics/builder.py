"""Turn learning sessions into iCalendar (RFC 5545) bytes: files, feeds and e-mailed invites.

Pure: no Flask imports and no queries of its own. Callers pass sessions with ``organiser``
loaded, the settings (from the app's config, see ``Settings.from_config``) and the words of the
reader's language (``Wording``, translated by the caller). The same input gives the same bytes,
so files and feeds can be cached and answered with 304 (research note B1–B5):

- one UID per session, forever (``session_uid``); SEQUENCE is the session's ``ical_sequence``;
- DTSTART/DTEND in the session's own zone with TZID, and a VTIMEZONE for every TZID;
- DTSTAMP from the session's last change in files and feeds, "now" in e-mailed invites;
- PUBLISH for downloads and feeds, REQUEST or CANCEL (one event, with ATTENDEE) for mail;
- the join link only where the caller puts it in an ``Entry`` (a confirmed registrant's).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import parseaddr
from functools import lru_cache
from itertools import count
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Conference, Event, Timezone, vCalAddress, vDuration, vText

from exchange.markup import plain_text

if TYPE_CHECKING:
    from exchange.models import LearningSession

PUBLISH = "PUBLISH"
REQUEST = "REQUEST"
CANCEL = "CANCEL"
DEFAULT_UID_DOMAIN = "learning-exchange.local"


@dataclass(frozen=True)
class Settings:
    """What the app's configuration decides about every calendar."""

    prodid: str
    uid_domain: str
    organizer_email: str  # ORGANIZER is a bare mailto: of the address mail is sent from
    organizer_name: str  # its CN when a session has no organiser agency
    reminder: timedelta | None  # VALARM this long before the start; None: no reminder
    refresh: timedelta  # how often subscribed feeds should be fetched again
    timezone: str  # X-WR-TIMEZONE of feeds

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> Settings:
        sender_name, sender = parseaddr(str(config.get("MAIL_DEFAULT_SENDER") or ""))
        minutes = config.get("ICS_REMINDER_MINUTES")
        return cls(
            prodid=str(config["ICS_PRODID"]),
            uid_domain=uid_domain(config),
            organizer_email=sender or "no-reply@localhost",
            organizer_name=sender_name or "Learning Exchange",
            reminder=timedelta(minutes=int(minutes)) if minutes else None,  # type: ignore[call-overload]
            refresh=timedelta(minutes=int(config["ICS_REFRESH_MINUTES"])),  # type: ignore[call-overload]
            timezone=str(config["DEFAULT_TIMEZONE"]),
        )


def uid_domain(config: Mapping[str, object]) -> str:
    """ICS_UID_DOMAIN, else SERVER_NAME's host, else a fixed name. Set it once, never change it:
    a new domain gives every session a new UID, and calendars would show each twice."""
    configured = config.get("ICS_UID_DOMAIN")
    if configured:
        return str(configured)
    server_name = config.get("SERVER_NAME")
    if server_name:
        host = urlsplit(f"//{server_name}").hostname
        if host:
            return host
    return DEFAULT_UID_DOMAIN


@dataclass(frozen=True)
class Wording:
    """The words calendars show, in the reader's language (the caller translates them)."""

    language: str = "th"
    online: str = "Online"  # LOCATION of an online session: "Online: Zoom"
    details: str = "Details"  # before the link to the session's page
    join: str = "Join the session"  # before the join link
    waitlisted: str = "You are on the waitlist: you do not have a seat yet."
    cancelled: str = "Cancelled"  # before the title of a cancelled session
    cancelled_note: str = "This session has been cancelled."


@dataclass(frozen=True)
class Entry:
    """One session as one reader may see it."""

    session: LearningSession
    url: str  # the session's page
    join_url: str = ""  # only for someone with a confirmed seat
    tentative: bool = False  # waitlisted: STATUS:TENTATIVE
    stamp: datetime | None = None  # DTSTAMP; None: the session's last change


class EventCache(Protocol):
    """Where ``build_feed`` may keep each event's bytes (``exchange.ics.cache.BytesCache``)."""

    def get(self, key: Hashable) -> bytes | None: ...

    def put(self, key: Hashable, value: bytes, *, slot: Hashable | None = None) -> None: ...


@dataclass(frozen=True)
class Attendee:
    email: str
    name: str = ""


def session_uid(session_id: int, domain: str) -> str:
    """Stable UID, so that a re-sent invite updates the calendar entry instead of adding one."""
    return f"session-{session_id}@{domain}"


def build_file(entry: Entry, *, settings: Settings, wording: Wording) -> bytes:
    """One session as a downloadable file (METHOD:PUBLISH)."""
    calendar = _calendar(PUBLISH, settings)
    _add_event(calendar, entry, _event(entry, settings=settings, wording=wording))
    return calendar.to_ical()


def build_feed(
    entries: Iterable[Entry],
    *,
    settings: Settings,
    wording: Wording,
    name: str,
    description: str = "",
    event_cache: EventCache | None = None,
    complete: Callable[[list[LearningSession]], None] | None = None,
) -> bytes:
    """A subscription feed (METHOD:PUBLISH) with its name and refresh hints.

    With *event_cache*, each event's bytes are kept by what they depend on (the session's id,
    last change, sequence and status, the organiser's name, the entry, the settings and the
    words), so that after a change only the changed session is written again: building and
    folding 1,000 events takes seconds, joining 999 cached ones milliseconds. *complete* is
    called once with the sessions whose events must be written (entries may come with only the
    key's columns loaded: ``calendars.feed_sessions``).
    """
    entries = list(entries)
    calendar = _calendar(PUBLISH, settings)
    # One line of escaped TEXT (RFC 7986): icalendar writes NAME and X- properties as they are,
    # so a line break in an agency's or topic's name broke the feed (a 500) and a comma was bare.
    name = vText(" ".join(name.split()))
    calendar.add("NAME", name)
    calendar.add("X-WR-CALNAME", name)
    if description:
        calendar.add("DESCRIPTION", description)
        calendar.add("X-WR-CALDESC", description)
    calendar.add("X-WR-TIMEZONE", settings.timezone)
    # icalendar quirks (research note B1): REFRESH-INTERVAL needs VALUE=DURATION (RFC 7986
    # §5.7), and a timedelta on an X- property would be written "1:00:00", not "PT1H".
    calendar.add("REFRESH-INTERVAL", vDuration(settings.refresh), parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", vDuration(settings.refresh))
    # The VTIMEZONEs first, as add_missing_timezones() would put them: one for every TZID the
    # events use, from zoneinfo (Timezone.from_tzid, which add_missing_timezones calls too).
    # The events are joined in as bytes below, so they are not in the tree it would walk.
    for tzid, (first, last) in _zone_years(entries).items():
        calendar.add_component(_vtimezone(tzid, first, last))
    context = _context(settings, wording)
    keys = [_event_key(entry, context, wording.language) for entry in entries]
    cached = [event_cache.get(key) if event_cache is not None else None for key in keys]
    missing = [entry for entry, data in zip(entries, cached, strict=True) if data is None]
    if missing and complete is not None:
        complete([entry.session for entry in missing])
    events = []
    for entry, key, data in zip(entries, keys, cached, strict=True):
        if data is None:
            data = _event(entry, settings=settings, wording=wording).to_ical()
            if event_cache is not None:  # an edited session's old event bytes are dropped
                event_cache.put(key, data, slot=_event_slot(entry, context))
        events.append(data)
    head = calendar.to_ical()
    end = b"END:VCALENDAR\r\n"
    assert head.endswith(end)
    return head[: -len(end)] + b"".join(events) + end


def build_invite(
    entry: Entry,
    *,
    method: str,
    attendee: Attendee,
    stamp: datetime,
    settings: Settings,
    wording: Wording,
) -> bytes:
    """An e-mailed invite (REQUEST) or its withdrawal (CANCEL): one event, for one attendee."""
    if method not in (REQUEST, CANCEL):
        raise ValueError(f"an invite is a REQUEST or a CANCEL, not {method!r}")
    calendar = _calendar(method, settings)
    event = _event(
        entry,
        settings=settings,
        wording=wording,
        stamp=stamp,
        attendee=attendee,
        cancel=method == CANCEL,
    )
    _add_event(calendar, entry, event)
    return calendar.to_ical()


def _calendar(method: str, settings: Settings) -> Calendar:
    # Not Calendar.new(): it adds a random calendar UID, and the bytes would differ every time.
    calendar = Calendar()
    calendar.add("PRODID", settings.prodid)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", method)
    return calendar


def _add_event(calendar: Calendar, entry: Entry, event: Event) -> None:
    for tzid, (first, last) in _zone_years([entry]).items():
        calendar.add_component(_vtimezone(tzid, first, last))  # built once per process
    calendar.add_component(event)
    calendar.add_missing_timezones()  # finds none missing: a safety net for every TZID used


def _zone_years(entries: list[Entry]) -> dict[str, tuple[int, int]]:
    """Each TZID used, with the first and last year its events need."""
    years: dict[str, tuple[int, int]] = {}
    for entry in entries:
        learning_session = entry.session
        first, last = years.get(learning_session.timezone, (9999, 0))
        years[learning_session.timezone] = (
            min(first, learning_session.starts_at.year),
            max(last, learning_session.ends_at.year),
        )
    return dict(sorted(years.items()))


_CONTEXTS: dict[tuple[Settings, Wording], int] = {}
_context_numbers = count()


def _context(settings: Settings, wording: Wording) -> int:
    """A number standing for (settings, wording) in event keys: hashing the two dataclasses
    for each of 1,000 events cost more than the rest of the key. Numbers are never reused, so
    forgetting them all (past 256: they come from the configuration and the language, so
    that is many apps in one process, as in tests) can never make two contexts share one."""
    number = _CONTEXTS.get((settings, wording))
    if number is None:
        if len(_CONTEXTS) >= 256:
            _CONTEXTS.clear()
        number = _CONTEXTS[(settings, wording)] = next(_context_numbers)
    return number


def _event_key(entry: Entry, context: int, language: str) -> Hashable:
    learning_session = entry.session
    organiser = learning_session.organiser
    return (
        learning_session.id,
        learning_session.updated_at,
        learning_session.ical_sequence,
        learning_session.status.value,
        organiser.loc("name", language) if organiser is not None else None,
        entry.url,
        entry.join_url,
        entry.tentative,
        entry.stamp,
        context,
    )


def _event_slot(entry: Entry, context: int) -> Hashable:
    """What one event's cached bytes are a version of: the session in this feed's form."""
    return (entry.session.id, entry.url, entry.join_url, entry.tentative, entry.stamp, context)


@lru_cache(maxsize=64)
def _vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """The VTIMEZONE of *tzid* around these years, built once per process (it takes ~10 ms).

    The cached component is shared by calendars, which only serialise it, never change it.
    """
    return Timezone.from_tzid(
        tzid,
        first_date=date(first_year - 1, 1, 1),
        last_date=date(last_year + 2, 1, 1),
    )


def _event(
    entry: Entry,
    *,
    settings: Settings,
    wording: Wording,
    stamp: datetime | None = None,
    attendee: Attendee | None = None,
    cancel: bool = False,
) -> Event:
    learning_session = entry.session
    language = wording.language
    cancelled = cancel or learning_session.status.value == "cancelled"
    zone = ZoneInfo(learning_session.timezone)
    title = learning_session.loc("title", language)
    summary = f"{wording.cancelled}: {title}" if cancelled else title
    join_url = "" if cancelled else entry.join_url
    organiser = learning_session.organiser
    organizer = vCalAddress(f"mailto:{settings.organizer_email}")
    organizer.params["CN"] = (
        organiser.loc("name", language) if organiser is not None else settings.organizer_name
    )
    if cancelled:
        status = "CANCELLED"
    elif entry.tentative:
        status = "TENTATIVE"
    else:
        status = "CONFIRMED"
    event = Event()
    event.add("UID", session_uid(learning_session.id, settings.uid_domain))
    event.add("DTSTAMP", (stamp or entry.stamp or learning_session.updated_at).astimezone(UTC))
    event.add("SEQUENCE", learning_session.ical_sequence)
    event.add("DTSTART", learning_session.starts_at.astimezone(zone))
    event.add("DTEND", learning_session.ends_at.astimezone(zone))
    event.add("SUMMARY", summary)
    event.add("DESCRIPTION", _description(entry, wording, cancelled, join_url))
    event.add("URL", entry.url)
    if location := location_text(learning_session, wording):
        event.add("LOCATION", location)
    event.add("ORGANIZER", organizer)
    if attendee is not None:
        address = vCalAddress(f"mailto:{attendee.email}")
        if attendee.name:
            address.params["CN"] = attendee.name
        address.params["CUTYPE"] = "INDIVIDUAL"
        address.params["ROLE"] = "REQ-PARTICIPANT"
        address.params["PARTSTAT"] = "NEEDS-ACTION"
        if not cancel:
            address.params["RSVP"] = "TRUE"
        event.add("ATTENDEE", address)
    event.add("STATUS", status)
    event.add("TRANSP", "TRANSPARENT" if cancelled else "OPAQUE")
    event.add("CREATED", learning_session.created_at.astimezone(UTC))
    event.add("LAST-MODIFIED", learning_session.updated_at.astimezone(UTC))
    if join_url:
        conference = Conference(join_url, label=learning_session.platform or None)
        event.conferences = [conference]
    if settings.reminder and not cancelled:
        alarm = Alarm()
        alarm.add("ACTION", "DISPLAY")
        alarm.add("DESCRIPTION", title)
        alarm.add("TRIGGER", -settings.reminder)
        event.add_component(alarm)
    return event


def _description(entry: Entry, wording: Wording, cancelled: bool, join_url: str) -> str:
    learning_session = entry.session
    parts = []
    if cancelled:
        parts.append(wording.cancelled_note)
    elif entry.tentative:
        parts.append(wording.waitlisted)
    if join_url:
        parts.append(f"{wording.join}: {join_url}")
    if text := plain_text(learning_session.loc("description", wording.language)):
        parts.append(text)
    parts.append(f"{wording.details}: {entry.url}")
    return "\n\n".join(parts)


def location_text(learning_session: LearningSession, wording: Wording) -> str:
    """The venue, "Online: <platform>", or both for a hybrid session."""
    online = f"{wording.online}: {learning_session.platform}" if learning_session.platform else ""
    online = online or wording.online
    session_format = learning_session.format.value
    if session_format == "onsite":
        return learning_session.venue
    if session_format == "online":
        return online
    return " · ".join(part for part in (learning_session.venue, online) if part)
