"""The organiser workspace under /manage: registrations, check-in, seats and exports."""

from exchange.organiser.views import bp

__all__ = ["bp"]
