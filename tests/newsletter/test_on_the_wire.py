"""What reaches a real SMTP server, byte for byte: short 7-bit lines and a one-click link
that mail providers can read."""

import email
import re
from email.policy import default

import pytest

from donate.extensions import db
from donate.outbox import worker
from donate.outbox.enqueue import enqueue
from tests.conftest import smtp_settings


@pytest.fixture
def app_overrides(smtp):
    return {"PUBLIC_URL": "https://give.example", **smtp_settings(smtp)}


def unfolded_headers(raw: bytes) -> str:
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii") + "\r\n"
    return re.sub(r"\r\n[ \t]", " ", head)


def test_the_one_click_unsubscribe_link_goes_out_as_a_plain_url(newsletter, smtp):
    newsletter.sign_up()
    [queued] = newsletter.emails()
    assert len(queued.headers["List-Unsubscribe"]) > 78  # long enough to be folded
    assert worker.work(once=True).sent == 1
    [raw] = smtp.raw
    head = unfolded_headers(raw)
    assert f"\nList-Unsubscribe: {queued.headers['List-Unsubscribe']}\r\n" in head
    assert "\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in head
    assert "=?" not in re.search(r"List-Unsubscribe: .*", head)[0]


def test_every_line_is_short_7_bit_and_the_parts_read_as_written(app, smtp):
    long_html = "<p>Danke für Ihre Spende über <b>12,50 €</b>.</p>" * 60  # one 3,000-char line
    text = "Danke für Ihre Spende über 12,50 €.\nIhre Quittung folgt.\n"
    enqueue(kind="test", dedupe_key="wire:1", to="leserin@example.de",
            subject="Quittung 2026-000001: Ihre Spende über 12,50 € – vielen Dank für Ihre "
                    "Unterstützung des unabhängigen Journalismus", text=text, html=long_html)
    db.session.commit()
    assert worker.work(once=True).sent == 1
    [raw] = smtp.raw
    lines = raw.split(b"\r\n")
    assert max(len(line) for line in lines) <= 998
    assert raw.isascii() and b"\n" not in raw.replace(b"\r\n", b"")
    message = email.message_from_bytes(raw, policy=default)
    assert message["Subject"].startswith("Quittung 2026-000001: Ihre Spende über 12,50 €")
    parts = {kind: message.get_body((kind,)).get_content().replace("\r\n", "\n")
             for kind in ("plain", "html")}
    assert parts == {"plain": text, "html": long_html}
