"""Flask's signed-cookie session, minus a `Vary: Cookie` that pages without a session don't need.

Flask adds `Vary: Cookie` to any response whose request touched the session, and Flask-Login
touches it after every request (to look for a remember-me flag), so every response said it
varies by cookie: static files and the embed script included, which shared caches and CDNs
then keep one copy of per cookie, or not at all. The pages listed here never depend on a
cookie (the widget runs in a cross-site iframe that has none), so unless one of them really
changed the session, the header goes.
"""

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface

#: Endpoints whose answer is the same whatever cookie comes with the request.
COOKIE_BLIND = frozenset({"static", "widget.embed_script", "widget.widget", "widget.status",
                          "widget.thanks", "health.healthz", "api.openapi"})


class SessionInterface(SecureCookieSessionInterface):
    def save_session(self, app: Flask, session, response) -> None:
        super().save_session(app, session, response)
        if request.endpoint in COOKIE_BLIND and not session.modified and "Vary" in response.headers:
            kept = [value for value in response.vary if value.lower() != "cookie"]
            if kept:
                response.headers["Vary"] = ", ".join(kept)
            else:
                del response.headers["Vary"]


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
