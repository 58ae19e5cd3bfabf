"""Learning Exchange: knowledge-sharing sessions between public-sector agencies."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent  # templates/, static/, migrations/ live here


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure one application instance."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=os.environ.get("EXCHANGE_INSTANCE_PATH") or str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.from_object("exchange.config.DefaultConfig")
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)  # instance/config.py, never committed
        app.config.from_prefixed_env()  # FLASK_SESSIONS_PER_PAGE=50, FLASK_DEBUG=1, ...
        if database_url := os.environ.get("DATABASE_URL"):
            app.config["SQLALCHEMY_DATABASE_URI"] = _normalise_database_url(database_url)
        if secret_key := os.environ.get("SECRET_KEY"):
            app.config["SECRET_KEY"] = secret_key
    else:
        app.config.from_mapping(test_config)
    if app.config["SECRET_KEY"] == "dev" and not (app.debug or app.testing):  # noqa: S105
        raise RuntimeError(
            "Refusing to start with the development SECRET_KEY: set SECRET_KEY in the environment."
        )
    for cookie in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if app.config[cookie] is None:  # Secure in production; plain http in development
            app.config[cookie] = not (app.debug or app.testing)
    if proxies := int(app.config["TRUSTED_PROXIES"]):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            f"sqlite:///{Path(app.instance_path) / 'exchange.sqlite'}"
        )

    _init_extensions(app)
    from exchange import request_guards

    request_guards.install(app)  # NUL dropped, ids past INTEGER a 404: never a database 500
    from exchange import page_cache

    page_cache.install(app)  # public pages kept while the data version stands
    _register_blueprints(app)
    _register_template_helpers(app)

    from exchange.errors import register_error_handlers

    register_error_handlers(app)

    from exchange import security_headers

    security_headers.install(app)  # CSP, nosniff, framing, referrer, HSTS on every response

    from exchange.services.mail import install_after_request_delivery

    install_after_request_delivery(app)  # in development: send queued mail after the response

    from exchange.cli import exchange_cli

    app.cli.add_command(exchange_cli)
    return app


def _normalise_database_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgres://``/``postgresql://`` URLs (as hosts hand them out)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def _init_extensions(app: Flask) -> None:
    from exchange import models  # noqa: F401 -- every table on db.metadata, for Alembic
    from exchange.auth.loader import load_user
    from exchange.db import configure_sqlite, db, engines
    from exchange.extensions import babel, csrf, limiter, login_manager
    from exchange.i18n import select_locale, select_timezone

    app.config["SQLALCHEMY_DATABASE_URI"] = _normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    if not app.config["SQL_LOG_PARAMETERS"]:  # values carry secrets: tokens, mail with links
        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"hide_parameters": True, **options}
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
        elif db.engine.dialect.name == "postgresql":  # search's own connection
            from exchange.search import postgresql

            postgresql.install(app)
        if app.config["SLOW_QUERY_MS"] is not None:
            from exchange import slow_queries

            for engine in engines():
                slow_queries.install(engine, float(app.config["SLOW_QUERY_MS"]))
    if app.testing or os.environ.get("FLASK_RUN_FROM_CLI") == "true":
        _init_migrations(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_message = _lazy_login_message()
    login_manager.login_message_category = "info"
    limiter.init_app(app)
    app.json.ensure_ascii = False  # Thai as Thai in JSON answers, not \u escapes
    app.json.sort_keys = False  # in the order written: the API's documents read top-down
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(PROJECT_ROOT / "translations"),
    )


def _init_migrations(app: Flask) -> None:
    """Flask-Migrate, for ``flask db`` and the backup commands: only on the command line (and
    in tests), since it loads Alembic, 10 MB that a web worker never uses."""
    from flask_migrate import Migrate

    from exchange.db import db, render_migration_item
    from exchange.models.search import include_in_migrations

    Migrate(
        app,
        db,
        directory=str(PROJECT_ROOT / "migrations"),
        render_as_batch=True,  # SQLite cannot ALTER; batch mode copies the table
        render_item=render_migration_item,
        compare_type=True,
        include_name=include_in_migrations,  # not the full-text index made outside the models
    )


def _lazy_login_message() -> object:
    from flask_babel import lazy_gettext as _l  # _l: the name pybabel extracts

    return _l("Please log in to continue.")


def _register_blueprints(app: Flask) -> None:
    from exchange.admin import bp as admin_bp
    from exchange.agencies import bp as agencies_bp
    from exchange.api import bp as api_bp
    from exchange.api import docs_bp as api_docs_bp
    from exchange.auth import bp as auth_bp
    from exchange.certificates import bp as certificates_bp
    from exchange.directory import bp as directory_bp
    from exchange.feedback import bp as feedback_bp
    from exchange.ics import bp as ics_bp
    from exchange.join import bp as join_bp
    from exchange.knowledge import bp as knowledge_bp
    from exchange.main import bp as main_bp
    from exchange.materials import bp as materials_bp
    from exchange.me import bp as me_bp
    from exchange.organiser import bp as organiser_bp
    from exchange.registration import bp as registration_bp
    from exchange.schedule_export import bp as schedule_export_bp
    from exchange.search import bp as search_bp
    from exchange.sessions import bp as sessions_bp

    app.register_blueprint(main_bp)
    # Before sessions: /sessions/<slug>.ics must not be taken for a session whose slug ends
    # in ".ics" (a test holds this); also /calendar.ics, the agency, topic and personal feeds.
    app.register_blueprint(ics_bp)
    # /schedule.xml|json, and /agencies|topics/<slug>/schedule.xml|json (before their pages)
    app.register_blueprint(schedule_export_bp)
    app.register_blueprint(sessions_bp, url_prefix="/sessions")
    app.register_blueprint(agencies_bp, url_prefix="/agencies")
    app.register_blueprint(knowledge_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(me_bp, url_prefix="/me")
    app.register_blueprint(registration_bp)
    app.register_blueprint(organiser_bp, url_prefix="/manage")
    app.register_blueprint(admin_bp, url_prefix="/manage")  # /manage/outbox
    app.register_blueprint(directory_bp, url_prefix="/manage")  # agencies, people, topics
    app.register_blueprint(search_bp)  # /search
    app.register_blueprint(join_bp)  # /j/<token>
    app.register_blueprint(materials_bp)  # session materials and their files
    app.register_blueprint(feedback_bp)  # the evaluation after a session
    app.register_blueprint(certificates_bp)  # /certificates/<code> and the PDFs
    app.register_blueprint(api_bp)  # /api/v1: token auth, never cookies, so no CSRF token
    app.register_blueprint(api_docs_bp)  # /api, the page about it
    from exchange.extensions import csrf

    csrf.exempt(api_bp)


def _register_template_helpers(app: Flask) -> None:
    from exchange import i18n, labels
    from exchange.markup import excerpt, render_markdown, safe_href

    i18n.register_template_helpers(app)
    labels.register(app)
    app.jinja_env.filters.update(markdown=render_markdown, excerpt=excerpt, safe_href=safe_href)
