"""The Atom feed of newly published summaries (/feed.atom), written by feedgen.

One entry per session with a published summary, in the reader's language where there is one
(else the original): its id is stable (a tag: URI from the calendar UID domain), `published` is
when the summary first went out, `updated` its last change, and the content is the summary as
the session page shows it, already sanitised, with absolute links.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from feedgen.feed import FeedGenerator
from flask import current_app, get_template_attribute, url_for
from flask_babel import gettext as _

from exchange.ics.builder import uid_domain
from exchange.markup import excerpt
from exchange.models import LearningSession, Note


def entry_id(learning_session: LearningSession) -> str:
    return f"tag:{uid_domain(current_app.config)},2026:session-{learning_session.id}/summary"


def build_feed(
    items: Sequence[tuple[LearningSession, Note]], language: str, updated: datetime
) -> bytes:
    """*items* newest first; *updated* is the feed's last change (also with no entries)."""
    lang = {} if language == current_app.config["BABEL_DEFAULT_LOCALE"] else {"lang": language}
    note_content = get_template_attribute("_macros/notes.html", "note_content")
    feed = FeedGenerator()
    feed.id(url_for("knowledge.atom", _external=True, **lang))
    feed.title(_("Learning Exchange: new summaries"))
    feed.subtitle(_("What agencies learned and shared, session by session."))
    feed.language(language)
    feed.author({"name": _("Learning Exchange")})
    feed.link(href=url_for("knowledge.atom", _external=True, **lang), rel="self")
    feed.link(href=url_for("main.index", _external=True, **lang), rel="alternate")
    feed.icon(url_for("static", filename="favicon.svg", _external=True))
    feed.generator("Learning Exchange")
    feed.updated(updated)
    for learning_session, note in reversed(items):  # feedgen puts each new entry first
        entry = feed.add_entry()
        entry.id(entry_id(learning_session))
        entry.title(note.title or learning_session.loc("title", note.language))
        page = url_for("sessions.detail", slug=learning_session.slug, _external=True, **lang)
        entry.link(href=f"{page}#summary", rel="alternate", type="text/html")
        entry.published(note.published_at or note.updated_at)
        entry.updated(max(note.updated_at, note.published_at or note.updated_at))
        organiser = learning_session.organiser
        entry.author(
            {"name": organiser.loc("name", note.language) if organiser else _("Learning Exchange")}
        )
        for topic in learning_session.topics:
            entry.category(term=topic.slug, label=topic.loc("name", language))
        entry.summary(excerpt(note.body or note.conclusion, 400) or None)
        entry.content(str(note_content(note, external=True)), type="html")
    return feed.atom_str(pretty=False)
