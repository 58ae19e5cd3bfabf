"""/api/v1 with a personal token: who I am, my registrations, registering and cancelling, and
for organisers their sessions: create, change, publish, unpublish, cancel.

One code path with the website: registering calls the service behind the one-click button,
sessions are validated by the web's ``SessionForm`` (fed a MultiDict built from the JSON) and
changed by ``authoring``, so the rules, the messages, the e-mails and the calendar SEQUENCE
are the same. Each write is rate-limited per token, commits once after the service, and on a
domain error answers 409 (or 400) with nothing stored (the blueprint's error handler rolls
back). ``PATHS`` and ``SCHEMAS`` describe every route here (see ``exchange.api.openapi``).
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from exchange.api import read, serializers
from exchange.api.auth import require_organiser, require_user, write_limit
from exchange.api.errors import ApiError, invalid
from exchange.api.inputs import (
    DEFAULT_TIMEZONE,
    MESSAGE_MAX,
    SESSION_FIELDS,
    TIME_FIELDS,
    form_values,
    json_body,
    plausible_slug,
    query_args,
    reject_unknown,
    session_form,
    storable,
)
from exchange.api.responses import (
    json_response,
    paginated,
)
from exchange.api.views import bp
from exchange.api.write_spec import PATHS, SCHEMAS
from exchange.db import db, utcnow
from exchange.forms.sessions import form_data
from exchange.models import (
    LearningSession,
    Registration,
    RegistrationStatus,
    SessionFormat,
    SessionStatus,
    Topic,
    User,
    UserRole,
)
from exchange.permissions import can_manage_session
from exchange.services import authoring, schedule, sessions
from exchange.services import registration as registration_service

Json = dict[str, Any]


# --- loading and permissions -----------------------------------------------------------------


def _public_session(slug: str) -> LearningSession:
    """A published or cancelled session (drafts are 404, as on the web)."""
    learning_session = sessions.public_session(slug) if plausible_slug(slug) else None
    if learning_session is None:
        abort(404)
    return learning_session


def _managed_session(slug: str) -> tuple[User, LearningSession]:
    """The caller (an organiser or admin) and a session they manage: 401, 403, 404, 403."""
    user = require_organiser()
    query_args()
    learning_session = None
    if plausible_slug(slug):
        learning_session = db.session.scalar(select(LearningSession).filter_by(slug=slug))
    if learning_session is None:
        abort(404)
    if not can_manage_session(user, learning_session):
        raise ApiError(403, _("You can manage only your agency's sessions."))
    return user, learning_session


# --- answers ---------------------------------------------------------------------------------


def _me(user: User) -> Json:
    return {
        "id": user.id,
        "display_name": user.display_name,
        "role": user.role.value,
        "agency": serializers.agency_ref(user.agency),
    }


def _registration(r: Registration, place: int | None) -> Json:
    """A registration of the caller, with its session's summary (organiser, topics loaded)."""
    s = r.learning_session
    zone = s.timezone
    return {
        "session": serializers.session_summary(s),
        "status": r.status.value,
        "waitlist_place": place,
        "registered_at": serializers.moment(r.created_at, zone),
        "confirmed_at": serializers.moment(r.confirmed_at, zone),
        "cancelled_at": serializers.moment(r.cancelled_at, zone),
        "checked_in": r.checked_in_at is not None,
        "checked_in_at": serializers.moment(r.checked_in_at, zone),
    }


def _registration_response(registration_id: int, status: int) -> Response:
    r = db.session.scalars(
        select(Registration)
        .where(Registration.id == registration_id)
        .options(joinedload(Registration.learning_session).options(*sessions.card_options()))
    ).one()
    return json_response(_registration(r, registration_service.waitlist_place(r)), status)


def _counts(counts: registration_service.Counts) -> Json:
    return {
        "confirmed": counts.confirmed,
        "waitlisted": counts.waitlisted,
        "pending": counts.pending,
        "cancelled": counts.cancelled,
        "checked_in": counts.checked_in,
    }


def _manage_links(slug: str) -> Json:
    return {
        "manage_url": url_for("organiser.edit_session", slug=slug, _external=True),
        "manage_api_url": url_for("api.managed_session", slug=slug, _external=True),
    }


def _managed_document(session_id: int) -> Json:
    """The session as GET /sessions/{slug} shows it (drafts too), plus what organisers see."""
    slug = db.session.scalar(select(LearningSession.slug).where(LearningSession.id == session_id))
    document = read.session_document(slug or "", include_drafts=True)
    learning_session = db.session.get(LearningSession, session_id)  # loaded just now
    if document is None or learning_session is None:
        abort(404)
    return {
        **document,
        "join_url": learning_session.join_url or None,
        "ical_sequence": learning_session.ical_sequence,
        "registrations": _counts(registration_service.counts(session_id)),
        **_manage_links(learning_session.slug),
    }


