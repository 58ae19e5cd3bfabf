"""Default configuration: non-secret values only. Override in instance/config.py or the env."""

from typing import ClassVar


class DefaultConfig:
    SECRET_KEY = "dev"  # refused outside debug/testing by create_app  # noqa: S105
    SQLALCHEMY_DATABASE_URI = None  # None = SQLite file in instance/ (set by create_app)
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict] = {"pool_pre_ping": True}
    SQLITE_BUSY_TIMEOUT_MS = 15000  # writers wait this long for SQLite's lock
    SLOW_QUERY_MS: float | None = None  # log SQL slower than this (exchange.sql logger); None: off
    # SQLAlchemy's SQL log and its error messages show statements without their values, which
    # hold secrets (mail bodies with reset links, join and feed tokens). True: show them.
    SQL_LOG_PARAMETERS = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = None  # None: Secure unless debugging or testing (create_app)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = None
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30
    TRUSTED_PROXIES = 0  # how many proxies in front set X-Forwarded-For/-Proto (ProxyFix)
    # Security headers on every response (exchange/security_headers.py); "" or None: not sent.
    # No inline script or style: pages load theirs from static/. frame-ancestors 'none' also
    # sends X-Frame-Options: DENY ('self': SAMEORIGIN). HSTS only goes out on HTTPS requests.
    CONTENT_SECURITY_POLICY = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'"
    )
    REFERRER_POLICY = "strict-origin-when-cross-origin"  # views may send a stricter one
    STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"
    PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
    CROSS_ORIGIN_OPENER_POLICY = "same-origin"
    # Explicit: Flask-Limiter's one `limiter` object otherwise keeps the last app's setting, so
    # an app built with limits off (a test, a benchmark) switched them off for the next one.
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"  # redis://127.0.0.1:6379 to share limits between workers
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = "10 per minute;40 per hour"
    RESET_RATE_LIMIT = "5 per 15 minutes"
    SIGNUP_RATE_LIMIT = "10 per hour"
    GUEST_REGISTRATION_RATE_LIMIT = "20 per hour"
    REGISTRATION_RATE_LIMIT = "30 per minute;200 per day"  # register + cancel, per account
    API_WRITE_RATE_LIMIT = "60 per minute;600 per hour"  # per token, on POST/PATCH/DELETE
    PASSWORD_MIN_LENGTH = 10
    PASSWORD_RESET_HOURS = 2
    # A reset request is answered this long after it arrived, whether or not the address has
    # an account (mailing a link takes longer than finding none: its timing would tell).
    RESET_ANSWER_SECONDS = 0.25
    SIGNUP_CONFIRM_HOURS = 48  # the e-mailed link that finishes a sign-up
    CONFIRM_LINK_HOURS = 48
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 24 * 365  # the language choice is remembered a year
    # Only write the cookie when the session changed: a static file still loading from the
    # previous page must not put back the language the reader just switched away from.
    SESSION_REFRESH_EACH_REQUEST = False
    BABEL_DEFAULT_LOCALE = "th"
    BABEL_DEFAULT_TIMEZONE = "Asia/Bangkok"
    LANGUAGES = ("th", "en")
    DEFAULT_TIMEZONE = "Asia/Bangkok"
    SESSIONS_PER_PAGE = 12
    TAKEAWAYS_PER_PAGE = 30
    # Public pages for readers not logged in are kept in each worker's memory while the data
    # is unchanged (exchange/page_cache.py), at most this many seconds (0: off) and bytes.
    PAGE_CACHE_SECONDS = 60
    PAGE_CACHE_BYTES = 8 * 1024 * 1024
    HOME_UPCOMING = 6
    HOME_SUMMARIES = 4
    FEED_ENTRIES = 20  # newest summaries in /feed.atom
    FEEDBACK_OPEN_DAYS = 30  # the evaluation stays open this long after a session ends
    HOME_TAKEAWAYS = 6

    # Outgoing mail (exchange/services/mail.py). Every e-mail is first written to the outbox
    # table; `flask exchange deliver-mail` sends it. MAIL_SERVER None = deliver nothing: the
    # messages stay in the outbox, readable by admins at /manage/outbox (laptops, demos).
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False  # STARTTLS after connecting (usually port 587)
    MAIL_USE_SSL = False  # TLS from the start (usually port 465)
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "Learning Exchange <no-reply@localhost>"
    MAIL_LOCAL_HOSTNAME: str | None = None  # EHLO name; None = the sender address's domain
    MAIL_TIMEOUT = 10  # seconds per SMTP network operation
    MAIL_MAX_ATTEMPTS = 8  # then the message is marked failed (back-off 1, 2, 4 … minutes)
    MAIL_LEASE_SECONDS = 300  # a claimed message is retried if still "sending" after this
    MAIL_DELIVER_AFTER_REQUEST: bool | None = None  # None = when app.debug (`flask run --debug`)
    MAIL_OUTBOX_PER_PAGE = 50  # the admin list at /manage/outbox
    REGISTRANTS_PER_PAGE = 100  # the organiser list at /manage/sessions/<slug>/registrations
    # Personal join links (/j/<token>): opening one from this many minutes before the start
    # until the end records online attendance (exchange/services/join_links.py).
    JOIN_OPENS_MINUTES = 30

    # Calendars (exchange/ics/). The UID domain names every session's calendar entry forever:
    # set it once (None: SERVER_NAME's host, else "learning-exchange.local") and never change it.
    ICS_UID_DOMAIN: str | None = None
    ICS_PRODID = "-//Learning Exchange//Learning Exchange//EN"
    ICS_REMINDER_MINUTES: int | None = 30  # VALARM before the start; None or 0: no reminder
    ICS_REFRESH_MINUTES = 60  # REFRESH-INTERVAL / X-PUBLISHED-TTL of feeds
    ICS_MAX_AGE = 300  # seconds shared caches may keep a public file or feed
    ICS_CACHE_ENTRIES = 64  # built feeds kept per process, by (feed, version, language) ...
    ICS_EVENT_CACHE_ENTRIES = 20000  # single events kept, so a change rebuilds one event ...
    ICS_CACHE_BYTES = 32 * 1024 * 1024  # ... and at most this many bytes in each of the two
    FEED_PAST_DAYS = 30  # feeds hold sessions that ended at most this many days ago

    # Materials (exchange/services/materials.py): uploaded slides, PDFs, images, office files.
    # MAX_CONTENT_LENGTH (every request body) is derived from MAX_UPLOAD_MB unless set itself.
    MAX_UPLOAD_MB = 25
    UPLOAD_FOLDER: str | None = None  # None: instance/uploads (keep it out of static/)
