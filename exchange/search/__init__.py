"""Search: /search, and the index kept up to date by ORM session events."""

from exchange.search.index import install
from exchange.search.views import bp

install()

__all__ = ["bp"]
