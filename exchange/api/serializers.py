"""Models as the API's JSON: plain dicts, built from what the caller loaded (no queries here).

Texts come in both languages (``text``), times as RFC 3339 with the offset of the session's own
timezone, links as absolute URLs. What a page keeps from the public is never here: the join
link, registrants, anything personal about participants. Each function's shape is the schema
of the same name in ``exchange.api.read.SCHEMAS``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import url_for
from markupsafe import Markup
from werkzeug.urls import iri_to_uri

from exchange.db import utcnow
from exchange.markup import render_markdown, safe_href
from exchange.models import (
    Agency,
    AgendaItem,
    Appearance,
    ContentStatus,
    LearningSession,
    Note,
    NoteSection,
    Person,
    SearchKind,
    Takeaway,
    Topic,
)
from exchange.services import registration
from exchange.services.agencies import AgencyNode
from exchange.services.registration import Counts, closed_reason
from exchange.services.search import Hit, Results

Json = dict[str, Any]


def text(obj: object, field: str) -> Json:
    """``{"th": …, "en": … or None}`` from ``<field>_th`` and ``<field>_en``."""
    return {
        "th": getattr(obj, f"{field}_th", "") or "",
        "en": getattr(obj, f"{field}_en", "") or None,
    }


def moment(value: datetime | None, timezone: str) -> str | None:
    """RFC 3339 with the offset *timezone* has at that moment (None stays None)."""
    if value is None:
        return None
    return value.astimezone(ZoneInfo(timezone)).isoformat(timespec="seconds")


def web_url(url: str | None) -> str | None:
    """A stored address as a URI if it is a web or mail one (``markup.safe_href``), else None.

    Non-ASCII characters (a Thai path) are percent-encoded, so the value is a URI, not an IRI.
    """
    href = safe_href(url)
    if not href:
        return None
    try:
        uri = iri_to_uri(href)
    except ValueError:  # e.g. a port that is not a number
        return None
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in uri):
        return None
    return uri


def markdown(source: str | None) -> Json:
    """Markdown as written and as sanitised HTML (``exchange.markup.render_markdown``)."""
    return {"markdown": source or "", "html": str(render_markdown(source))}


def highlighted(value: Markup) -> Json:
    """A search highlight (``<mark>`` in escaped text) as plain text and as HTML."""
    return {"text": value.striptags(), "html": str(value)}


# --- references: the few fields that name a thing and link to it ----------------------------


def agency_ref(agency: Agency | None) -> Json | None:
    if agency is None:
        return None
    return {
        "slug": agency.slug,
        "name": text(agency, "name"),
        "abbr": text(agency, "abbr"),
        "url": url_for("agencies.detail", slug=agency.slug, _external=True),
        "api_url": url_for("api.agency", slug=agency.slug, _external=True),
    }


def topic_ref(topic: Topic) -> Json:
    return {
        "slug": topic.slug,
        "name": text(topic, "name"),
        "url": url_for("knowledge.topic", slug=topic.slug, _external=True),
        "api_url": url_for("api.topic", slug=topic.slug, _external=True),
    }


def person_ref(person: Person) -> Json:
    return {
        "slug": person.slug,
        "prefix": text(person, "prefix"),
        "name": text(person, "name"),
        "url": url_for("knowledge.person", slug=person.slug, _external=True),
        "api_url": url_for("api.person", slug=person.slug, _external=True),
    }


def session_ref(learning_session: LearningSession) -> Json:
    """A session named in passing (under a takeaway): no relations needed."""
    zone = learning_session.timezone
    return {
        "slug": learning_session.slug,
        "status": learning_session.status.value,
        "title": text(learning_session, "title"),
        "starts_at": moment(learning_session.starts_at, zone),
        "timezone": zone,
        "url": url_for("sessions.detail", slug=learning_session.slug, _external=True),
        "api_url": url_for("api.session", slug=learning_session.slug, _external=True),
    }


# --- sessions --------------------------------------------------------------------------------


def session_summary(learning_session: LearningSession) -> Json:
    """A session in a list: needs its organiser and topics loaded (``sessions.card_options``)."""
    s = learning_session
    return {
        "slug": s.slug,
        "status": s.status.value,
        "format": s.format.value,
        "title": text(s, "title"),
        "starts_at": moment(s.starts_at, s.timezone),
        "ends_at": moment(s.ends_at, s.timezone),
        "timezone": s.timezone,
        "organiser": agency_ref(s.organiser),
        "topics": [topic_ref(t) for t in s.topics],
        "url": url_for("sessions.detail", slug=s.slug, _external=True),
        "api_url": url_for("api.session", slug=s.slug, _external=True),
    }


def session_detail(
    learning_session: LearningSession, *, counts: Counts | None = None, now: datetime | None = None
) -> Json:
    """One session with all that its public page shows, loaded by ``sessions.session_page``.

    *counts* are its registration counts (``registration.counts``); without them this runs
    that one query. Only published notes and takeaways are included, whatever was loaded.
    """
    s = learning_session
    now = now or utcnow()
    if counts is None:
        counts = registration.counts(s.id)
    zone = s.timezone
    ended = s.ends_at <= now
    return {
        **session_summary(s),
        "description": text(s, "description"),
        "venue": s.venue or None,
        "platform": s.platform or None,
        "agenda": [agenda_item(item, zone) for item in s.agenda_items],
        "people": [appearance(a) for a in s.appearances],
        "agencies": [agency_ref(a) for a in _taking_part(s.appearances)],
        "registration": registration_info(s, counts, now),
        "notes": [
            note(n, zone)
            for n in sorted(s.notes, key=lambda n: (n.language != "th", n.language))
            if n.status is ContentStatus.PUBLISHED
        ],
        "takeaways": [
            session_takeaway(t) for t in s.takeaways if t.status is ContentStatus.PUBLISHED
        ],
        "recording_url": web_url(s.recording_url) if ended else None,
        "ics_url": url_for("ics.session_file", slug=s.slug, _external=True),
    }


def _taking_part(appearances: Iterable[Appearance]) -> list[Agency]:
    """The agencies people appeared for, in the order they appeared, each once."""
    seen: dict[int, Agency] = {}
    for a in appearances:
        if a.agency is not None:
            seen.setdefault(a.agency.id, a.agency)
    return list(seen.values())


def agenda_item(item: AgendaItem, timezone: str) -> Json:
    return {
        "id": item.id,
        "position": item.position,
        "starts_at": moment(item.starts_at, timezone),
        "ends_at": moment(item.ends_at, timezone),
        "title": text(item, "title"),
        "description": text(item, "description"),
    }


def appearance(a: Appearance) -> Json:
    """A person in a role, with the position and agency they had then."""
    return {
        "person": person_ref(a.person),
        "role": a.role.value,
        "position": text(a, "position_title"),
        "agency": agency_ref(a.agency),
        "agenda_item_id": a.agenda_item_id,
    }


def registration_info(s: LearningSession, counts: Counts, now: datetime) -> Json:
    """Whether one can register now (or why not) and the seats: counts, never registrants."""
    reason = closed_reason(s, now)
    capacity = s.capacity
    return {
        "open": reason is None,
        "closed_reason": reason.value if reason else None,
        "opens_at": moment(s.registration_opens_at, s.timezone),
        "closes_at": moment(s.registration_closes_at, s.timezone),
        "capacity": capacity,
        "confirmed": counts.confirmed,
        "waitlisted": counts.waitlisted,
        "seats_left": None if capacity is None else max(0, capacity - counts.confirmed),
    }


def note(n: Note, timezone: str) -> Json:
    """A published summary in one language: introduction, sections, conclusion, source."""
    return {
        "language": n.language,
        "title": n.title or None,
        "introduction": markdown(n.body),
        "sections": [note_section(section) for section in n.sections],
        "conclusion": markdown(n.conclusion),
        "source": {"name": n.source_name or None, "url": web_url(n.source_url)},
        "published_at": moment(n.published_at, timezone),
    }


def note_section(section: NoteSection) -> Json:
    return {
        "heading": section.heading or None,
        "body": markdown(section.body),
        "agency": agency_ref(section.agency),
    }


def session_takeaway(t: Takeaway) -> Json:
    """A takeaway under its session: needs its agencies and topics loaded."""
    return {
        "id": t.id,
        "kind": t.kind.value,
        "statement": text(t, "statement"),
        "agencies": [agency_ref(a) for a in t.agencies],
        "topics": [topic_ref(topic) for topic in t.topics],
    }


def takeaway(t: Takeaway) -> Json:
    """A takeaway in a list across sessions (``knowledge.takeaway_options``)."""
    return {**session_takeaway(t), "session": session_ref(t.learning_session)}


# --- agencies, people, topics ----------------------------------------------------------------


def agency_node(node: AgencyNode) -> Json:
    """An agency in the tree (``agencies.agency_tree``), its sub-agencies nested."""
    return {
        **agency_ref(node.agency),
        "kind": node.agency.kind.value,
        "sessions_count": node.sessions,
        "takeaways_count": node.takeaways,
        "children": [agency_node(child) for child in node.children],
    }


def agency_detail(
    agency: Agency,
    sessions: list[LearningSession],
    *,
    sessions_total: int,
    takeaways_total: int,
) -> Json:
    """An agency (``agencies.agency_by_slug``) with its latest sessions (card-loaded)."""
    return {
        **agency_ref(agency),
        "kind": agency.kind.value,
        "website": web_url(agency.website),
        "parent": agency_ref(agency.parent),
        "children": [agency_ref(child) for child in agency.children],
        "sessions": _counted_sessions(sessions, sessions_total, agency=agency.slug),
        "takeaways": _counted_takeaways(takeaways_total, agency=agency.slug),
    }


def _counted_sessions(items: list[LearningSession], total: int, **filters: str) -> Json:
    return {
        "total": total,
        "data": [session_summary(s) for s in items],
        "api_url": url_for("api.sessions", when="all", **filters, _external=True),
    }


def _counted_takeaways(total: int, **filters: str) -> Json:
    return {
        "total": total,
        "url": url_for("knowledge.takeaways", **filters, _external=True),
        "api_url": url_for("api.takeaways", **filters, _external=True),
    }


def person_detail(person: Person, appearances: list[Appearance]) -> Json:
    """A person with their public appearances (``knowledge.person_appearances``)."""
    return {
        **person_ref(person),
        "appearances": [
            {
                "role": a.role.value,
                "position": text(a, "position_title"),
                "agency": agency_ref(a.agency),
                "agenda_item": (
                    {"id": a.agenda_item.id, "title": text(a.agenda_item, "title")}
                    if a.agenda_item is not None
                    else None
                ),
                "session": session_summary(a.learning_session),
            }
            for a in appearances
        ],
    }


def topic_summary(topic: Topic, sessions: int, takeaways: int) -> Json:
    return {
        **topic_ref(topic),
        "description": text(topic, "description"),
        "sessions_count": sessions,
        "takeaways_count": takeaways,
    }


def topic_detail(
    topic: Topic,
    sessions: list[LearningSession],
    *,
    sessions_total: int,
    takeaways_total: int,
    agencies: list[tuple[Agency, int]],
) -> Json:
    """A topic with its latest sessions and the agencies that said most on it."""
    return {
        **topic_ref(topic),
        "description": text(topic, "description"),
        "sessions": _counted_sessions(sessions, sessions_total, topic=topic.slug),
        "takeaways": _counted_takeaways(takeaways_total, topic=topic.slug),
        "agencies": [{"agency": agency_ref(a), "takeaways": n} for a, n in agencies],
    }


# --- search ----------------------------------------------------------------------------------


def search_results(results: Results, *, more: Callable[[SearchKind], str] | None) -> Json:
    """``search.search`` results by kind; *more* gives the address of a kind's full list."""
    return {
        "query": results.query,
        "total": results.total,
        "capped": results.capped,
        "groups": [
            {
                "kind": group.kind.value,
                "total": group.total,
                "capped": group.capped,
                "data": [search_hit(hit) for hit in group.hits],
                "more_api_url": more(group.kind) if more else None,
            }
            for group in results.groups
        ],
        "meta": None,
        "links": None,
    }


def search_hit(hit: Hit) -> Json:
    """One result: a session, summary (note), takeaway, agency or person, and where it is."""
    item: Any = hit.item
    session = item.learning_session if hit.kind in (SearchKind.NOTE, SearchKind.TAKEAWAY) else None
    if hit.kind is SearchKind.AGENCY:
        links = {
            "url": url_for("agencies.detail", slug=item.slug, _external=True),
            "api_url": url_for("api.agency", slug=item.slug, _external=True),
        }
    elif hit.kind is SearchKind.PERSON:
        links = {
            "url": url_for("knowledge.person", slug=item.slug, _external=True),
            "api_url": url_for("api.person", slug=item.slug, _external=True),
        }
    else:
        target = session or item
        anchor = "summary" if hit.kind is SearchKind.NOTE else None
        links = {
            "url": url_for("sessions.detail", slug=target.slug, _anchor=anchor, _external=True),
            "api_url": url_for("api.session", slug=target.slug, _external=True),
        }
    return {
        "kind": hit.kind.value,
        "id": hit.ref_id,
        "title": highlighted(hit.title),
        "snippet": highlighted(hit.snippet),
        "session": session_ref(session) if session is not None else None,
        **links,
    }
