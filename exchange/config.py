"""Default configuration: non-secret values only. Override in instance/config.py or the env."""

from typing import ClassVar


class DefaultConfig:
    SECRET_KEY = "dev"  # refused outside debug/testing by create_app  # noqa: S105
    SQLALCHEMY_DATABASE_URI = None  # None = SQLite file in instance/ (set by create_app)
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict] = {"pool_pre_ping": True}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 24 * 365  # the language choice is remembered a year
    BABEL_DEFAULT_LOCALE = "th"
    BABEL_DEFAULT_TIMEZONE = "Asia/Bangkok"
    LANGUAGES = ("th", "en")
    DEFAULT_TIMEZONE = "Asia/Bangkok"
    SESSIONS_PER_PAGE = 12
    TAKEAWAYS_PER_PAGE = 30
    HOME_UPCOMING = 6
    HOME_SUMMARIES = 4
    HOME_TAKEAWAYS = 6
