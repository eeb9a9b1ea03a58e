"""Render an email's subject, plain text and HTML from templates/email/<name>.{txt,html}."""

from dataclasses import dataclass

from flask import current_app, render_template


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render_email(name: str, subject: str, **context) -> RenderedEmail:
    """Both parts of one email; `org` (name, address, tax line) is always in the context."""
    config = current_app.config
    context.setdefault("org", {"name": config["ORG_NAME"], "address": config["ORG_ADDRESS"],
                               "tax_line": config["TAX_DEDUCTIBLE_TEXT"]})
    context["subject"] = subject
    return RenderedEmail(subject=subject,
                         text=render_template(f"email/{name}.txt", **context),
                         html=render_template(f"email/{name}.html", **context))
