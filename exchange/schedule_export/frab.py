"""Turn learning sessions into the frab/pretalx "schedule" format: schedule.xml and schedule.json.

The format is the one conference apps read (Giggity, ConfClerk, EventFahrplan) and pretalx
and the c3voc tools import: the c3voc schedule XSD for the XML, its JSON schema
(``https://c3voc.de/schedule/schema.json``) for the JSON. Pure, like ``exchange.ics.builder``:
no Flask imports and no queries; callers pass sessions with ``organiser``, ``topics``,
``agenda_items`` and ``appearances`` (with ``person``) loaded, plain settings, and the words of
the reader's language. The same input gives the same bytes.

- One event per session, never a join link or anything about registrants. Its ``guid`` is a
  UUID5 of the calendar UID domain and the session id, so a bookmark in an app survives every
  change; its ``id`` is the session id.
- Days are the dates the sessions start on, in each session's own timezone, numbered 1, 2, …
  in order: only days that have sessions (a year of a weekly series is 52 days, not 365 empty
  ones). ``days``/``daysCount`` is their number; ``start``/``end`` the first and last. An empty
  schedule still has one day (the XSD wants at least one): the first day asked for.
- A day runs from midnight to 23:59:59 in the site's timezone, widened to hold its events.
- Durations are HH:MM, at most 99:59 (the XSD's pattern allows two digits for the hours).
- Text is plain; characters XML cannot carry (control characters) are dropped from both files.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from lxml import etree

from exchange.markup import excerpt, plain_text

if TYPE_CHECKING:
    from exchange.models import Appearance, LearningSession

JSON_SCHEMA = "https://c3voc.de/schedule/schema.json"
GENERATOR = "Learning Exchange"
FORMAT_VERSION = "1"  # raise when the output changes, so that ETags change with it
TIMESLOT = "00:05"
MAX_MINUTES = 99 * 60 + 59
ABSTRACT_LENGTH = 300

# Everything XML 1.0 cannot hold: C0 controls except tab/newline/CR, surrogates, U+FFFE/FFFF.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NOT_ACRONYM = re.compile(r"[^a-z0-9_]+")
_NOT_SLUG = re.compile(r"[^a-z0-9_-]+")


@dataclass(frozen=True)
class Settings:
    """What the app's configuration decides about every schedule."""

    uid_domain: str  # as for calendar UIDs (``exchange.ics.builder.uid_domain``): never change
    timezone: str  # the site's IANA zone: ``time_zone_name`` and the days' bounds
    base_url: str  # the site's absolute root, "https://exchange.example.org/"


@dataclass(frozen=True)
class Wording:
    """The words a schedule shows, in the reader's language (the caller translates them)."""

    language: str = "th"
    online: str = "Online"  # the room of an online session without a platform name
    agenda: str = "Agenda"  # heads the agenda in an event's description
    formats: Mapping[str, str] = field(default_factory=dict)  # "online" -> "Online" (the type)


@dataclass(frozen=True)
class Conference:
    """The series a schedule holds: all sessions, one agency's or one topic's."""

    title: str
    acronym: str  # see ``acronym()``
    url: str  # the series' page
    version: str  # changes whenever an included session changes
    first_day: date  # the first day asked for: the one day of an empty schedule


@dataclass(frozen=True)
class Entry:
    """One session and its public page."""

    session: LearningSession
    url: str


@dataclass(frozen=True)
class Person:
    id: int
    guid: str
    name: str


@dataclass(frozen=True)
class Event:
    id: int
    guid: str
    start: datetime  # aware, in the session's timezone
    duration: str  # "HH:MM"
    room: str
    slug: str
    url: str
    title: str
    subtitle: str
    track: str
    type: str
    language: str
    abstract: str
    description: str
    persons: tuple[Person, ...]


@dataclass(frozen=True)
class Day:
    index: int
    date: date
    start: datetime
    end: datetime
    rooms: tuple[tuple[str, tuple[Event, ...]], ...]  # (room name, events by start)


