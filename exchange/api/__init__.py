"""The JSON API under /api/v1, described by /api/v1/openapi.json; the page about it at /api."""

from exchange.api.views import bp, docs_bp

# modules that add their routes to bp
from exchange.api import read  # noqa: F401  isort: skip
from exchange.api import write  # noqa: F401  isort: skip

__all__ = ["bp", "docs_bp"]
