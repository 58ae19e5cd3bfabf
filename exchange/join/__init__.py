"""/j/<token>: a registrant's personal join link."""

from exchange.join.views import bp

__all__ = ["bp"]