@dataclass(frozen=True)
class Schedule:
    conference: Conference
    settings: Settings
    days: tuple[Day, ...]

    @property
    def start(self) -> date:
        return self.days[0].date

    @property
    def end(self) -> date:
        return self.days[-1].date

    def rooms(self) -> list[str]:
        """Every room name, in the order they first appear."""
        names: dict[str, None] = {}
        for day in self.days:
            names.update((name, None) for name, _ in day.rooms)
        return list(names)

    def tracks(self) -> list[str]:
        return sorted({e.track for day in self.days for _, es in day.rooms for e in es if e.track})


# --- Identifiers ------------------------------------------------------------------------------


def _namespace(domain: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_DNS, domain)


def event_guid(session_id: int, domain: str) -> str:
    """The session's event UUID: the same for every download, every language, every series."""
    return str(uuid.uuid5(_namespace(domain), f"session/{session_id}"))


def person_guid(person_id: int, domain: str) -> str:
    return str(uuid.uuid5(_namespace(domain), f"person/{person_id}"))


def room_guid(name: str, domain: str) -> str:
    return str(uuid.uuid5(_namespace(domain), f"room/{name}"))


def acronym(*parts: str) -> str:
    """Lower-case letters, digits and "_", as the JSON schema wants ("lx_agency_dga")."""
    text = _NOT_ACRONYM.sub("_", "_".join(parts).lower()).strip("_")
    return text if len(text) >= 4 else f"lx_{text}_schedule".replace("__", "_")


def event_slug(session_id: int, slug: str) -> str:
    """Unique (the id) and of the schema's characters: "lx-42-open-data-day"."""
    return _NOT_SLUG.sub("-", f"lx-{session_id}-{slug}".lower()).rstrip("-_")


def clean(text: str | None) -> str:
    """*text* without the characters XML cannot carry."""
    return _NOT_XML.sub("", text or "")


def _one_line(text: str | None) -> str:
    return " ".join(clean(text).split())


