"""Security headers on every response: CSP with a per-request nonce, framing rules, HSTS."""

import secrets
from collections.abc import Callable
from functools import wraps

from flask import Flask, current_app, g

from donate.payments.registry import enabled_providers


def embeddable(view: Callable) -> Callable:
    """Mark a view as one the publishers' pages (ALLOWED_EMBED_ORIGINS) may frame."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        g.embeddable = True
        return view(*args, **kwargs)

    return wrapper


def csp_nonce() -> str:
    """A nonce for this response's one inline <style> (saves the widget a request)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy() -> str:
    if g.get("embeddable"):
        ancestors = " ".join(["'self'", *current_app.config["ALLOWED_EMBED_ORIGINS"]])
    else:
        ancestors = "'none'"
    checkout_origins = {origin for provider in enabled_providers().values()
                        for origin in provider.checkout_origins}
    form_action = " ".join(["'self'", *sorted(checkout_origins)])
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        f"style-src 'self' 'nonce-{csp_nonce()}'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        f"form-action {form_action}",
        f"frame-ancestors {ancestors}",
    ])


def forget_previous_request() -> None:
    """`g` lives as long as the app context, which can span requests (tests, scripts): one
    request's framing mark or nonce must not carry over to the next."""
    g.pop("embeddable", None)
    g.pop("csp_nonce", None)


def set_security_headers(response):
    # A view that knows better (the dev mailbox's raw HTML) sets its own policy; framing
    # stays refused there too.
    response.headers.setdefault("Content-Security-Policy", content_security_policy())
    if "frame-ancestors" not in response.headers["Content-Security-Policy"]:
        response.headers["Content-Security-Policy"] += "; frame-ancestors 'none'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    if not g.get("embeddable"):
        response.headers["X-Frame-Options"] = "DENY"
    if current_app.config["DONATE_ENV"] == "production":
        response.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    return response


def init_app(app: Flask) -> None:
    app.before_request(forget_previous_request)
    app.after_request(set_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
