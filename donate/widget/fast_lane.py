"""GET /widget served from a recorded response, in front of Flask.

Every article view frames the widget, so this one page is most of the traffic we serve, and the
same few answers over and over: the page depends only on the variant, currency and language
asked for, the reader's Accept-Language and the host it was asked of, except for three
per-request holes (the CSP nonce, the signed form token and the article's address; see
page_cache.py). Flask's per-request pipeline (contexts, session, locale, limiter, headers, log)
costs three times what it costs to fill those holes.

So the first request for a combination goes through the whole app with the holes left as marks
(`recording`), and the lane keeps the answer, headers included, as a template. Later requests
for the same combination get the template with fresh holes, a request id and a log line like
the app's, without entering Flask. Nothing about the answer is decided here: a change to the
page, its headers or its language choice reaches the lane through the recording.

Only plain, cookie-less GETs with no query parameters but the four the page reads take the
lane; anything else, and any answer that is not the cached 200 page, goes through Flask as
usual. Compression is the lane's too: each static piece is deflated once, the holes go in as
stored blocks, so a gzipped answer costs a CRC instead of a compression.
"""

import logging
import re
import secrets
import struct
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl

from markupsafe import escape
from werkzeug.http import parse_accept_header

from donate.abuse.form_token import form_token_signed_with
from donate.widget.page_cache import NONCE, RECORDABLE, RECORDING, SOURCE, TOKEN

PATH = "/widget"
PARAMETERS = frozenset({"variant", "currency", "lang", "source"})
#: The request headers an answer may depend on; each distinct combination is one template.
KEY_HEADERS = ("HTTP_ACCEPT_LANGUAGE", "HTTP_HOST", "HTTP_X_FORWARDED_PROTO",
               "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PREFIX")
#: Templates kept; browsers send few distinct Accept-Language values, a flood of made-up ones
#: only pushes out the oldest (and costs the sender a full render each).
MAX_TEMPLATES = 256
HOLE = re.compile("(" + "|".join(re.escape(mark) for mark in (NONCE, TOKEN, SOURCE)) + ")")
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # no name, no mtime, unknown OS
LAST_EMPTY_BLOCK = b"\x01\x00\x00\xff\xff"  # RFC 1951 3.2.4: final stored block, 0 bytes
LOG = logging.getLogger("donate.request")


@dataclass(frozen=True)
class Template:
    status: str
    headers: list[tuple[str, str]]
    pieces: list[str]  # static text and marks, alternating
    deflated: list[bytes] | None  # each static piece, deflated alone and flushed to a byte

    @classmethod
    def of(cls, status: str, headers: list[tuple[str, str]], body: str,
           compressible: bool) -> "Template":
        pieces = HOLE.split(body)
        deflated = [_deflate(piece) for piece in pieces[::2]] if compressible else None
        return cls(status, headers, pieces, deflated)

    def fill(self, holes: dict[str, str]) -> tuple[list[tuple[str, str]], list[str]]:
        headers = [(name, HOLE.sub(lambda m: holes[m[0]], value)) for name, value in self.headers]
        pieces = [holes[piece] if i % 2 else piece for i, piece in enumerate(self.pieces)]
        return headers, pieces

    def gzipped(self, pieces: list[str]) -> bytes:
        """The filled body as gzip: the static pieces' deflate output with the holes between
        them as stored blocks (RFC 1951 3.2.4), then the gzip trailer (RFC 1952)."""
        body = "".join(pieces).encode()
        stream = [GZIP_HEADER]
        for i, deflated in enumerate(self.deflated):
            stream.append(deflated)
            if 2 * i + 1 < len(pieces):
                stream.append(_stored_block(pieces[2 * i + 1].encode()))
        stream += [LAST_EMPTY_BLOCK, struct.pack("<II", zlib.crc32(body), len(body) & 0xFFFFFFFF)]
        return b"".join(stream)


def _deflate(text: str) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(text.encode()) + compressor.flush(zlib.Z_SYNC_FLUSH)


def _stored_block(data: bytes) -> bytes:
    blocks = []
    for start in range(0, len(data), 0xFFFF):
        chunk = data[start:start + 0xFFFF]
        blocks.append(b"\x00" + struct.pack("<HH", len(chunk), len(chunk) ^ 0xFFFF) + chunk)
    return b"".join(blocks)


