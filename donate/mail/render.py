"""Render an email's subject, plain text and HTML from templates/email/<name>.{txt,html}."""

from dataclasses import dataclass
from gettext import NullTranslations

from flask import current_app, render_template
from flask_babel import get_translations
from flask_babel import gettext as _
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

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
    context.update(bound_to_one_catalog(get_translations()))
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


def bound_to_one_catalog(translations: NullTranslations) -> dict:
    """`gettext` and `ngettext` for the templates, bound to one language's catalog.

    Jinja's i18n extension looks these names up in the render context before the globals that
    Flask-Babel installs, and those find the current locale and its catalog again on every
    call: about a third of an email's render time, which the events worker pays per receipt.
    These behave as Jinja's "newstyle" ones: the text is a format string, escaped in HTML.
    """
    def formatted(context: Context, text: str, variables: dict) -> str:
        return (Markup(text) if context.eval_ctx.autoescape else text) % variables

    @pass_context
    def gettext(context: Context, string: str, **variables) -> str:
        return formatted(context, translations.ugettext(string), variables)

    @pass_context
    def ngettext(context: Context, singular: str, plural: str, num: int, **variables) -> str:
        variables.setdefault("num", num)
        return formatted(context, translations.ungettext(singular, plural, num), variables)

    return {"gettext": gettext, "ngettext": ngettext}
