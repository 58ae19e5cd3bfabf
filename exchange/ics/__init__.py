"""Calendar files and feeds: /sessions/<slug>.ics, /calendar.ics, per agency and topic, and
each participant's personal feed. ``builder`` writes the iCalendar bytes (pure)."""

from exchange.ics.views import bp

__all__ = ["bp"]
