"""The embed snippets for publishers, each with a live preview of its widget variant."""

from flask import render_template, url_for

from donate.staff import bp
from donate.urls import external_url
from donate.widget.routes import VARIANTS

DESCRIPTIONS = {
    "slider": "An amount slider with presets, currencies, once or monthly, cover-the-fees and "
              "a newsletter box.",
    "quick": "One button for a quick gift of a fixed amount.",
    "newsletter": "A newsletter sign-up with double opt-in, and no donation.",
}


@bp.get("/embed")
def embed():
    """One script tag per variant, and the widget as readers will see it.

    The preview frames our own /widget: this page may not be framed (frame-ancestors 'none'),
    but it may frame /widget, whose policy (frame-ancestors 'self' ...) allows us.
    """
    variants = [{"name": name, "description": DESCRIPTIONS.get(name, ""),
                 "preview": url_for("widget.widget", variant=name)}
                for name in VARIANTS]
    return render_template("staff/embed.html", variants=variants,
                           script_url=external_url("widget.embed_script"))
