"""Sign up, log in and out, reset a password, follow an e-mailed registration link.

The same answer whether or not an address has an account (sign-up, log-in and reset): a
sign-up is confirmed by an e-mailed link before the account exists. ``next`` only ever points
inside the site; log-in, sign-up and reset are rate-limited.
"""

from __future__ import annotations

import time

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from exchange.auth.forms import LoginForm, NewPasswordForm, ResetRequestForm, SignupForm
from exchange.db import db, utcnow
from exchange.extensions import limiter
from exchange.forms import ConfirmForm, fill_agency_choices
from exchange.i18n import current_language, remember_language, safe_next
from exchange.models import LearningSession, Registration, TokenPurpose, User, normalise_email
from exchange.services import accounts
from exchange.services import registration as registration_service
from exchange.services.mail import queue_mail

bp = Blueprint("auth", __name__)


def _limit(name: str) -> object:
    return limiter.limit(lambda: current_app.config[name], methods=["POST"])


SIGNUP_SUBJECT = _l("Finish signing up")
SIGNUP_EXISTS_SUBJECT = _l("You already have an account")


@bp.route("/signup", methods=["GET", "POST"])
@_limit("SIGNUP_RATE_LIMIT")
def signup() -> Response | str:
    """The same answer whether or not the address has an account: a link to finish, or a
    note to the account holder, goes out by e-mail; nothing is written to the user table."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next"), url_for("me.index")))
    form = SignupForm()
    fill_agency_choices(form.agency)
    if form.validate_on_submit():
        email = normalise_email(form.email.data)
        password_hash = accounts.hash_password(form.password.data)  # both ways: same cost
        holder = accounts.find_user(email)
        if holder is None:
            _mail_signup_link(email, form.display_name.data, password_hash, form.agency.data)
        else:
            _mail_account_exists(holder)
        db.session.commit()
        flash(
            _(
                "Check your e-mail: we have sent a link to %(address)s to finish signing up.",
                address=email,
            ),
            "info",
        )
        return redirect(url_for("auth.signup_sent"))
    return render_template("auth/signup.html", form=form)


@bp.get("/signup/sent")
def signup_sent() -> str:
    return render_template("auth/signup_sent.html")


@bp.route("/signup/confirm/<secret>", methods=["GET", "POST"])
def signup_confirm(secret: str) -> Response | tuple[str, int] | str:
    """The e-mailed sign-up link: a button (mail scanners open links; only a click creates
    the account)."""
    try:
        pending = accounts.read_signup_token(secret, current_app.config["SIGNUP_CONFIRM_HOURS"])
    except accounts.TokenError as exc:
        return _signup_problem(accounts.token_message(exc))
    if accounts.find_user(pending.email) is not None:
        if current_user.is_authenticated and current_user.email == pending.email:
            return redirect(_after_signup(pending))  # a second click by the new account
        return _signup_problem(_taken_message())
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            user = accounts.confirm_signup(pending)
        except accounts.AccountError:  # taken since the check above (a racing click)
            db.session.rollback()
            return _signup_problem(_taken_message())
        session.clear()  # no session fixation; the new account's language
        remember_language(user.locale)
        login_user(user)
        _register_if_asked(user, pending.register)
        db.session.commit()
        flash(_("Welcome! Your account is ready."), "success")
        return redirect(_after_signup(pending))
    return render_template("auth/signup_confirm.html", form=form, signup=pending)


def _mail_signup_link(
    email: str, display_name: str, password_hash: str, agency_id: int | None
) -> None:
    language = current_language()
    hours = current_app.config["SIGNUP_CONFIRM_HOURS"]
    next_url = safe_next(request.args.get("next"), "")
    token = accounts.signup_token(
        accounts.SignupRequest(
            email=email,
            display_name=display_name.strip(),
            password_hash=password_hash,
            agency_id=agency_id,
            locale=language,
            register=(request.args.get("register") or "")[:200] or None,
            next=next_url if 0 < len(next_url) <= 500 else None,
        )
    )
    queue_mail(
        to_address=email,
        to_name=display_name,
        language=language,
        template="signup_confirm",
        subject=SIGNUP_SUBJECT,
        confirm_url=url_for("auth.signup_confirm", secret=token, lang=language, _external=True),
        expires_hours=hours,
    )


def _mail_account_exists(holder: User) -> None:
    """To the holder, in the holder's language: log in, or set a new password."""
    login_args = {key: request.args[key] for key in ("next", "register") if request.args.get(key)}
    queue_mail(
        to_address=holder.email,
        to_name=holder.display_name,
        language=holder.locale,
        template="signup_exists",
        subject=SIGNUP_EXISTS_SUBJECT,
        login_url=url_for("auth.login", lang=holder.locale, _external=True, **login_args),
        reset_url=url_for("auth.reset_request", lang=holder.locale, _external=True),
    )


def _after_signup(signup: accounts.SignupRequest) -> str:
    fallback = url_for("me.index")
    if signup.register:
        fallback = url_for("sessions.detail", slug=signup.register)
    return safe_next(signup.next, fallback)


def _taken_message() -> str:
    return _(
        "This link has already been used, or the address has an account now. Log in with it,"
        " or set a new password if you do not know it."
    )


