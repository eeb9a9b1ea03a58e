"""What the widget costs a reader of a publisher's article, measured in Chromium.

    make bench-widget                                  # slider and quick, 5 cold loads each
    .venv/bin/python bench/widget_weight.py --runs 10 --variants slider

Serves the app (werkzeug, threaded, SQLite in a temporary folder) on 127.0.0.1 and an article
that embeds it on localhost, then loads the article in a fresh browser context (cold cache) and
reports, up to the moment a reader could click Donate: the requests the embed made, the bytes
they took on the wire (response headers plus compressed bodies), the time until widget.js had
run, and every origin contacted. A second load in the same context shows what caching saves.
Budget: at most 3 requests and 15,000 bytes, and no origin but ours. Results also go to
bench/results/. Exits 1 when over budget.
"""

import argparse
import json
import logging
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import asdict
from pathlib import Path

from flask_migrate import upgrade
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import Config  # noqa: E402
from donate import create_app  # noqa: E402
from tests.browser.harness import HostSite, chromium_missing, launch_chromium  # noqa: E402
from tests.browser.weight import MAX_BYTES, MAX_REQUESTS, WidgetLoad, load_widget  # noqa: E402


def serve_app(folder: Path, embedding_origin: str) -> str:
    """The app on 127.0.0.1 in a daemon thread; returns its origin."""
    app = create_app(Config, SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'bench.db'}",
                     SECRET_KEY="widget-weight-bench", ALLOWED_EMBED_ORIGINS=[embedding_origin],
                     RATELIMIT_ENABLED=False, LOG_LEVEL="WARNING")
    with app.app_context():
        upgrade()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


def measure(browser, article: str, runs: int) -> dict:
    """`runs` cold loads (a new context each), then one warm load in the last context."""
    cold: list[WidgetLoad] = []
    warm = None
    for run in range(runs):
        context = browser.new_context()
        cold.append(load_widget(context.new_page(), article))
        if run == runs - 1:
            warm = load_widget(context.new_page(), article)
        context.close()
    return {"cold": cold, "warm": warm}


def summary(loads: list[WidgetLoad], warm: WidgetLoad, service: str) -> dict:
    first = loads[0]
    times = [load.interactive_ms for load in loads]
    return {
        "requests": first.requests, "bytes": first.bytes,
        "fetched": [asdict(item) for item in first.fetched],
        "interactive_ms": {"median": round(statistics.median(times), 1),
                           "min": round(min(times), 1), "max": round(max(times), 1)},
        "origins": sorted(first.origins),
        "warm": {"requests": warm.requests, "bytes": warm.bytes,
                 "from_cache": sum(item.cached for item in warm.fetched),
                 "interactive_ms": round(warm.interactive_ms, 1)},
        "within_budget": all(load.requests <= MAX_REQUESTS and load.bytes <= MAX_BYTES
                             and load.origins == {service} for load in loads),
    }


def report(variant: str, result: dict, runs: int, service: str, host: str) -> None:
    print(f"\n{variant} widget, {runs} cold loads")
    print(f"  requests before the click: {result['requests']} (budget {MAX_REQUESTS})")
    for item in result["fetched"]:
        print(f"    {item['status']} {item['encoding'] or 'plain':5} {item['bytes']:>7,} B"
              f"  {item['url'].removeprefix(service)}")
    print(f"  bytes on the wire: {result['bytes']:,} (budget {MAX_BYTES:,})")
    spread = result["interactive_ms"]
    print(f"  time to interactive: {spread['median']} ms median "
          f"({spread['min']}-{spread['max']} ms)")
    print(f"  origins contacted: {', '.join(result['origins'])} (and the article's own {host})")
    warm = result["warm"]
    print(f"  again with a warm cache: {warm['requests']} over the network "
          f"({warm['from_cache']} answered from the cache), {warm['bytes']:,} B, "
          f"{warm['interactive_ms']} ms")
    print(f"  within budget: {'yes' if result['within_budget'] else 'NO'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--variants", default="slider,quick")
    options = parser.parse_args()
    logging.disable(logging.INFO)  # the migrations' and the servers' chatter
    if reason := chromium_missing():
        print(reason, file=sys.stderr)
        return 2
    host = HostSite()
    results = {}
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        service = serve_app(Path(folder), host.origin)
        browser = launch_chromium(playwright)
        for variant in options.variants.split(","):
            measured = measure(browser, host.article(service, variant), options.runs)
            results[variant] = summary(measured["cold"], measured["warm"], service)
            report(variant, results[variant], options.runs, service, host.origin)
        browser.close()
    host.close()
    out = ROOT / "bench" / "results" / f"widget-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"runs": options.runs, "browser": "chromium",
                               "results": results}, indent=2))
    print(f"\nresults: {out.relative_to(ROOT)}")
    return 0 if all(result["within_budget"] for result in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
