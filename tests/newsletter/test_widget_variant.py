"""GET /widget?variant=newsletter: a labelled, plain form that works without JavaScript."""

import pytest

from tests.widget.test_widget_page import Page, widget_page


def test_the_newsletter_widget_is_a_plain_form_to_the_top_window(client):
    _, page = widget_page(client, "?variant=newsletter")
    [form] = page.all("form")
    assert (form["method"], form["action"], form["target"]) == ("post", "/newsletter", "_top")
    assert page.all("button", type="submit")


def test_the_email_field_is_labelled_and_described_by_the_consent(client):
    html, page = widget_page(client, "?variant=newsletter")
    [email] = page.all("input", name="email")
    assert email["type"] == "email" and "required" in email
    assert email["id"] in page.label_for
    assert "consent" in email["aria-describedby"].split()
    assert ">Subscribe</button>" in html
    assert page.all("p", role="status")


@pytest.mark.parametrize("app_overrides", [{"NEWSLETTER_CONSENT_TEXT": "Weekly news, please."}])
def test_the_consent_wording_shown_is_the_configured_one(client):
    html, _ = widget_page(client, "?variant=newsletter")
    assert "Weekly news, please." in html


def test_the_host_page_arrives_as_the_source(client):
    _, page = widget_page(client, "?variant=newsletter&source=https%3A%2F%2Fnews.example%2Fa")
    [source] = page.all("input", name="source")
    assert (source["type"], source["value"]) == ("hidden", "https://news.example/a")


def test_the_newsletter_widget_may_be_framed_by_publishers(client):
    response = client.get("/widget?variant=newsletter")
    assert "X-Frame-Options" not in response.headers
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]


def test_the_refused_form_page_names_the_field_and_keeps_the_source(client):
    response = client.post("/newsletter", data={"email": "nope", "source": "https://news.example/a"})
    page = Page(response.get_data(as_text=True))
    [email] = page.all("input", name="email")
    assert email["value"] == "nope" and email["aria-invalid"] == "true"
    assert email["id"] in page.label_for
    assert page.all("input", name="source")[0]["value"] == "https://news.example/a"
