"""Structured logging: one JSON line per request and per ledger transition."""

import json
import logging
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request

#: Attributes every LogRecord has; anything else was passed in `extra` and is logged as a field.
STANDARD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname,
                "logger": record.name, "message": record.getMessage()}
        line.update({key: value for key, value in vars(record).items()
                     if key not in STANDARD_ATTRIBUTES})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class RequestIdFilter(logging.Filter):
    """Stamp every record logged while serving a request with that request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context() and "request_id" in g:
            record.request_id = g.request_id
        return True


def init_app(app: Flask) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger("donate")
    root.handlers[:] = [handler]
    root.setLevel(app.config["LOG_LEVEL"])
    root.propagate = app.testing  # let pytest's caplog see records in tests

    @app.before_request
    def start_timer() -> None:
        g.request_started = time.perf_counter()
        g.request_id = request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex

    @app.after_request
    def log_request(response):
        elapsed = time.perf_counter() - g.get("request_started", time.perf_counter())
        # The route pattern, not the path: paths can carry tokens that must not be logged.
        route = request.url_rule.rule if request.url_rule else "(no route)"
        logging.getLogger("donate.request").info(
            "request", extra={"method": request.method, "route": route,
                              "status": response.status_code,
                              "duration_ms": round(elapsed * 1000, 1)})
        response.headers["X-Request-Id"] = g.request_id
        return response
