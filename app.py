"""Entry point for `flask` and gunicorn (`gunicorn app:app`)."""

from exchange import create_app

app = create_app()
