"""My sessions, my profile and my password."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from exchange.db import db, utcnow
from exchange.forms import ConfirmForm, fill_agency_choices
from exchange.i18n import remember_language
from exchange.me.forms import PasswordForm, ProfileForm
from exchange.services import calendars, join_links
from exchange.services import certificates as certificates_service
from exchange.services import notes as notes_service
from exchange.services import registration as registration_service

bp = Blueprint("me", __name__)


@bp.get("")
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
    form = ProfileForm(obj=current_user, agency=current_user.agency_id)
    fill_agency_choices(form.agency)
    password_form = PasswordForm(prefix="pw")
    if form.validate_on_submit():
        current_user.display_name = form.display_name.data.strip()
        current_user.agency_id = form.agency.data
        current_user.locale = form.locale.data
        db.session.commit()
        remember_language(form.locale.data)
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("me.profile"))
    return render_template("me/profile.html", form=form, password_form=password_form)


@bp.post("/password")
@login_required
def password() -> Response | tuple[str, int]:
    form = ProfileForm(obj=current_user, agency=current_user.agency_id, formdata=None)
    fill_agency_choices(form.agency)
    password_form = PasswordForm(prefix="pw")
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
    page = render_template("me/profile.html", form=form, password_form=password_form)
    return page, 400
