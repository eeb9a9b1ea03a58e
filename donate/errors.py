"""Error answers a person (or a client) understands: JSON when asked for, a page otherwise."""

import logging

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, InternalServerError

from donate.abuse.limits import retry_after_seconds

MESSAGES = {
    400: _l("The request could not be read."),
    404: _l("There is nothing here."),
    405: _l("This address does not take that kind of request."),
    413: _l("The request is too large."),
    429: _l("Too many attempts from your network. Please wait a minute and try again."),
    500: _l("Something went wrong on our side. Nothing was charged twice; please try again."),
}


#: Endpoints that answer only JSON: their errors are JSON whatever the client accepts.
JSON_ENDPOINTS = {"widget.status", "health.healthz", "api.openapi"}


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (request.is_json or best == "application/json" or request.endpoint in JSON_ENDPOINTS
            or request.path.startswith("/webhooks"))


def handle_http_error(error: HTTPException):
    code = error.code or 500
    message = str(MESSAGES.get(code, error.name))
    if code == 400 and error.description and not error.description.startswith("The browser"):
        message = error.description
    response = make_response((jsonify(error=message), code) if _wants_json() else (
        render_template("error.html", code=code, message=message), code))
    if code == 429:
        response.headers["Retry-After"] = str(retry_after_seconds())
    return response


def handle_unexpected(error: Exception):
    logging.getLogger("donate").exception("unhandled error")
    return handle_http_error(InternalServerError())


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
