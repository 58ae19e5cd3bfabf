"""My sessions, my profile and password, and my personal API tokens.

A new token's secret appears only in the answer to the POST that made it: not in a flash
message (a cookie), not in an address, and that page is never stored (Cache-Control: no-store).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from exchange.db import db, utcnow, writes_on_get
from exchange.forms import ConfirmForm, fill_agency_choices
from exchange.i18n import remember_language
from exchange.me.forms import EXPIRY_DAYS, ApiTokenForm, PasswordForm, ProfileForm
from exchange.models import ApiToken, UserRole
from exchange.services import api_tokens, calendars, join_links
from exchange.services import certificates as certificates_service
from exchange.services import notes as notes_service
from exchange.services import registration as registration_service

bp = Blueprint("me", __name__)


@bp.get("")
@writes_on_get  # the feed token and join links are made on the first visit
@login_required
def index() -> str:
    now = utcnow()
    registrations = registration_service.registrations_of(current_user.id)
    upcoming = [r for r in registrations if r.learning_session.ends_at > now]
    past = [r for r in registrations if r.learning_session.ends_at <= now]
    past.reverse()  # the latest past session first
    had_token = bool(current_user.calendar_token)
    token = calendars.calendar_token(current_user._get_current_object())  # made on first visit
    made_join_tokens = join_links.ensure_join_tokens(upcoming)  # rows from before personal links
    join_urls = {r.id: join_links.personal_link_for(r) for r in upcoming}
    feed_url = url_for("ics.personal_feed", token=token, _external=True)
    page = render_template(
        "me/index.html",
        upcoming=upcoming,
        past=past,
        places=registration_service.waitlist_places(registrations),
        join_urls=join_urls,
        now=now,
        button_form=ConfirmForm(),
        feed_url=feed_url,
        feed_webcal=calendars.webcal(feed_url),
        feed_google=calendars.google_subscribe_link(feed_url),
        note_sessions=notes_service.sessions_taking_notes(current_user.id),
        certifiable={  # from what is loaded: no query per registration
            r.id for r in past if certificates_service.refusal(r, current_user.id, now) is None
        },
    )
    if not had_token or made_join_tokens:
        db.session.commit()  # after rendering, which may then use every loaded row unexpired
    return page


@bp.post("/calendar/regenerate")
@login_required
def regenerate_calendar_token() -> Response:
    """A new secret address for the personal feed; the old one stops working at once."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    calendars.regenerate_calendar_token(current_user._get_current_object())
    db.session.commit()
    flash(
        _(
            "Your calendar has a new address. Subscribe to it again: the old address no longer"
            " works."
        ),
        "success",
    )
    return redirect(url_for("me.index") + "#calendar")


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile() -> Response | str:
    form, password_form = _profile_forms()
    if form.validate_on_submit() and _agency_may_change(form):
        current_user.display_name = form.display_name.data.strip()
        current_user.agency_id = form.agency.data
        current_user.locale = form.locale.data
        db.session.commit()
        remember_language(form.locale.data)
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("me.profile"))
    return _profile_page(form, password_form)


def _agency_may_change(form: ProfileForm) -> bool:
    """An organiser's agency decides whose sessions they manage, so only an admin changes it
    (/manage/users); anyone else picks their own (it counts only for statistics)."""
    if current_user.role is not UserRole.ORGANISER or form.agency.data == current_user.agency_id:
        return True
    message = _("Your agency decides which sessions you manage: ask an administrator to change it.")
    form.agency.errors = [*form.agency.errors, message]
    return False


@bp.post("/password")
@login_required
def password() -> Response | tuple[str, int]:
    form, password_form = _profile_forms(profile_data=False)
    if password_form.validate_on_submit():
        if current_user.has_password and not current_user.check_password(
            password_form.current_password.data or ""
        ):
            password_form.current_password.errors.append(_("This is not your current password."))
        else:
            current_user.set_password(password_form.password.data)
            db.session.commit()
            flash(_("Your new password is set."), "success")
            return redirect(url_for("me.profile"))
    return _profile_page(form, password_form), 400


@bp.post("/tokens")
@login_required
def create_token() -> Response | tuple[str, int]:
    """Make a token and show its secret, this once."""
    token_form = ApiTokenForm(prefix="token")
    if token_form.validate_on_submit():
        now = utcnow()
        days = EXPIRY_DAYS[token_form.expires.data]
        try:
            token, secret = api_tokens.create_token(
                current_user._get_current_object(),
                token_form.name.data,
                now,
                expires_at=now + timedelta(days=days) if days is not None else None,
            )
        except api_tokens.TokenError as exc:
            db.session.rollback()
            token_form.name.errors.append(str(exc))
        else:
            db.session.commit()
            response = make_response(
                render_template("me/token_created.html", token=token, secret=secret)
            )
            response.headers["Cache-Control"] = "no-store"
            response.headers["Referrer-Policy"] = "no-referrer"
            return response
    form, password_form = _profile_forms(profile_data=False)
    return _profile_page(form, password_form, token_form), 400


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    api_tokens.revoke(token, utcnow(), user_id=current_user.id)
    db.session.commit()
    flash(_("The token “%(name)s” is revoked: it no longer works.", name=token.name), "info")
    return redirect(url_for("me.profile") + "#api-tokens")


def _profile_forms(*, profile_data: bool = True) -> tuple[ProfileForm, PasswordForm]:
    """The profile form (from the request when *profile_data*) and the password form."""
    extra = {} if profile_data else {"formdata": None}
    form = ProfileForm(obj=current_user, agency=current_user.agency_id, **extra)
    fill_agency_choices(form.agency)
    if current_user.role is UserRole.ORGANISER:  # shown, not chosen: see _agency_may_change
        form.agency.render_kw = {"disabled": True}
        if "agency" not in request.form:  # a disabled select is not sent
            form.agency.data = current_user.agency_id
    return form, PasswordForm(prefix="pw")


def _profile_page(
    form: ProfileForm, password_form: PasswordForm, token_form: ApiTokenForm | None = None
) -> str:
    now = utcnow()
    tokens = api_tokens.tokens_of(current_user._get_current_object())
    return render_template(
        "me/profile.html",
        form=form,
        password_form=password_form,
        token_form=token_form or ApiTokenForm(prefix="token", formdata=None),
        tokens=tokens,
        token_states={t.id: _token_state(t, now) for t in tokens},
        button_form=ConfirmForm(),
    )


def _token_state(token: ApiToken, now: datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    return "active" if token.usable(now) else "expired"
