"""HTML to PDF with WeasyPrint, which shapes Thai through Pango and HarfBuzz.

Nothing is fetched from the network: the only URLs a certificate may load are files inside the
app's static folder (the Sarabun font and the logo), served by a fetcher that refuses the rest.
"""

from __future__ import annotations

import mimetypes
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

# Pango and fontconfig are not made for threads; renders take ~0.2 s, so one at a time per
# process costs little (gunicorn's sync workers are processes anyway).
_RENDER_LOCK = threading.Lock()


class StaticFetcher(URLFetcher):
    """Serve ``file://`` URLs under one folder; refuse every other URL."""

    def __init__(self, root: Path) -> None:
        super().__init__(allowed_protocols=["file"])
        self.root = root.resolve()

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise ValueError(f"Certificates load only the app's static files, not {url}")
        path = Path(unquote(parts.path)).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            raise ValueError(f"Not a static file: {url}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})


def render_pdf(html: str, static_root: Path) -> bytes:
    """The PDF of *html*, whose relative URLs point into *static_root*."""
    document = HTML(
        string=html,
        base_url=static_root.resolve().as_uri() + "/",
        url_fetcher=StaticFetcher(static_root),
    )
    with _RENDER_LOCK:
        return document.write_pdf()
