"""Languages: which one a reader gets, that German is complete, and that nothing stays English.

The catalogue is checked against the code: every string the code marks has a German
translation with the same placeholders, and the compiled .mo is the .po's current state.
"""

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from donate.extensions import db
from donate.ledger.models import Donation, Donor
from tests.conftest import widget_form

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "donate" / "translations"
GERMAN_PO = TRANSLATIONS / "de" / "LC_MESSAGES" / "messages.po"
GERMAN_MO = GERMAN_PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
VALID = {"amount": "25", "currency": "EUR", "frequency": "once", "provider": "sandbox"}


def frozen(text):
    """A plural's id and string are lists in one reader and tuples in the other."""
    return tuple(text) if isinstance(text, list | tuple) else text


def text(context: bytes | str | None) -> str | None:
    return context.decode() if isinstance(context, bytes) else context


def german() -> dict:
    """(context, msgid) -> message of the German catalogue."""
    with GERMAN_PO.open("rb") as po:
        return {(message.context, frozen(message.id)): message for message in read_po(po)
                if message.id}


# ---- the catalogue -------------------------------------------------------------------------

def test_every_marked_string_has_a_german_translation_with_the_same_placeholders(tmp_path):
    template = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F",
                    "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-k", "lazy_pgettext:1c,2",
                    "--no-location", "-o",
                    str(template), "."], cwd=ROOT, check=True, capture_output=True)
    with template.open("rb") as pot:
        wanted = {(message.context, frozen(message.id)) for message in read_po(pot)
                  if message.id}
    catalogue = german()
    missing = sorted(str(msgid) for msgid in wanted - catalogue.keys())
    assert not missing, f"not in the German catalogue (run `make translations`): {missing}"
    for key in wanted:
        message, msgid = catalogue[key], key[1]
        assert not message.fuzzy, f"fuzzy: {msgid}"
        singular, translated = (msgid[0], message.string[0]) if isinstance(msgid, tuple) \
            else (msgid, message.string)
        assert translated, f"untranslated: {msgid}"
        assert sorted(PLACEHOLDER.findall(singular)) == sorted(PLACEHOLDER.findall(translated)), \
            f"placeholders differ: {msgid!r} -> {translated!r}"


def test_the_compiled_catalogue_is_the_current_po():
    with GERMAN_MO.open("rb") as mo:
        compiled = {(text(message.context), frozen(message.id)): frozen(message.string)
                    for message in read_mo(mo) if message.id}
    written = {key: frozen(message.string) for key, message in german().items()
               if message.string and not message.fuzzy}
    assert compiled == written, "donate/translations/de is stale: run `make translations`"


# ---- which language a reader gets ----------------------------------------------------------

def html_lang(response) -> str:
    return re.search(r'<html lang="(\w+)"', response.get_data(as_text=True)).group(1)


@pytest.mark.parametrize(("query", "accept", "expected"), [
    ("", None, "en"),
    ("", "de-DE,de;q=0.9,en;q=0.8", "de"),
    ("&lang=de", None, "de"),
    ("&lang=de-AT", "en", "de"),  # the embed's (or the host page's) language wins
    ("&lang=en", "de", "en"),
    ("&lang=fr", "de,en;q=0.5", "de"),  # one we do not speak: the browser's next
    ("&lang=" + "x" * 100, None, "en"),
])
def test_the_widget_speaks_the_embeds_language_then_the_browsers(client, query, accept,
                                                                 expected):
    headers = {"Accept-Language": accept} if accept else {}
    response = client.get(f"/widget?variant=slider{query}", headers=headers)
    assert response.status_code == 200
    assert html_lang(response) == expected
    heading = {"en": "Support our journalism", "de": "Unterstützen Sie unseren Journalismus"}
    assert heading[expected] in response.get_data(as_text=True)


def test_a_german_widget_carries_its_language_into_the_form_and_writes_german_amounts(client):
    page = client.get("/widget?variant=slider&lang=de&currency=EUR").get_data(as_text=True)
    assert '<input type="hidden" name="lang" value="de">' in page
    assert "25,50" in page  # the amount field's hint
    assert ">25 €</button>" in page.replace("\u00a0", " ")  # a preset
    quick = client.get("/widget?variant=quick&lang=de").get_data(as_text=True)
    assert "(10,00\u00a0€)" in quick


