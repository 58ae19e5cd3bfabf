"""The participant's own pages: /me (my sessions) and /me/profile."""

from exchange.me.views import bp

__all__ = ["bp"]
