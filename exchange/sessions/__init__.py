"""Public session pages: /sessions and /sessions/<slug>."""

from exchange.sessions.views import bp

__all__ = ["bp"]