def test_a_refused_german_form_says_what_is_wrong_in_german(client):
    response = client.post("/donations", data=widget_form({**VALID, "amount": "0,5",
                                                           "lang": "de"}))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Die kleinste Spende beträgt 1,00\u00a0€" in page
    assert html_lang(response) == "de"


def test_json_errors_follow_the_lang_field(client):
    response = client.post("/donations", json={**VALID, "frequency": "weekly", "lang": "de"},
                           headers={"Accept": "application/json"})
    assert response.status_code == 422
    assert response.get_json()["errors"]["frequency"] == "Wählen Sie einmalig oder monatlich"


def test_a_donation_remembers_the_language_it_was_given_in(client, donations):
    started = donations.start(email="leser@example.de", lang="de")
    donation = db.session.scalar(db.select(Donation).filter_by(public_id=started["id"]))
    assert donation.locale == "de"
    assert db.session.scalar(db.select(Donor.locale)) == "de"
    # the checkout sends the reader back without a lang: the thank-you page still speaks German
    donations.decide(started["id"], "pay")
    thanks = client.get(f"/donations/{started['id']}/thanks", headers={"Accept-Language": "en"})
    assert html_lang(thanks) == "de"
    assert "Vielen Dank! Ihre Spende über 10,00\u00a0€ ist eingegangen." in thanks.get_data(
        as_text=True)
    assert donations.status(started["id"])["charged_display"] == "10,00\u00a0€"


def test_staff_pages_stay_english_for_a_german_browser(client):
    response = client.get("/staff/login", headers={"Accept-Language": "de"})
    assert html_lang(response) == "en"


def test_an_error_page_speaks_the_readers_language(client):
    response = client.get("/no-such-page", headers={"Accept-Language": "de",
                                                    "Accept": "text/html"})
    assert response.status_code == 404
    assert html_lang(response) == "de"
    assert "Diese Seite gibt es nicht." in response.get_data(as_text=True)


# ---- nothing left in English ---------------------------------------------------------------

class VisibleText(HTMLParser):
    """The text a reader sees or hears: text nodes, and the attributes screen readers read."""

    SPOKEN = {"title", "aria-label", "placeholder", "alt"}
    HIDDEN = {"script", "style", "template"}

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs) -> None:
        self.hidden += tag in self.HIDDEN
        self.texts += [value for name, value in attrs if name in self.SPOKEN and value]

    def handle_endtag(self, tag) -> None:
        self.hidden -= tag in self.HIDDEN

    def handle_data(self, data) -> None:
        if not self.hidden and data.strip():
            self.texts.append(" ".join(data.split()))


def visible(html: str) -> set[str]:
    parser = VisibleText()
    parser.feed(html)
    return set(parser.texts)


#: What reads the same in both languages: names, codes, amounts, punctuation.
SAME_IN_BOTH = re.compile(r"^([\W\d_]*|USD.*|EUR.*|PayPal|Stripe|The Daily Example|"
                          r"Name|.*example\.(org|de|com).*|Newsletter)$")


@pytest.mark.parametrize("path", [
    "/widget?variant=slider", "/widget?variant=quick", "/widget?variant=newsletter",
    "/newsletter", "/manage", "/no-such-page",
])
def test_no_english_is_left_on_a_german_page(client, path):
    english = visible(client.get(path, headers={"Accept-Language": "en",
                                                "Accept": "text/html"}).get_data(as_text=True))
    german_page = visible(client.get(path, headers={"Accept-Language": "de",
                                                    "Accept": "text/html"}).get_data(
        as_text=True))
    untranslated = {text for text in german_page & english if not SAME_IN_BOTH.match(text)}
    assert not untranslated, f"{path} still says in German: {sorted(untranslated)}"


def test_the_widgets_script_messages_are_german_too(client):
    page = client.get("/widget?lang=de").get_data(as_text=True)
    messages = re.search(r'<script type="application/json" id="messages">(.*?)</script>',
                         page).group(1)
    assert "Warten auf die Zahlung" in messages
    assert "Waiting for payment" not in messages
