"""Agency pages: /agencies and /agencies/<slug>."""

from exchange.agencies.views import bp

__all__ = ["bp"]
