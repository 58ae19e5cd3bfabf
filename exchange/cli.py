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


@exchange_cli.command("export")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=str))
def export_command(file: str) -> None:
    """Write every record to FILE (JSON; `-` for standard output), for a backup or a move.

    Not included: uploaded material files (copy the upload folder) and the search index
    (rebuilt by the import)."""
    from pathlib import Path

    from exchange.services import backup

    to_stdout = file == "-"
    try:
        if to_stdout:
            with click.open_file("-", "wb") as stdout:
                report = backup.export_database(stdout)
                stdout.flush()
        else:
            report = backup.export_to_path(Path(file))
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        db.session.rollback()  # a read: nothing to keep
    for name, count in report.counts.items():
        click.echo(f"  {name}: {count}", err=to_stdout)
    click.echo(
        f"Exported {sum(report.counts.values())} rows in {len(report.counts)} tables"
        f" (schema revision {report.schema_revision})" + ("." if to_stdout else f" to {file}."),
        err=to_stdout,
    )
    click.echo(
        f"Not in the file: {report.material_files} uploaded material files in"
        f" {report.upload_folder}: copy that folder to the new server's upload folder too.",
        err=to_stdout,
    )
    if report.missing_files:
        click.echo(
            _missing_files_warning(report.missing_files, report.upload_folder)
            + " Their downloads fail here already; the export cannot carry them either.",
            err=True,
        )


@exchange_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=str))
@click.option("--replace", is_flag=True, help="Delete everything in the database first.")
def import_command(file: str, replace: bool) -> None:
    """Load FILE (made by `flask exchange export`; `-` for standard input) into this database,
    which must be migrated (`flask db upgrade`) and empty unless --replace is given. A file
    from an older schema is loaded at its revision, then migrated (empty database only)."""
    from exchange.services import backup, restore

    try:
        try:
            with click.open_file(file, "rb") as stream:
                export = restore.read_export(stream, "standard input" if file == "-" else file)
        except OSError as exc:
            raise backup.BackupError(f"Cannot read {file}: {exc.strerror or exc}.") from exc
        if export.older:  # migrated on the way in; commits as it goes
            report = restore.import_older(export)
        else:
            report = restore.import_database(export, replace=replace)
        db.session.commit()
    except backup.BackupError as exc:
        db.session.rollback()
        raise click.ClickException(
            str(exc) if exc.changed else f"{exc} Nothing was changed."
        ) from exc
    for name, count in report.counts.items():
        click.echo(f"  {name}: {count}")
    click.echo(
        f"Imported {sum(report.counts.values())} rows in {len(report.counts)} tables"
        f" (schema revision {report.schema_revision}"
        + (f", then migrated to {report.migrated_to})" if report.migrated_to else ")")
        + (", after deleting what was there" if report.replaced else "")
        + f"; search index rebuilt: {report.search_documents} documents."
    )
    if report.missing_files:
        click.echo(
            _missing_files_warning(report.missing_files, report.upload_folder)
            + " Copy them from the old server's upload folder.",
            err=True,
        )


def _missing_files_warning(missing: list[str], folder: object) -> str:
    shown = ", ".join(missing[:5]) + (", …" if len(missing) > 5 else "")
    return f"Warning: {len(missing)} material files are missing from {folder} ({shown})."