def _hhmm(delta: timedelta) -> str:
    minutes = min(max(int(delta.total_seconds() // 60), 0), MAX_MINUTES)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _iso(moment: datetime) -> str:
    """ISO 8601 with a ±HH:MM offset. Local mean times (zones before about 1920) have offset
    seconds, which the XSD does not allow: they are left out, a shift of under a minute."""
    minutes = int((moment.utcoffset() or timedelta()).total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    wall = moment.replace(tzinfo=None).isoformat(timespec="seconds")
    return f"{wall}{sign}{hours:02d}:{minutes:02d}"


# --- From sessions to a schedule --------------------------------------------------------------


def build(
    entries: Iterable[Entry], *, conference: Conference, settings: Settings, wording: Wording
) -> Schedule:
    """The schedule of *entries* (sorted by start), grouped by day and room."""
    site_zone = ZoneInfo(settings.timezone)
    days: dict[date, dict[str, list[Event]]] = {}
    for entry in entries:
        event = _event(entry, settings, wording)
        days.setdefault(event.start.date(), {}).setdefault(event.room, []).append(event)
    built = []
    for index, day in enumerate(sorted(days), start=1):
        rooms = days[day]
        events = [event for room in rooms.values() for event in room]
        start = datetime.combine(day, time(), site_zone)
        end = datetime.combine(day, time(23, 59, 59), site_zone)
        earliest = min(event.start for event in events)
        latest = max(event.start + _as_delta(event.duration) for event in events)
        if earliest < start:
            start = earliest.astimezone(site_zone)
        if latest > end:
            end = latest.astimezone(site_zone)
        ordered = tuple(
            (name, tuple(sorted(room, key=lambda e: (e.start, e.id))))
            for name, room in rooms.items()
        )
        built.append(Day(index, day, start, end, ordered))
    if not built:
        day = conference.first_day
        built.append(
            Day(
                1,
                day,
                datetime.combine(day, time(), site_zone),
                datetime.combine(day, time(23, 59, 59), site_zone),
                (),
            )
        )
    return Schedule(conference, settings, tuple(built))


def _as_delta(duration: str) -> timedelta:
    hours, minutes = duration.split(":")
    return timedelta(hours=int(hours), minutes=int(minutes))


def _event(entry: Entry, settings: Settings, wording: Wording) -> Event:
    learning_session = entry.session
    language = wording.language
    zone = ZoneInfo(learning_session.timezone)
    start = learning_session.starts_at.astimezone(zone)
    organiser = learning_session.organiser
    topics = learning_session.topics
    description = learning_session.loc("description", language)
    uses_english = language == "en" and bool(learning_session.title_en)
    return Event(
        id=learning_session.id,
        guid=event_guid(learning_session.id, settings.uid_domain),
        start=start,
        duration=_hhmm(learning_session.ends_at - learning_session.starts_at),
        room=room_name(learning_session, wording),
        slug=event_slug(learning_session.id, learning_session.slug),
        url=clean(entry.url),
        title=_one_line(learning_session.loc("title", language)),
        subtitle=_one_line(organiser.loc("name", language)) if organiser is not None else "",
        track=_one_line(topics[0].loc("name", language)) if topics else "",
        type=clean(wording.formats.get(learning_session.format.value, "")),
        language="en" if uses_english or not learning_session.title_th else "th",
        abstract=clean(excerpt(description, ABSTRACT_LENGTH)),
        description=clean(_description(learning_session, wording, zone)),
        persons=_persons(learning_session.appearances, settings, language),
    )


def room_name(learning_session: LearningSession, wording: Wording) -> str:
    """The venue; for an online session the platform ("Zoom"), else "Online"."""
    if learning_session.format.value != "online" and _one_line(learning_session.venue):
        return _one_line(learning_session.venue)
    return _one_line(learning_session.platform) or _one_line(wording.online) or "Online"


def _persons(
    appearances: Iterable[Appearance], settings: Settings, language: str
) -> tuple[Person, ...]:
    """Everyone in a role (host, keynote, speakers, moderators, panellists), each once."""
    ordered = sorted(appearances, key=lambda a: (list(type(a.role)).index(a.role), a.sort_order))
    people: dict[int, Person] = {}
    for appearance in ordered:
        person = appearance.person
        if person.id not in people:
            name = _one_line(person.display_name(language))
            people[person.id] = Person(person.id, person_guid(person.id, settings.uid_domain), name)
    return tuple(people.values())


def _description(learning_session: LearningSession, wording: Wording, zone: ZoneInfo) -> str:
    """The description as plain text, then the agenda with its times and people."""
    language = wording.language
    parts = []
    if text := plain_text(learning_session.loc("description", language)):
        parts.append(text)
    names: dict[int, list[str]] = {}
    for appearance in learning_session.appearances:
        if appearance.agenda_item_id is not None:
            name = appearance.person.display_name(language)
            names.setdefault(appearance.agenda_item_id, []).append(name)
    first_day = learning_session.starts_at.astimezone(zone).date()
    lines = []
    for item in learning_session.agenda_items:
        start = item.starts_at.astimezone(zone)
        when = start.strftime("%H:%M")
        if start.date() != first_day:
            when = f"{start.date().isoformat()} {when}"
        if item.ends_at is not None:
            when += "–" + item.ends_at.astimezone(zone).strftime("%H:%M")
        line = f"{when} {_one_line(item.loc('title', language))}"
        if people := names.get(item.id):
            line += " (" + ", ".join(_one_line(name) for name in people) + ")"
        lines.append(line)
    if lines:
        parts.append(f"{wording.agenda}:\n" + "\n".join(lines))
    return "\n\n".join(parts)


# --- Writing ----------------------------------------------------------------------------------


def to_xml(schedule: Schedule) -> bytes:
    """schedule.xml: UTF-8, every value escaped by lxml."""
    conference = schedule.conference
    root = etree.Element("schedule")
    etree.SubElement(root, "generator", name=GENERATOR, version=FORMAT_VERSION)
    _add(root, "version", conference.version)
    head = etree.SubElement(root, "conference")
    for tag, value in (
        ("acronym", conference.acronym),
        ("title", clean(conference.title)),
        ("start", schedule.start.isoformat()),
        ("end", schedule.end.isoformat()),
        ("days", str(len(schedule.days))),
        ("timeslot_duration", TIMESLOT),
        ("base_url", schedule.settings.base_url),
        ("time_zone_name", schedule.settings.timezone),
    ):
        _add(head, tag, value)
    for day in schedule.days:
        day_element = etree.SubElement(
            root,
            "day",
            index=str(day.index),
            date=day.date.isoformat(),
            start=_iso(day.start),
            end=_iso(day.end),
        )
        for name, events in day.rooms:
            room = etree.SubElement(day_element, "room", name=name)
            for event in events:
                _xml_event(room, event)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)


def _add(parent: etree._Element, tag: str, text: str) -> etree._Element:
    element = etree.SubElement(parent, tag)
    element.text = text
    return element


def _xml_event(room: etree._Element, event: Event) -> None:
    element = etree.SubElement(room, "event", guid=event.guid, id=str(event.id))
    for tag, value in (
        ("date", _iso(event.start)),
        ("start", event.start.strftime("%H:%M")),
        ("duration", event.duration),
        ("room", event.room),
        ("slug", event.slug),
        ("url", event.url),
        ("title", event.title),
        ("subtitle", event.subtitle),
        ("track", event.track),
        ("type", event.type),
        ("language", event.language),
        ("abstract", event.abstract),
        ("description", event.description),
    ):
        _add(element, tag, value)
    persons = etree.SubElement(element, "persons")
    for person in event.persons:
        etree.SubElement(persons, "person", id=str(person.id)).text = person.name
    etree.SubElement(element, "links")


def to_json(schedule: Schedule) -> bytes:
    """schedule.json, as pretalx writes it (Thai as Thai, not \\u escapes)."""
    conference = schedule.conference
    domain = schedule.settings.uid_domain
    document = {
        "$schema": JSON_SCHEMA,
        "generator": {"name": GENERATOR, "version": FORMAT_VERSION},
        "schedule": {
            "version": conference.version,
            "base_url": schedule.settings.base_url,
            "conference": {
                "acronym": conference.acronym,
                "title": clean(conference.title),
                "start": schedule.start.isoformat(),
                "end": schedule.end.isoformat(),
                "daysCount": len(schedule.days),
                "timeslot_duration": TIMESLOT,
                "time_zone_name": schedule.settings.timezone,
                "url": conference.url,
                "rooms": [{"name": n, "guid": room_guid(n, domain)} for n in schedule.rooms()],
                "tracks": [{"name": name} for name in schedule.tracks()],
                "days": [_json_day(day) for day in schedule.days],
            },
        },
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def _json_day(day: Day) -> dict[str, object]:
    return {
        "index": day.index,
        "date": day.date.isoformat(),
        "day_start": _iso(day.start),
        "day_end": _iso(day.end),
        "rooms": {name: [_json_event(event) for event in events] for name, events in day.rooms},
    }


def _json_event(event: Event) -> dict[str, object]:
    return {
        "id": event.id,
        "guid": event.guid,
        "date": _iso(event.start),
        "start": event.start.strftime("%H:%M"),
        "duration": event.duration,
        "room": event.room,
        "slug": event.slug,
        "url": event.url,
        "title": event.title,
        "subtitle": event.subtitle,
        "track": event.track or None,
        "type": event.type,
        "language": event.language,
        "abstract": event.abstract,
        "description": event.description,
        # name for pretalx-style readers, public_name for older frab-style ones
        "persons": [{"guid": p.guid, "name": p.name, "public_name": p.name} for p in event.persons],
        "links": [],
    }
