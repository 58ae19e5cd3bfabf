"""Public session pages. Views stay thin: read arguments, call a service, render."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from exchange.agencies import choices
from exchange.db import db, utcnow
from exchange.forms import ConfirmForm, fill_agency_choices
from exchange.i18n import current_language
from exchange.models import Agency, Topic
from exchange.page_cache import cached_page
from exchange.pagination import paginate
from exchange.permissions import can_manage_session
from exchange.registration.forms import GuestRegistrationForm
from exchange.services import calendars, join_links, knowledge, sessions
from exchange.services import registration as registration_service

bp = Blueprint("sessions", __name__)


@bp.get("")
@cached_page
def index() -> tuple[str, int]:
    """Upcoming or past sessions, filtered by topic and agency."""
    when_arg = request.args.get("when", sessions.When.UPCOMING.value)
    try:
        when = sessions.When(when_arg)
    except ValueError:
        abort(404)
    topic_slug = request.args.get("topic", "")
    agency_slug = request.args.get("agency", "")
    topic = db.session.scalar(select(Topic).filter_by(slug=topic_slug)) if topic_slug else None
    agency = db.session.scalar(select(Agency).filter_by(slug=agency_slug)) if agency_slug else None
    unknown = (topic_slug and topic is None) or (agency_slug and agency is None)
    pagination = None
    if not unknown:
        query = sessions.session_list(utcnow(), when, topic=topic, agency=agency)
        pagination = paginate(query, current_app.config["SESSIONS_PER_PAGE"])
    page = render_template(
        "sessions/index.html",
        when=when,
        pagination=pagination,
        topic=topic,
        agency=agency,
        unknown_filter=unknown,
        topics=db.session.scalars(select(Topic).order_by(Topic.name_th)).all(),
        agency_options=choices.filter_options(agency.slug if agency else ""),
        now=utcnow(),
    )
    return page, 404 if unknown else 200


@bp.get("/<slug>")
@cached_page
def detail(slug: str) -> str:
    return render_detail(slug)


@bp.get("/<slug>/compare")
@cached_page
def compare(slug: str) -> str:
    """Agencies × topics: who said what in one session."""
    learning_session = sessions.session_page(slug)
    if learning_session is None:
        abort(404)
    return render_template(
        "sessions/compare.html",
        s=learning_session,
        comparison=knowledge.compare(learning_session),
    )


def render_detail(
    slug: str, guest_form: GuestRegistrationForm | None = None, *, include_drafts: bool = False
) -> str:
    """The session page; the guest form comes back with its errors after a failed POST.
    Organisers preview drafts with ``include_drafts``."""
    learning_session = sessions.session_page(slug, include_drafts=include_drafts)
    if learning_session is None:
        abort(404)
    now = utcnow()
    attributed, shared = knowledge.split_takeaways(learning_session)
    mine = None
    if current_user.is_authenticated:
        mine = registration_service.find(learning_session.id, current_user.id)
    closed = registration_service.closed_reason(learning_session, now)
    if guest_form is None and not current_user.is_authenticated and closed is None:
        guest_form = GuestRegistrationForm(formdata=None)
        fill_agency_choices(guest_form.agency)
    # A registration from before personal links gets its token now (committed after rendering).
    made_token = join_links.ensure_join_tokens([mine] if mine else [])
    counts = registration_service.counts(learning_session.id)
    capacity = learning_session.capacity
    can_manage = can_manage_session(current_user, learning_session)
    language = current_language()
    lang = {} if language == current_app.config["BABEL_DEFAULT_LOCALE"] else {"lang": language}
    feed_url = url_for("ics.feed", _external=True, **lang)
    page = render_template(
        "sessions/detail.html",
        s=learning_session,
        now=now,
        people_by_item=sessions.appearances_by_item(learning_session),
        note=sessions.note_for(learning_session, current_language()),
        attributed=attributed,
        shared=shared,
        mine=mine,
        place=registration_service.waitlist_place(mine) if mine else None,
        closed=closed,
        closed_message=registration_service.closed_message(closed) if closed else "",
        counts=counts,
        seats_left=None if capacity is None else max(0, capacity - counts.confirmed),
        can_manage=can_manage,
        show_join=bool(learning_session.join_url and can_manage),  # the platform's own link
        my_join_url=join_links.personal_link_for(mine),
        guest_form=guest_form,
        button_form=ConfirmForm(),
        ics_url=url_for("ics.session_file", slug=learning_session.slug, **lang),
        feed_webcal=calendars.webcal(feed_url),
        calendar_links=calendars.add_to_calendar_links(learning_session, language),
    )
    if made_token:
        db.session.commit()
    return page
