"""Registering and cancelling. Views stay thin: load, validate, call a service, commit once."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user
from werkzeug.wrappers import Response

from exchange.db import db, utcnow
from exchange.extensions import limiter
from exchange.forms import ConfirmForm, fill_agency_choices
from exchange.i18n import current_language, safe_next
from exchange.models import RegistrationStatus, TokenPurpose
from exchange.registration.forms import GuestRegistrationForm
from exchange.services import accounts, sessions
from exchange.services import registration as service
from exchange.services.mail import queue_mail

bp = Blueprint("registration", __name__)

CONFIRM_SUBJECT = _l("Confirm your registration")


def _session_or_404(slug: str):
    learning_session = sessions.public_session(slug)
    if learning_session is None:
        abort(404)
    return learning_session


def _back(slug: str) -> Response:
    return redirect(url_for("sessions.detail", slug=slug) + "#register")


def _account_or_address() -> str:
    """Count per account: 3,000 colleagues behind one agency's NAT share an address."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return get_remote_address()


# Each register or cancel writes mail (and may promote someone): one shared budget for both.
_registration_limit = limiter.shared_limit(
    lambda: current_app.config["REGISTRATION_RATE_LIMIT"],
    scope="registration",
    key_func=_account_or_address,
)


@bp.post("/sessions/<slug>/register")
@_registration_limit
def register(slug: str) -> Response:
    """One click for a logged-in participant; others go to log in and come back registered."""
    learning_session = _session_or_404(slug)
    if not current_user.is_authenticated:
        return redirect(
            url_for("auth.login", next=url_for("sessions.detail", slug=slug), register=slug)
        )
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        registration = service.register(learning_session, current_user, utcnow())
    except service.RegistrationError as exc:
        db.session.rollback()
        flash(str(exc), "warning")
    else:
        db.session.commit()
        flash(service.status_message(registration), "success")
    return _back(slug)


@bp.post("/sessions/<slug>/register/guest")
@limiter.limit(lambda: current_app.config["GUEST_REGISTRATION_RATE_LIMIT"])
def register_guest(slug: str) -> Response | tuple[str, int]:
    """Name, e-mail and agency; the seat is taken when the e-mailed link is followed."""
    from exchange.sessions.views import render_detail

    learning_session = _session_or_404(slug)
    form = GuestRegistrationForm()
    fill_agency_choices(form.agency)
    if not form.validate_on_submit():
        return render_detail(slug, guest_form=form), 400
    now = utcnow()
    user = accounts.find_user(form.email.data)
    if user is None:
        try:
            user = accounts.create_user(
                form.email.data,
                form.display_name.data,
                agency_id=form.agency.data,
                locale=current_language(),
            )
        except accounts.AccountError:  # created by a racing request a moment ago
            user = accounts.find_user(form.email.data)
            if user is None:
                abort(409)
    try:
        registration = service.register(
            learning_session, user, now, agency_id=form.agency.data, pending=True
        )
    except service.RegistrationError as exc:
        db.session.rollback()
        flash(str(exc), "warning")
        return _back(slug)
    hours = current_app.config["CONFIRM_LINK_HOURS"]
    secret = accounts.issue_token(
        user, TokenPurpose.CONFIRM_REGISTRATION, now, hours, registration=registration
    )
    queue_mail(
        to_address=user.email,
        to_name=user.display_name,
        language=current_language() if user.password_hash is None else user.locale,
        template="confirm_registration",
        subject=CONFIRM_SUBJECT,
        user=user,
        registration=registration,
        learning_session=learning_session,
        confirm_url=url_for("auth.confirm", secret=secret, _external=True),
        expires_hours=hours,
    )
    db.session.commit()
    # The same answer whether or not the address already had an account or a seat.
    flash(
        _(
            "We have sent a link to %(email)s. Follow it to confirm your registration.",
            email=user.email,
        ),
        "success",
    )
    return _back(slug)


@bp.post("/sessions/<slug>/cancel")
@_registration_limit
def cancel(slug: str) -> Response:
    learning_session = _session_or_404(slug)
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=url_for("sessions.detail", slug=slug)))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    registration = service.find(learning_session.id, current_user.id)
    if registration is None or registration.status is RegistrationStatus.CANCELLED:
        flash(_("You are not registered for this session."), "info")
        return _back(slug)
    try:
        service.cancel(registration, utcnow())
    except service.RegistrationError as exc:
        db.session.rollback()
        flash(str(exc), "warning")
    else:
        db.session.commit()
        flash(_("Your registration is cancelled."), "info")
    return redirect(safe_next(request.form.get("next"), url_for("sessions.detail", slug=slug)))