@lru_cache(maxsize=64)
def _accepts_gzip(accept_encoding: str) -> bool:
    return parse_accept_header(accept_encoding)["gzip"] > 0


class WidgetFastLane:
    """WSGI middleware in front of the app (see the module's docstring)."""

    def __init__(self, app, wsgi_app: Callable):
        self.app = app
        self.wsgi_app = wsgi_app
        self.templates: dict[tuple, Template] = {}
        self._recording_lock = threading.Lock()  # reads need none; evicting iterates

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        question = self._plain_widget_request(environ)
        if question is None or self.app.debug:
            return self.wsgi_app(environ, start_response)
        key, source = question
        started = time.perf_counter()
        request_id = environ.get("HTTP_X_REQUEST_ID", "")[:64] or uuid.uuid4().hex
        template = self.templates.get(key)
        if template is not None:
            answer = self._serve(template, environ, start_response, request_id, source)
            LOG.info("request", extra={
                "method": "GET", "route": PATH, "status": int(template.status[:3]),
                "duration_ms": round(1000 * (time.perf_counter() - started), 1),
                "lane": "fast", "request_id": request_id})
            return answer
        environ["HTTP_X_REQUEST_ID"] = request_id  # the app logs it under the same id
        status, headers, body = self._ask_the_app(environ)
        if not environ.get(RECORDABLE):  # not the cached page (no holes in it): as it is
            start_response(status, headers)
            return [body]
        template = self._record(key, status, headers, body)
        return self._serve(template, environ, start_response, request_id, source)

    def _plain_widget_request(self, environ: dict) -> tuple[tuple, str] | None:
        """(the template's key, the article's address), or None for any other request."""
        if (environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "GET"
                or "HTTP_COOKIE" in environ or environ.get("SCRIPT_NAME")):
            return None
        try:
            pairs = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True,
                              strict_parsing=False, errors="strict", max_num_fields=4)
        except (UnicodeDecodeError, ValueError):
            return None
        arguments = dict(pairs)
        if len(arguments) != len(pairs) or not arguments.keys() <= PARAMETERS:
            return None
        source = arguments.pop("source", "")
        key = (tuple(sorted(arguments.items())), environ["wsgi.url_scheme"],
               *(environ.get(name) for name in KEY_HEADERS))
        return key, source

    def _ask_the_app(self, environ: dict) -> tuple[str, list, bytes]:
        """The app's answer, with the holes left as marks if it is the cached page."""
        accept_encoding = environ.pop("HTTP_ACCEPT_ENCODING", None)  # the lane compresses
        environ[RECORDING] = True
        answer = {}

        def capture(status, headers, exc_info=None):
            answer.update(status=status, headers=headers)
            return lambda data: None  # the legacy write(): Flask never uses it

        iterable = self.wsgi_app(environ, capture)
        try:
            body = b"".join(iterable)
        finally:
            if hasattr(iterable, "close"):
                iterable.close()
        if accept_encoding is not None:
            environ["HTTP_ACCEPT_ENCODING"] = accept_encoding
        return answer["status"], answer["headers"], body

    def _record(self, key: tuple, status: str, headers: list, body: bytes) -> Template:
        """The cached page's answer as a Template; kept for the next requests unless a later
        step of the app made it personal (a cookie) or changed its status."""
        headers = [(name, value) for name, value in headers
                   if name.lower() not in ("content-length", "x-request-id")]
        kept = status.startswith("200") and not any(
            name.lower() == "set-cookie" for name, _ in headers)
        template = Template.of(status, headers, body.decode(), compressible=kept)
        if kept:
            with self._recording_lock:
                while len(self.templates) >= MAX_TEMPLATES:
                    del self.templates[next(iter(self.templates))]  # the oldest
                self.templates[key] = template
        return template

    def _serve(self, template: Template, environ: dict, start_response: Callable,
               request_id: str, source: str) -> list[bytes]:
        holes = {NONCE: secrets.token_urlsafe(16), SOURCE: str(escape(source)),
                 TOKEN: form_token_signed_with(self.app.config["SECRET_KEY"])}
        headers, pieces = template.fill(holes)
        if template.deflated and _accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", "")):
            body = template.gzipped(pieces)
            headers.append(("Content-Encoding", "gzip"))
        else:
            body = "".join(pieces).encode()
        headers += [("Content-Length", str(len(body))), ("X-Request-Id", request_id)]
        start_response(template.status, headers)
        return [body]
