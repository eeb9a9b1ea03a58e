"""What loading the widget costs a reader: requests, bytes on the wire, time to interactive.

Shared by tests/browser/test_weight.py (which asserts the budget, never times) and
bench/widget_weight.py (which reports the numbers).
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

from playwright.sync_api import Page, Request, expect

MAX_REQUESTS = 3
MAX_BYTES = 15_000
#: The moment widget.js had run, in ms since the epoch: deferred scripts run before
#: DOMContentLoaded, so it is the end of that event.
WIDGET_SCRIPT_HAS_RUN = """() => new Promise((resolve) => {
  const ended = () => performance.timeOrigin
    + performance.getEntriesByType("navigation")[0].domContentLoadedEventEnd;
  if (document.readyState === "complete") resolve(ended());
  else addEventListener("load", () => resolve(ended()));
})"""


@dataclass(frozen=True)
class Fetched:
    url: str
    status: int
    bytes: int  #: response headers plus the body as sent (compressed); 0 from the cache
    encoding: str  #: Content-Encoding, "" when sent as it is

    @property
    def cached(self) -> bool:
        return self.bytes == 0


@dataclass(frozen=True)
class WidgetLoad:
    fetched: tuple[Fetched, ...]  #: every request the embed made before the reader clicks
    interactive_ms: float  #: from the article's navigation until widget.js has run

    @property
    def requests(self) -> int:
        """Requests that went over the network (not answered by the browser's cache)."""
        return sum(not item.cached for item in self.fetched)

    @property
    def bytes(self) -> int:
        return sum(item.bytes for item in self.fetched)

    @property
    def origins(self) -> set[str]:
        return {origin_of(item.url) for item in self.fetched}


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def load_widget(page: Page, article_url: str) -> WidgetLoad:
    """Open an article that embeds the widget and wait until a reader could donate."""
    requests: list[Request] = []

    def note(request: Request) -> None:
        requests.append(request)

    page.on("request", note)
    page.goto(article_url)
    widget = page.frame_locator("iframe")
    expect(widget.locator("form [type=submit]")).to_be_enabled()
    started = page.evaluate("performance.timeOrigin")
    ready = widget.locator("html").evaluate(WIDGET_SCRIPT_HAS_RUN)
    page.remove_listener("request", note)
    host = origin_of(article_url)
    fetched = tuple(_fetched(request) for request in requests if origin_of(request.url) != host)
    return WidgetLoad(fetched=fetched, interactive_ms=ready - started)


def _fetched(request: Request) -> Fetched:
    sizes = request.sizes()  # waits for the response to finish
    response = request.response()
    # A cache hit reports its stored headers, and minus as much for the body.
    on_the_wire = max(0, sizes["responseHeadersSize"] + sizes["responseBodySize"])
    return Fetched(url=request.url, status=response.status if response else 0,
                   bytes=on_the_wire,
                   encoding=(response.headers.get("content-encoding", "") if response else ""))
