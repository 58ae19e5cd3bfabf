"""Agencies, people and topics under /manage: the directory organisers keep tidy."""

from exchange.directory.views import bp

__all__ = ["bp"]
