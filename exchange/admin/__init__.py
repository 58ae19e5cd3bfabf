"""Admin pages under /manage: the outbox of e-mail."""

from exchange.admin.views import bp

__all__ = ["bp"]

# Modules that add their routes to bp: accounts and roles, the audit log.
from exchange.admin import audit, users  # noqa: F401  isort: skip
