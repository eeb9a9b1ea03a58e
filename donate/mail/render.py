"""Render an email's subject, plain text and HTML from templates/email/<name>.{txt,html}."""

from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import gettext as _

from donate.i18n import current_locale


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render_email(name: str, subject: str, **context) -> RenderedEmail:
    """Both parts of one email, in the current language (see donate.i18n.speaking); `org`
    (name, address, tax line) is always in the context."""
    config = current_app.config
    context.setdefault("org", {"name": config["ORG_NAME"], "address": config["ORG_ADDRESS"],
                               "tax_line": tax_line()})
    context["subject"] = subject
    return RenderedEmail(subject=subject,
                         text=render_template(f"email/{name}.txt", **context),
                         html=render_template(f"email/{name}.html", **context))


def tax_line() -> str:
    """The receipt's tax sentence in the reader's language: TAX_DEDUCTIBLE_TEXT_<LANG>, else
    TAX_DEDUCTIBLE_TEXT, else ours."""
    config = current_app.config
    return (config.get(f"TAX_DEDUCTIBLE_TEXT_{current_locale().upper()}")
            or config.get("TAX_DEDUCTIBLE_TEXT")
            or _("No goods or services were provided in exchange for this contribution."))
