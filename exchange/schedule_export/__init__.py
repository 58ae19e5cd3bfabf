"""Schedules for conference apps in the frab/pretalx format: /schedule.xml, /schedule.json and
the same per agency and topic. ``frab`` writes the bytes (pure)."""

from exchange.schedule_export.views import bp

__all__ = ["bp"]
