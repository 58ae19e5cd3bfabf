"""Security headers on every response: HTML pages, the JSON API, feeds, static files, errors.

One ``after_request`` adds them, so a new view is covered without doing anything. A header a
view has set itself is kept (``setdefault``): the personal join link, the calendar feeds and
the API-token page send the stricter ``Referrer-Policy: no-referrer``, and materials send their
own sandboxing Content-Security-Policy.

The policy allows no inline script at all: pages load their script from static/js/. Inline
*style* is not allowed either; the few places that need it use the two ways below, which keep
the policy strict everywhere else:

* ``inline_style(css)`` in a template writes a ``<style>`` element and allows exactly that text
  by its SHA-256 hash (a hash, not a nonce, so a cached or conditional answer stays valid);
  the charts set their natural width this way.
* ``@csp_allow(style_src="'unsafe-inline'")`` on a view adds sources to a directive for that
  view only (the admin's e-mail preview, whose mail HTML is styled inline as mail must be).

Values come from the configuration (``CONTENT_SECURITY_POLICY``, ``REFERRER_POLICY`` …); an
empty value or None leaves that header out. ``Strict-Transport-Security`` is only sent on
HTTPS requests (behind a proxy, set ``TRUSTED_PROXIES`` so the scheme is the client's).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any, TypeVar

from flask import Flask, current_app, g, request
from markupsafe import Markup
from werkzeug.wrappers import Response

F = TypeVar("F", bound=Callable[..., Any])

# (config key, header) for the headers sent as configured; the policy and HSTS are built below.
_PLAIN_HEADERS = (
    ("REFERRER_POLICY", "Referrer-Policy"),
    ("PERMISSIONS_POLICY", "Permissions-Policy"),
    ("CROSS_ORIGIN_OPENER_POLICY", "Cross-Origin-Opener-Policy"),
)
# What X-Frame-Options says (for browsers that predate frame-ancestors), by frame-ancestors.
_FRAME_OPTIONS = {"'none'": "DENY", "'self'": "SAMEORIGIN"}


def install(app: Flask) -> None:
    """Send the headers on every response of *app*; offer ``inline_style`` to templates."""
    app.after_request(add_security_headers)
    app.jinja_env.globals["inline_style"] = inline_style


def parse_policy(policy: str) -> dict[str, list[str]]:
    """``"default-src 'self'; img-src 'self' data:"`` as ``{directive: [sources]}``, in order."""
    return {name: list(sources) for name, sources in _parsed(policy)}


@lru_cache(maxsize=32)
def _parsed(policy: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The policy's directives, parsed once per configured text (not per response)."""
    directives: dict[str, tuple[str, ...]] = {}
    for part in policy.split(";"):
        if words := part.split():
            directives.setdefault(words[0].lower(), tuple(words[1:]))
    return tuple(directives.items())


def format_policy(directives: dict[str, list[str]]) -> str:
    return "; ".join(" ".join([name, *sources]) for name, sources in directives.items())


def inline_style(css: str) -> Markup:
    """A ``<style>`` element with *css*, allowed by the policy of this response by its hash.

    *css* is written as it is, so it must come from the template, never from a user: it may
    hold no ``<`` (nothing can close the element early).
    """
    if "<" in css:
        raise ValueError("inline_style: no '<' in the CSS")
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode("ascii")
    hashes = g.setdefault("csp_style_hashes", [])
    if f"'sha256-{digest}'" not in hashes:
        hashes.append(f"'sha256-{digest}'")
    return Markup(f"<style>{css}</style>")  # noqa: S704 -- template-made CSS, '<' refused above


def csp_allow(**sources: str) -> Callable[[F], F]:
    """Add sources to directives of the policy for one view: ``style_src="'unsafe-inline'"``."""
    extra = {name.replace("_", "-"): value.split() for name, value in sources.items()}

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            g.csp_allow = extra
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


def content_security_policy() -> str | None:
    """The configured policy, with this request's allowances and style hashes added."""
    configured = current_app.config.get("CONTENT_SECURITY_POLICY")
    if not configured:
        return None
    if "csp_allow" not in g and "csp_style_hashes" not in g:
        return configured  # as configured: nothing to add
    directives = parse_policy(configured)
    for name, added in g.get("csp_allow", {}).items():
        base = directives.get(name, directives.get("default-src", []))
        directives[name] = [*base, *(source for source in added if source not in base)]
    hashes = g.get("csp_style_hashes")
    if hashes:
        style = directives.get("style-src", directives.get("default-src", []))
        if "'unsafe-inline'" not in style:  # a hash would switch 'unsafe-inline' off
            directives["style-src"] = [*style, *hashes]
    return format_policy(directives)


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    if policy := content_security_policy():
        headers.setdefault("Content-Security-Policy", policy)
        ancestors = " ".join(dict(_parsed(policy)).get("frame-ancestors", ()))
        if frame_options := _FRAME_OPTIONS.get(ancestors):
            headers.setdefault("X-Frame-Options", frame_options)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    for key, name in _PLAIN_HEADERS:
        if value := current_app.config.get(key):
            headers.setdefault(name, value)
    if request.is_secure and (hsts := current_app.config.get("STRICT_TRANSPORT_SECURITY")):
        headers.setdefault("Strict-Transport-Security", hsts)
    return response
