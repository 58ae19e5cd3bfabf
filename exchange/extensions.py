"""Flask extensions, created unbound; `create_app` binds them. A leaf module.

Flask-Migrate is not here: it loads Alembic (10 MB), which only the command line needs, so
`create_app` makes it only there (``exchange._init_migrations``)."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
# Limits are declared on the views; storage comes from RATELIMIT_STORAGE_URI (memory by default,
# redis://… in production so that every worker shares the counts).
limiter = Limiter(key_func=get_remote_address)
