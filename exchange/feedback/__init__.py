from exchange.feedback.views import bp

__all__ = ["bp"]
