"""`flask exchange …` commands."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from exchange.db import db, utcnow

exchange_cli = AppGroup("exchange", help="Learning Exchange commands.")


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
