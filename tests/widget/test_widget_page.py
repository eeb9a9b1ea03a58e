"""The widget page as a reader (and a screen reader) meets it, without a browser."""

import re
from html.parser import HTMLParser

import pytest
from markupsafe import escape

from donate.abuse.form_token import form_token_problem
from tests.conftest import make_app, widget_form


class Page(HTMLParser):
    """The parts of a page these tests look at: elements with their attributes, and labels."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.label_for: set[str] = set()
        self.wrapped_inputs = 0
        self._open_labels = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        self.elements.append((tag, attributes))
        if tag == "label":
            self._open_labels += 1
            if "for" in attributes:
                self.label_for.add(attributes["for"])
        if tag == "input" and self._open_labels:
            self.wrapped_inputs += 1
            attributes["_wrapped"] = "1"

    def handle_endtag(self, tag):
        if tag == "label":
            self._open_labels -= 1

    def all(self, tag: str, **where) -> list[dict]:
        return [attrs for name, attrs in self.elements if name == tag
                and all(attrs.get(key) == value for key, value in where.items())]


def widget_page(client, query="") -> tuple[str, Page]:
    response = client.get(f"/widget{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return html, Page(html)


def test_the_slider_widget_offers_the_seed_sites_controls(client):
    html, page = widget_page(client)
    assert "Amount to donate in <span id=\"amount-currency\">USD$</span>" in html
    [slider] = page.all("input", type="range")
    assert (slider["min"], slider["max"]) == ("5", "100")
    assert page.all("input", name="amount")
    assert {radio["value"] for radio in page.all("input", name="currency")} == {"USD", "EUR"}
    assert {radio["value"] for radio in page.all("input", name="frequency")} == {"once",
                                                                                "monthly"}
    for preset in ("5", "10", "25", "50", "100"):
        assert re.search(rf">\s*\$?{preset}\s*<", html), f"preset {preset} missing"
    assert page.all("input", name="cover_fees") and page.all("input", name="newsletter")
    assert page.all("input", name="email") and page.all("input", name="name")


def test_the_currency_can_be_chosen_by_the_embed(client):
    html, page = widget_page(client, "?currency=EUR")
    assert "Amount to donate in <span id=\"amount-currency\">EUR€</span>" in html
    [checked] = [radio for radio in page.all("input", name="currency") if "checked" in radio]
    assert checked["value"] == "EUR"


def test_the_quick_widget_is_one_button_for_ten_euros(client):
    html, page = widget_page(client, "?variant=quick")
    assert "Donate a quick 10 spot!" in html
    hidden = {field["name"]: field["value"] for field in page.all("input", type="hidden")}
    assert (hidden["amount"], hidden["currency"], hidden["frequency"]) == ("10.00", "EUR", "once")


def test_the_host_page_arrives_as_the_source(client):
    _, page = widget_page(client, "?source=https%3A%2F%2Fnews.example%2Fstory")
    [source] = page.all("input", name="source")
    assert source["value"] == "https://news.example/story"


def test_every_control_has_a_label_and_radios_are_grouped(client):
    html, page = widget_page(client)
    for field in page.all("input"):
        if field.get("type") in {"hidden", "submit"}:
            continue
        labelled = (field.get("id") in page.label_for or field.get("_wrapped")
                    or field.get("aria-label") or field.get("aria-labelledby"))
        assert labelled, f"unlabelled input {field}"
    assert len(page.all("fieldset")) >= 3  # amount presets, currency, frequency
    assert len(page.all("legend")) >= 3


def test_the_status_is_announced_to_screen_readers(client):
    _, page = widget_page(client)
    assert page.all("p", role="status") or [e for t, e in page.elements if e.get("aria-live")]


def test_without_javascript_the_widget_is_a_plain_form_that_opens_checkout_at_top_level(client):
    _, page = widget_page(client)
    [form] = page.all("form")
    assert (form["method"].lower(), form["action"], form["target"]) == ("post", "/donations",
                                                                         "_top")


@pytest.mark.parametrize("query", ["", "?variant=quick"])
def test_the_widget_loads_nothing_from_another_origin(client, query):
    html, page = widget_page(client, query)
    for tag, attribute in [("script", "src"), ("link", "href"), ("img", "src"),
                           ("iframe", "src")]:
        for element in page.all(tag):
            assert not element.get(attribute, "").startswith(("http:", "https:", "//")), element
    assert "@import" not in html and "url(http" not in html


def test_an_unknown_variant_is_a_clear_400(client):
    response = client.get("/widget?variant=carousel")
    assert response.status_code == 400
    assert b"variant must be one of slider, quick" in response.data


def test_ranges_presets_and_currencies_come_from_config(database_url):
    app = make_app(database_url, CURRENCIES=["EUR", "GBP"], SLIDER_MIN="2", SLIDER_MAX="50",
                   PRESETS=["2", "20"], DEFAULT_AMOUNT="20", QUICK_CURRENCY="GBP",
                   QUICK_AMOUNT="3")
    with app.app_context():
        client = app.test_client()
        html, page = widget_page(client)
        [slider] = page.all("input", type="range")
        assert (slider["min"], slider["max"]) == ("2", "50")
        assert {radio["value"] for radio in page.all("input", name="currency")} == {"EUR", "GBP"}
        assert "Amount to donate in <span id=\"amount-currency\">EUR€</span>" in html
        quick, _ = widget_page(client, "?variant=quick")
        assert "Donate a quick 3 spot!" in quick


def test_a_refused_form_comes_back_with_the_readers_values_and_messages(client):
    response = client.post("/donations", data=widget_form({
        "amount": "0.10", "currency": "EUR", "frequency": "monthly", "provider": "sandbox",
        "email": "reader@example.org"}))
    assert response.status_code == 400
    page = Page(response.get_data(as_text=True))
    [amount] = page.all("input", name="amount")
    assert amount["value"] == "0.10" and amount.get("aria-invalid") == "true"
    assert [radio for radio in page.all("input", name="frequency", value="monthly")
            if "checked" in radio]
    assert page.all("input", name="email")[0]["value"] == "reader@example.org"


def test_the_embed_script_is_served_for_any_host_page(client):
    response = client.get("/embed.js")
    assert response.status_code == 200
    assert "javascript" in response.headers["Content-Type"]
    assert "donate:resize" in response.get_data(as_text=True)


def test_the_demo_article_embeds_the_widget_with_one_script_tag(client):
    page = Page(client.get("/demo").get_data(as_text=True))
    embeds = [script for script in page.all("script") if script.get("src") == "/embed.js"]
    assert {script.get("data-variant") for script in embeds} == {"slider", "quick"}


def test_the_cached_widget_page_is_filled_in_afresh_for_every_request(client):
    """The page is rendered once and reused (donate/widget/page_cache.py): what is per request
    (nonce, form token, the article's address) must never leak from one reader to the next."""
    seen = []
    for source in ("https://news.example/a?x=1&y=\"<b>", "https://news.example/b"):
        response = client.get("/widget", query_string={"source": source})
        page = response.get_data(as_text=True)
        nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])[1]
        assert f'<style nonce="{nonce}">' in page
        token = re.search(r'name="form_token" value="([^"]+)"', page)[1]
        assert f'name="source" value="{escape(source)}"' in page
        assert "\x1e" not in page
        assert "Accept-Language" in response.headers["Vary"]
        assert form_token_problem(token) is None
        seen.append(nonce)
    assert seen[0] != seen[1]
