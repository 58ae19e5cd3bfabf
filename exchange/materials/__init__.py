from exchange.materials.views import bp

__all__ = ["bp"]
