"""Accounts: /auth/signup, /auth/login, /auth/logout, /auth/reset, /auth/confirm."""

from exchange.auth.views import bp

__all__ = ["bp"]
