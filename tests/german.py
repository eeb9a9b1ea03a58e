"""For tests of what German readers get: the formats need no catalogue, the words do."""

import re

import pytest
from flask_babel import gettext

from donate.i18n import speaking

GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
#: A day as German readers write it ("25.11.2026"; English: "Nov 25, 2026").
GERMAN_DAY = re.compile(r"\b\d{2}\.\d{2}\.\d{4}\b")
ENGLISH_DAY = re.compile(r"\b[A-Z][a-z]{2} \d{1,2}, \d{4}\b")


def euros(amount: str) -> str:
    """"10,00" -> "10,00 €" with the no-break space Babel puts before the sign."""
    return f"{amount}\xa0€"


def needs_catalogue(msgid: str) -> None:
    """Skip a test that reads German words while the German catalogue lacks `msgid`."""
    with speaking("de"):
        if gettext(msgid) == msgid:
            pytest.skip(f"needs the German catalogue (donate/translations/de) for {msgid!r}")
