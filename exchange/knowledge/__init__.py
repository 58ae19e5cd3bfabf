"""What was learned: /takeaways, /topics, /people."""

from exchange.knowledge.views import bp

__all__ = ["bp"]
