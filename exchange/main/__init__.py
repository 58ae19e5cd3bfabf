"""The home page and the language switch."""

from exchange.main.views import bp

__all__ = ["bp"]
