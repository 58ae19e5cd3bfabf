from exchange.certificates.views import bp

__all__ = ["bp"]
