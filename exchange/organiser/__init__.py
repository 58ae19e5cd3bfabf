"""The organiser workspace under /manage: registrations, check-in, seats and exports."""

from exchange.organiser.views import bp

# modules that add their routes to bp
from exchange.organiser import sessions  # noqa: F401  isort: skip
from exchange.organiser import dashboard  # noqa: F401  isort: skip
from exchange.organiser import notes  # noqa: F401  isort: skip
from exchange.organiser import takeaways  # noqa: F401  isort: skip
from exchange.organiser import reminders  # noqa: F401  isort: skip
from exchange.organiser import feedback  # noqa: F401  isort: skip
from exchange.organiser import materials  # noqa: F401  isort: skip

__all__ = ["bp"]
