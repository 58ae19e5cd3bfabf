"""Admin pages under /manage: the outbox of e-mail."""

from exchange.admin.views import bp

__all__ = ["bp"]
