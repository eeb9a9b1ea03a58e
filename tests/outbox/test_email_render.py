"""Emails are rendered with gettext bound to the donor's catalog (donate.mail.render.
bound_to_one_catalog), which skips Flask-Babel's lookup per call; they must read exactly as
with Flask-Babel's own template callables."""

from gettext import NullTranslations

import pytest
from flask_babel import get_translations

from donate.i18n import speaking
from donate.mail.render import bound_to_one_catalog

PLURAL = ("{% trans count=minutes %}It works once, for {{ count }} minute. If you did not ask "
          "for it, you can ignore this email.{% pluralize %}It works once, for {{ count }} "
          "minutes. If you did not ask for it, you can ignore this email.{% endtrans %}")
SOURCES = [
    '{{ _("Your monthly donation has ended") }}',
    '{{ _("%(amount)s per month", amount=amount) }}',  # a variable, escaped in HTML
    PLURAL,
    '{{ _("In no catalog: 100%% %(amount)s", amount=amount) }}',
]


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("autoescape", ["true", "false"])
@pytest.mark.parametrize("minutes", [1, 60])
def test_the_bound_catalog_renders_what_flask_babel_renders(app, language, autoescape, minutes):
    context = {"amount": "<b>5,00 €</b>", "minutes": minutes}
    with app.test_request_context(), speaking(language):
        for source in SOURCES:
            template = app.jinja_env.from_string(
                f"{{% autoescape {autoescape} %}}{source}{{% endautoescape %}}")
            theirs = template.render(**context)
            ours = template.render(**context, **bound_to_one_catalog(get_translations()))
            assert ours == theirs


class Marking(NullTranslations):
    """A catalog that marks what it translates."""

    def ugettext(self, message: str) -> str:
        return f"«{message}»"

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        return f"«{singular if n == 1 else plural}»"


def test_the_templates_use_the_bound_catalog(app):
    """Else the test above would compare Flask-Babel with itself."""
    with app.test_request_context():
        template = app.jinja_env.from_string('{{ _("Thank you") }} ' + PLURAL)
        rendered = template.render(minutes=2, **bound_to_one_catalog(Marking()))
    assert rendered.startswith("«Thank you» «It works once, for 2 minutes.")
