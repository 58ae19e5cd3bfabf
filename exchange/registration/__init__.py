"""Registering for a session and cancelling: POST /sessions/<slug>/register, …/cancel."""

from exchange.registration.views import bp

__all__ = ["bp"]
