"""`flask exchange …` commands."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from exchange.db import db, utcnow

exchange_cli = AppGroup("exchange", help="Learning Exchange commands.")


@exchange_cli.command("create-admin")
@click.argument("email")
@click.option("--name", default="", help="Display name for a new account.")
@click.option("--password", default=None, help="Password for a new account (else prompted).")
def create_admin_command(email: str, name: str, password: str | None) -> None:
    """Create an admin account for EMAIL, or make the existing account an admin."""
    from exchange.models import UserRole
    from exchange.services import accounts

    user = accounts.find_user(email)
    if user is not None:
        user.role = UserRole.ADMIN
        db.session.commit()
        click.echo(f"{user.email} is now an admin.")
        return
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < current_app.config["PASSWORD_MIN_LENGTH"]:
        raise click.BadParameter(
            f"use at least {current_app.config['PASSWORD_MIN_LENGTH']} characters",
            param_hint="--password",
        )
    if "@" not in email or email.strip() != email or len(email) > 254:
        raise click.BadParameter("not an e-mail address", param_hint="EMAIL")
    user = accounts.create_user(
        email, name or email.split("@")[0], password=password, role=UserRole.ADMIN
    )
    db.session.commit()
    click.echo(f"Created admin {user.email}.")


@exchange_cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Only load into a database without sessions.")
def demo_command(if_empty: bool) -> None:
    """Load the model webinar of 13 December 2021 and one upcoming session (idempotent)."""
    from sqlalchemy import func, select

    from exchange.models import LearningSession
    from exchange.services.demo import load_demo

    if if_empty and db.session.scalar(select(func.count()).select_from(LearningSession)):
        click.echo("The database already has sessions; demo not loaded.")
        return
    created = load_demo(now=utcnow())
    db.session.commit()
    if created:
        click.echo(f"Demo loaded: {created} records created.")
    else:
        click.echo("Demo already loaded; nothing changed.")


@exchange_cli.command("deliver-mail")
@click.option("--once", is_flag=True, help="Deliver what is due, then exit (for cron).")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=5.0,
    show_default=True,
    help="Seconds to wait between batches when the outbox is empty.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="Messages per batch.",
)
def deliver_mail_command(once: bool, interval: float, limit: int) -> None:
    """Send the e-mail waiting in the outbox; run several at once safely."""
    from exchange.services.mail import deliver_pending

    if not current_app.config.get("MAIL_SERVER"):
        click.echo("MAIL_SERVER is not set: messages stay in the outbox (see /manage/outbox).")
        return
    _run_rounds(
        "deliver-mail",
        lambda: deliver_pending(limit),
        once=once,
        interval=interval,
        busy=lambda report: report.attempted > 0,
        more_now=lambda report: report.attempted >= limit,  # more may be due at once
    )


def _run_rounds(
    name: str,
    step: Callable[[], Any],
    *,
    once: bool,
    interval: float,
    busy: Callable[[Any], bool],
    more_now: Callable[[Any], bool] = lambda report: False,
) -> None:
    """The loop of the long-running commands: run *step*, print what it did, pause, again.
    A failed round (e.g. the database restarting) is logged and retried next round; with
    --once it ends the command with exit status 1, so cron notices."""
    try:
        while True:
            report = None
            try:
                report = step()
            except Exception as exc:
                current_app.logger.exception("%s: the round failed", name)
                click.echo(f"{utcnow():%Y-%m-%d %H:%M:%S}Z the round failed: {exc}", err=True)
                if once:
                    raise SystemExit(1) from exc
            finally:
                db.session.remove()
            if report is not None and (once or busy(report)):
                click.echo(f"{utcnow():%Y-%m-%d %H:%M:%S}Z {report}")
            again = report is not None and more_now(report)
            if once and not again:
                return
            if not again:
                time.sleep(interval)
    except KeyboardInterrupt:
        click.echo("Stopped.")


@exchange_cli.command("worker")
@click.option("--once", is_flag=True, help="Run one round, then exit (for cron).")
@click.option(
    "--interval",
    type=click.FloatRange(min=1),
    default=60.0,
    show_default=True,
    help="Seconds to wait between rounds.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Messages per batch.",
)
def worker_command(once: bool, interval: float, limit: int) -> None:
    """Deliver the outbox, then send due reminders and follow-ups; run several at once safely."""
    from exchange.services.followups import run_round

    if not current_app.config.get("SERVER_NAME"):
        raise click.UsageError(
            "Set FLASK_SERVER_NAME to the site's host (and FLASK_PREFERRED_URL_SCHEME=https):"
            " reminders and follow-ups carry full links."
        )
    _run_rounds(
        "worker",
        lambda: run_round(utcnow(), limit=limit),
        once=once,
        interval=interval,
        busy=lambda report: report.did_something,
    )


@exchange_cli.command("reindex")
def reindex_command() -> None:
    """Rebuild the search index from the database (after a PyThaiNLP upgrade or bulk edits)."""
    from exchange.search.index import rebuild

    counts = rebuild(db.session)
    db.session.commit()
    detail = ", ".join(f"{kind.value} {n}" for kind, n in counts.items())
    click.echo(f"Search index rebuilt: {sum(counts.values())} documents ({detail}).")
