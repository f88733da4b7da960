"""What a PDF worker process runs: WeasyPrint, with a URL fetcher that serves only the
PDF templates' own files. Only the workers import this module (``app.pdf`` hands them the
HTML), so the web server never loads WeasyPrint."""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from app.templating import TEMPLATES_DIR

#: The stylesheet and any images the PDF templates use; nothing outside it is fetched.
ASSETS_DIR = (TEMPLATES_DIR / "pdf").resolve()
PDF_VARIANT = "pdf/a-3u"


class AssetFetcher(URLFetcher):
    """WeasyPrint's URL fetcher, narrowed to files under ``root``.

    Everything else is refused: http(s) (no network, so no SSRF or tracking pixels),
    ``file:`` paths outside the folder (after resolving ``..`` and symlinks), and ``data:``
    URLs too, so that what a PDF can show is the template plus reviewed files in one folder.
    WeasyPrint logs a refused resource and renders without it.
    """

    def __init__(self, root: Path = ASSETS_DIR) -> None:
        # WeasyPrint reads the base class's settings (fail_on_errors) from any fetcher.
        super().__init__()
        self.root = root.resolve()

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme == "file" and parts.netloc in ("", "localhost"):
            path = Path(url2pathname(parts.path)).resolve()
            if path.is_relative_to(self.root) and path.is_file():
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(
                    path.as_uri(), path.read_bytes(), {"Content-Type": content_type}
                )
        raise ValueError(f"PDFs use only the files in {self.root}, not {url}")


def write_pdf(html: str) -> bytes:
    """The HTML as PDF/A-3u, identified by its own SHA-256."""
    document = HTML(string=html, base_url=ASSETS_DIR.as_uri() + "/", url_fetcher=AssetFetcher())
    identifier = hashlib.sha256(html.encode()).hexdigest().encode("ascii")
    return document.write_pdf(pdf_variant=PDF_VARIANT, pdf_identifier=identifier)