def _signup_problem(message: str) -> tuple[str, int]:
    return render_template(
        "auth/link_problem.html",
        message=message,
        again_url=url_for("auth.signup"),
        again_label=_("Sign up again"),
    ), 400


@bp.route("/login", methods=["GET", "POST"])
@_limit("LOGIN_RATE_LIMIT")
def login() -> Response | str:
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next"), url_for("me.index")))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("The e-mail address or the password is not right."))
        else:
            session.clear()  # no session fixation; keep the reader's language
            remember_language(user.locale)
            login_user(user, remember=form.remember.data)
            _register_if_asked(user, request.args.get("register"))
            db.session.commit()
            return redirect(safe_next(request.args.get("next"), url_for("me.index")))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout() -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("main.index"))


RESET_SUBJECT = _l("Set a new password")


@bp.route("/reset", methods=["GET", "POST"])
@_limit("RESET_RATE_LIMIT")
def reset_request() -> Response | str:
    form = ResetRequestForm()
    if form.validate_on_submit():
        began = time.perf_counter()
        user = accounts.find_user(form.email.data)
        if user is not None and user.active:
            hours = current_app.config["PASSWORD_RESET_HOURS"]
            secret = accounts.issue_token(user, TokenPurpose.PASSWORD_RESET, utcnow(), hours)
            queue_mail(
                to_address=user.email,
                to_name=user.display_name,
                language=user.locale,
                template="password_reset",
                subject=RESET_SUBJECT,
                user=user,
                reset_url=url_for("auth.reset", secret=secret, _external=True),
                expires_hours=hours,
            )
            db.session.commit()
        # The same answer whether or not the address has an account, and as late: writing the
        # token and the mail takes longer than finding no account (tens of ms), so both
        # answers wait until RESET_ANSWER_SECONDS have passed (the form is rate-limited).
        _answer_no_sooner(began, current_app.config["RESET_ANSWER_SECONDS"])
        flash(
            _("If an account uses that address, we have sent it a link to set a new password."),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_request.html", form=form)


def _answer_no_sooner(began: float, seconds: float) -> None:
    if (left := began + seconds - time.perf_counter()) > 0:
        time.sleep(left)


@bp.route("/reset/<secret>", methods=["GET", "POST"])
@_limit("RESET_RATE_LIMIT")
def reset(secret: str) -> Response | tuple[str, int] | str:
    try:
        accounts.check_token(secret, TokenPurpose.PASSWORD_RESET, utcnow())
    except accounts.TokenError as exc:
        return render_template("auth/link_problem.html", message=accounts.token_message(exc)), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            token = accounts.use_token(secret, TokenPurpose.PASSWORD_RESET, utcnow())
        except accounts.TokenError as exc:
            db.session.rollback()
            message = accounts.token_message(exc)
            return render_template("auth/link_problem.html", message=message), 400
        token.user.set_password(form.password.data)
        login_user(token.user)
        db.session.commit()
        flash(_("Your new password is set."), "success")
        return redirect(url_for("me.index"))
    return render_template("auth/reset.html", form=form)


@bp.route("/confirm/<secret>", methods=["GET", "POST"])
def confirm(secret: str) -> Response | tuple[str, int] | str:
    """A guest's e-mailed link: a button (mail scanners open links; only a click confirms)."""
    now = utcnow()
    try:
        token = accounts.check_token(secret, TokenPurpose.CONFIRM_REGISTRATION, now)
    except accounts.TokenError as exc:
        return _confirm_problem(exc)
    registration = db.session.get(Registration, token.registration_id)
    if registration is None:
        abort(404)
    learning_session = db.session.get(LearningSession, registration.session_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            token = accounts.use_token(secret, TokenPurpose.CONFIRM_REGISTRATION, now)
            registration_service.confirm_pending(registration, now)
        except accounts.TokenError as exc:
            db.session.rollback()
            return _confirm_problem(exc)
        except registration_service.RegistrationError as exc:
            db.session.rollback()
            flash(str(exc), "warning")
            return redirect(url_for("sessions.detail", slug=learning_session.slug))
        login_user(token.user)
        remember_language(token.user.locale)
        db.session.commit()
        flash(_("Your registration is confirmed and you are logged in."), "success")
        return redirect(url_for("sessions.detail", slug=learning_session.slug))
    return render_template("auth/confirm.html", form=form, s=learning_session)


def _confirm_problem(error: accounts.TokenError) -> tuple[str, int]:
    message = accounts.token_message(error)
    if error.reason == "used":
        message += " " + _("Your registration stands: log in to see it in My sessions.")
    return render_template("auth/link_problem.html", message=message), 400


def _register_if_asked(user: User, slug: str | None) -> None:
    """After log-in or sign-up from a session's "register" button, register right away."""
    if not slug:
        return
    learning_session = db.session.scalars(
        select(LearningSession).filter_by(slug=slug)
    ).one_or_none()
    if learning_session is None:
        return
    try:
        registration = registration_service.register(learning_session, user, utcnow())
    except registration_service.RegistrationError as exc:
        flash(str(exc), "warning")
    else:
        flash(registration_service.status_message(registration), "success")