def _counts_by_session(ids: list[int]) -> dict[int, Json]:
    """Registration counts for several sessions in one grouped query."""
    rows = db.session.execute(
        select(
            Registration.session_id,
            Registration.status,
            func.count(),
            func.count(Registration.checked_in_at),
        )
        .where(Registration.session_id.in_(ids))
        .group_by(Registration.session_id, Registration.status)
    ).all()
    result = {i: _counts(registration_service.Counts()) for i in ids}
    for session_id, status, n, checked in rows:
        result[session_id][status.value] = n
        result[session_id]["checked_in"] += checked
    return result


# --- who I am and my registrations -----------------------------------------------------------


@bp.get("/me", endpoint="me")
def me() -> Response:
    """The token's user."""
    user = require_user()
    query_args()
    return json_response(_me(user), private=True)


@bp.get("/me/registrations", endpoint="my_registrations")
def my_registrations() -> Response:
    """The caller's registrations, latest session first (cancelled ones too)."""
    user = require_user()
    page, per_page = query_args(paging=True)
    query = (
        select(Registration)
        .join(Registration.learning_session)
        .where(Registration.user_id == user.id)
        .options(joinedload(Registration.learning_session).options(*sessions.card_options()))
        .order_by(LearningSession.starts_at.desc(), Registration.id.desc())
    )
    result = db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)
    items = list(result.items)
    places = registration_service.waitlist_places(items)
    data = [_registration(r, places.get(r.id)) for r in items]
    body = paginated(data, page=page, per_page=per_page, total=result.total or 0)
    return json_response(body, private=True)


@bp.post("/sessions/<slug>/registration", endpoint="register")
@write_limit
def register(slug: str) -> Response:
    """Register the caller: a seat, or a waitlist place unless ``{"waitlist": false}``."""
    user = require_user()
    query_args()
    learning_session = _public_session(slug)
    body = json_body(required=False)
    reject_unknown(body, ("waitlist",))
    waitlist = body.get("waitlist", True)
    if not isinstance(waitlist, bool):
        raise invalid({"waitlist": [_("Use true or false.")]})
    existing = registration_service.find(learning_session.id, user.id)
    already = existing is not None and existing.status is not RegistrationStatus.CANCELLED
    try:
        registration = registration_service.register(learning_session, user, utcnow())
    except registration_service.RegistrationError as exc:
        raise ApiError(409, str(exc), exc.code) from None
    if not already and not waitlist and registration.status is RegistrationStatus.WAITLISTED:
        raise ApiError(  # the handler rolls back: no registration, no e-mail
            409,
            _("The session is full: no seat is free, and you asked not to join the waitlist."),
            "session_full",
        )
    db.session.commit()
    return _registration_response(registration.id, 200 if already else 201)


@bp.delete("/sessions/<slug>/registration", endpoint="cancel_registration")
@write_limit
def cancel_registration(slug: str) -> Response:
    """Cancel the caller's registration; a freed seat goes to the waitlist, as on the web."""
    user = require_user()
    query_args()
    learning_session = _public_session(slug)
    reject_unknown(json_body(required=False), ())
    registration = registration_service.find(learning_session.id, user.id)
    if registration is None or registration.status is RegistrationStatus.CANCELLED:
        raise ApiError(404, _("You are not registered for this session."), "not_registered")
    try:
        registration_service.cancel(registration, utcnow())
    except registration_service.RegistrationError as exc:
        raise ApiError(409, str(exc), exc.code) from None
    db.session.commit()
    return _registration_response(registration.id, 200)


# --- sessions I manage -----------------------------------------------------------------------


@bp.get("/me/sessions", endpoint="managed_sessions")
def managed_sessions() -> Response:
    """Sessions the caller manages, drafts included, latest first."""
    user = require_organiser()
    page, per_page = query_args(paging=True)
    query = select(LearningSession).options(*sessions.card_options())
    if user.role is not UserRole.ADMIN:
        query = query.where(LearningSession.organiser_id == (user.agency_id or -1))
    query = query.order_by(LearningSession.starts_at.desc(), LearningSession.id.desc())
    result = db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)
    items = list(result.items)
    counts = _counts_by_session([s.id for s in items])
    data = [
        {
            **serializers.session_summary(s),
            "registrations": counts[s.id],
            **_manage_links(s.slug),
        }
        for s in items
    ]
    body = paginated(data, page=page, per_page=per_page, total=result.total or 0)
    return json_response(body, private=True)


@bp.get("/me/sessions/<slug>", endpoint="managed_session")
def managed_session(slug: str) -> Response:
    """One session the caller manages (drafts too), with its join link and counts."""
    _user, learning_session = _managed_session(slug)
    return json_response(_managed_document(learning_session.id), private=True)


