"""Static files that cost readers little: content-hashed URLs cached for a year, gzip for text.

Templates link `static_url("widget.js")` (…/static/widget.js?v=<sha256[:12]>); a response to a
URL carrying the file's current hash may be kept for good, because new content means a new URL.
Text responses are gzipped for clients that accept it, except those that may hold a session's
secret: a compressed page with a CSRF token next to text an attacker can inject leaks the token
through its length (BREACH). Such a page answers a request with a cookie, or starts a session
(every template render reads the session, for Flask-Login's `current_user`, so reading it tells
nothing). Files are never such pages, and the widget's cross-site iframe never has a cookie.
"""

import gzip
import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask, Response, current_app, request, session, url_for

ONE_YEAR = 365 * 24 * 60 * 60
COMPRESSIBLE = {"text/html", "text/css", "text/javascript", "application/javascript",
                "application/json"}
#: Smaller bodies fit in one packet anyway; gzip's header would only add to them.
MIN_COMPRESS_BYTES = 500


def static_url(filename: str) -> str:
    """The URL of a static file, fingerprinted with its content so it can be cached for good."""
    return url_for("static", filename=filename, v=fingerprint(filename))


def fingerprint(filename: str) -> str:
    path = Path(current_app.static_folder, filename)
    stat = path.stat()
    return _content_hash(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _content_hash(path: str, mtime_ns: int, size: int) -> str:
    """Hashed once per version of a file (mtime and size are the cache key)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def cache_fingerprinted(response: Response) -> Response:
    """A static file asked for by its current hash is immutable: cache it for a year."""
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    version = request.args.get("v")
    try:
        current = version and fingerprint(request.view_args["filename"])
    except OSError:
        return response
    if version and version == current:
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = ONE_YEAR
        response.cache_control.immutable = True
        response.headers.pop("Expires", None)  # max-age rules; an old Expires only confuses
    return response


def compress(response: Response) -> Response:
    """Gzip a text response for a client that accepts it, unless it may hold a session secret."""
    if (response.status_code != 200 or response.mimetype not in COMPRESSIBLE
            or "Content-Encoding" in response.headers
            or (response.is_streamed and not response.direct_passthrough)):
        return response
    response.vary.add("Accept-Encoding")
    a_file = response.direct_passthrough
    if not accepts_gzip() or (not a_file and (request.cookies or session.modified)):
        return response
    response.direct_passthrough = False  # read a sent file here, to compress it
    body = response.get_data()
    if len(body) <= MIN_COMPRESS_BYTES:
        return response
    # A file's bytes are the same for every reader: compress them once.
    response.set_data(_gzipped_file(body) if a_file else _gzip(body))
    response.headers["Content-Encoding"] = "gzip"
    etag, weak = response.get_etag()
    if etag:
        response.set_etag(f"{etag}-gzip", weak=weak)
    return response


def _gzip(body: bytes) -> bytes:
    return gzip.compress(body, compresslevel=6, mtime=0)


@lru_cache(maxsize=32)
def _gzipped_file(body: bytes) -> bytes:
    """Keyed by the file's bytes, so an edited file is compressed afresh."""
    return _gzip(body)


def accepts_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0


def init_app(app: Flask) -> None:
    app.jinja_env.globals["static_url"] = static_url
    # after_request functions run last-registered first: cache headers, then compression.
    app.after_request(compress)
    app.after_request(cache_fingerprinted)
