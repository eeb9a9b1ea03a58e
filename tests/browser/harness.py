"""What the browser tests and bench/widget_weight.py share: Chromium and a publisher's site.

The publisher's site is served on http://localhost:PORT and the service on 127.0.0.1, which a
browser treats as two sites: the widget's iframe is cross-site and gets no cookies, as on a
real news site.
"""

import html
import itertools
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, Playwright

CHROMIUM = "/usr/bin/chromium"
#: Debian's Chromium as Playwright drives it: no sandbox (containers), and nothing that calls
#: home (component updates, sync, background networking) to disturb the request counts.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PROJECT_ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if os.access(CHROMIUM, os.X_OK):
        return None
    return f"no Chromium at {CHROMIUM}: browser tests skipped (`make browser-deps` installs it)"


def launch_chromium(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def save_screenshot(target: Page | Locator, name: str) -> None:
    """docs/screenshots/<name>.png, only with UPDATE_SCREENSHOTS=1 (ordinary runs leave them)."""
    if os.environ.get("UPDATE_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target.screenshot(path=str(SCREENSHOTS / f"{name}.png"), animations="disabled")


ARTICLE = """<!doctype html>
<html{lang}>
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Harbour Road gets bike lanes - The Example Gazette</title>
<style>body{{max-width:40rem;margin:0 auto;padding:1rem;font:18px/1.5 Georgia,serif}}</style>
</head>
<body>
<main>
<h1>Harbour Road gets bike lanes</h1>
<p>The council voted seven to two on Tuesday to build protected bike lanes along Harbour Road.</p>
<script src="{service}/embed.js" data-variant="{variant}"{attributes} async></script>
<p>Construction is expected to start in the spring.</p>
</main>
</body>
</html>
"""


class HostSite:
    """A tiny threaded HTTP server for a publisher's article pages that embed the widget."""

    def __init__(self) -> None:
        pages: dict[str, bytes] = {}
        self.pages = pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pages.get(self.path)
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.origin = f"http://localhost:{self.server.server_port}"
        self.numbers = itertools.count(1)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def article(self, service: str, variant: str = "slider", currency: str | None = None,
                page_lang: str | None = "en", data_lang: str | None = None) -> str:
        """Publish an article that embeds the widget from `service`; return its URL. The page
        is in `page_lang` (no lang attribute if None); the tag may carry a `data_lang`."""
        path = f"/news/{next(self.numbers)}-harbour-road-bike-lanes.html"
        attributes = "".join(f' data-{name}="{html.escape(value)}"' for name, value in
                             (("currency", currency), ("lang", data_lang)) if value)
        self.pages[path] = ARTICLE.format(
            service=html.escape(service), variant=html.escape(variant), attributes=attributes,
            lang=f' lang="{html.escape(page_lang)}"' if page_lang else "").encode()
        return self.origin + path

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