@bp.post("/sessions", endpoint="create_session")
@write_limit
def create_session() -> Response:
    """A new draft session, validated exactly as the web's form."""
    user = require_organiser()
    query_args()
    body = json_body(required=True)
    reject_unknown(body, SESSION_FIELDS)
    defaults: Json = {"timezone": DEFAULT_TIMEZONE, "format": SessionFormat.ONLINE.value}
    if user.agency_id is not None:
        defaults["organiser"] = str(user.agency_id)
    form = session_form(body, defaults, user)
    topics = db.session.scalars(select(Topic).where(Topic.id.in_(form.topics.data or [])))
    fields = form.session_fields()
    fields["capacity"] = form.capacity.data
    fields["slug"] = form.slug.data or ""
    try:
        created = authoring.create_session(fields, list(topics), user_id=user.id)
    except authoring.AuthoringError as exc:
        raise _authoring_error(exc) from None
    except IntegrityError:  # the same slug taken by a request a moment ago
        raise _slug_taken() from None
    db.session.commit()
    response = json_response(_managed_document(created.id), 201)
    response.headers["Location"] = url_for("api.managed_session", slug=created.slug, _external=True)
    return response


@bp.patch("/sessions/<slug>", endpoint="update_session")
@write_limit
def update_session(slug: str) -> Response:
    """Change some fields; the rest stay. Registrants are told as when edited on the web."""
    user, learning_session = _managed_session(slug)
    body = json_body(required=True)
    reject_unknown(body, SESSION_FIELDS)
    current = form_values(form_data(learning_session))
    form = session_form(body, current, user, learning_session)
    topics = db.session.scalars(select(Topic).where(Topic.id.in_(form.topics.data or [])))
    fields = {**form.session_fields(), "slug": form.slug.data or learning_session.slug}
    if "timezone" not in body:
        # Times not sent stay exact: the form holds minutes, and a second less would be a
        # "new time" (a calendar update e-mailed to everyone) that nobody asked for.
        for name in TIME_FIELDS:
            if name not in body:
                fields[name] = getattr(learning_session, name)
    try:
        authoring.update_session(
            learning_session,
            fields,
            capacity=form.capacity.data,
            topics=list(topics),
            user_id=user.id,
            now=utcnow(),
        )
    except authoring.AuthoringError as exc:
        raise _authoring_error(exc) from None
    except registration_service.RegistrationError as exc:
        raise ApiError(409, str(exc), exc.code, {"capacity": [str(exc)]}) from None
    except schedule.ScheduleError as exc:
        raise ApiError(409, str(exc), exc.code) from None
    except IntegrityError:
        raise _slug_taken() from None
    db.session.commit()
    return json_response(_managed_document(learning_session.id))


@bp.post("/sessions/<slug>/publish", endpoint="publish_session")
@write_limit
def publish_session(slug: str) -> Response:
    """Publish a draft (publishing a published session changes nothing)."""
    user, learning_session = _managed_session(slug)
    reject_unknown(json_body(required=False), ())
    _set_status(learning_session, SessionStatus.PUBLISHED, user)
    db.session.commit()
    return json_response(_managed_document(learning_session.id))


@bp.post("/sessions/<slug>/unpublish", endpoint="unpublish_session")
@write_limit
def unpublish_session(slug: str) -> Response:
    """Back to draft, hidden from the public; refused while people have a seat."""
    user, learning_session = _managed_session(slug)
    reject_unknown(json_body(required=False), ())
    if registration_service.counts(learning_session.id).confirmed:
        raise ApiError(
            409,
            _("People are registered: cancel the session instead, so that they are told."),
            "has_registrants",
        )
    _set_status(learning_session, SessionStatus.DRAFT, user)
    db.session.commit()
    return json_response(_managed_document(learning_session.id))


@bp.post("/sessions/<slug>/cancel", endpoint="cancel_session")
@write_limit
def cancel_session(slug: str) -> Response:
    """Cancel the session; everyone registered is told by e-mail, with the optional message."""
    user, learning_session = _managed_session(slug)
    body = json_body(required=False)
    reject_unknown(body, ("message",))
    message = body.get("message") or ""
    if not isinstance(message, str) or not storable(message):
        raise invalid({"message": [_("Use a text (a JSON string).")]})
    if len(message) > MESSAGE_MAX:
        raise invalid({"message": [_("Use at most %(max)d characters.", max=MESSAGE_MAX)]})
    try:
        done = authoring.cancel_session(
            learning_session, message=message, user_id=user.id, now=utcnow()
        )
    except schedule.ScheduleError as exc:
        raise ApiError(409, str(exc), exc.code) from None
    if not done:
        raise ApiError(409, _("This session has been cancelled."), "already_cancelled")
    db.session.commit()
    return json_response(_managed_document(learning_session.id))


def _set_status(learning_session: LearningSession, status: SessionStatus, user: User) -> None:
    try:
        authoring.set_status(learning_session, status, user_id=user.id)
    except authoring.AuthoringError as exc:
        raise ApiError(409, str(exc), "session_cancelled") from None


def _authoring_error(exc: authoring.AuthoringError) -> ApiError:
    if exc.field == "slug":
        return _slug_taken(str(exc))
    return invalid({exc.field or "title_th": [str(exc)]})


def _slug_taken(message: str | None = None) -> ApiError:
    text = message or _("Another session already uses this address.")
    return ApiError(409, text, "slug_taken", {"slug": [text]})


__all__ = ["PATHS", "SCHEMAS"]  # for exchange.api.openapi
