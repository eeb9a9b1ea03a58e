"""The block list: `flask abuse block/unblock/list`, and checkout refusing what it names."""

from datetime import timedelta

from sqlalchemy import update

from donate.abuse.guard import BLOCKED
from donate.abuse.models import BlockedSource
from donate.extensions import db
from donate.ledger.models import utcnow
from tests.abuse.conftest import VALID, written
from tests.conftest import widget_form


def block(runner, *args: str):
    result = runner.invoke(args=["abuse", "block", *args])
    assert result.exit_code == 0, result.output
    return result


def test_a_blocked_network_is_refused_in_words_and_nothing_is_written(runner, reader):
    block(runner, "203.0.113.0/24", "--reason", "card testing", "--by", "ed@newsroom.example")
    answer = reader.give("203.0.113.9", email="someone@example.org")
    assert answer.status_code == 403
    assert answer.get_json()["error"] == BLOCKED
    page = reader.post_form(widget_form(VALID), address="203.0.113.10")
    assert page.status_code == 403 and b"write to us" in page.data
    assert written() == (0, 0, 0)
    assert reader.give("203.0.114.9").status_code == 201


def test_a_single_address_and_an_ipv6_network_can_be_blocked(runner, reader):
    block(runner, "192.0.2.7", "--reason", "x")
    block(runner, "2001:db8:aa::/48", "--reason", "x")
    assert reader.give("192.0.2.7").status_code == 403
    assert reader.give("192.0.2.8").status_code == 201
    assert reader.give("2001:db8:aa:1::5").status_code == 403
    assert reader.give("::ffff:192.0.2.7").status_code == 403


def test_a_blocked_email_is_refused_however_it_is_written(runner, reader):
    block(runner, "Tester@Example.org", "--reason", "stolen cards")
    assert reader.give(email=" tester@EXAMPLE.org").status_code == 403
    assert reader.give(email="other@example.org").status_code == 201


def test_unblocking_lets_the_source_in_again(runner, reader):
    block(runner, "203.0.113.0/24", "--reason", "x")
    result = runner.invoke(args=["abuse", "unblock", "203.0.113.0/24"])
    assert "1 block(s) removed" in result.output
    assert reader.give("203.0.113.9").status_code == 201
    assert runner.invoke(args=["abuse", "unblock", "203.0.113.0/24"]).exit_code != 0


def test_a_block_lapses_when_it_expires(runner, reader):
    block(runner, "203.0.113.0/24", "--reason", "x", "--hours", "1")
    assert reader.give("203.0.113.9").status_code == 403
    db.session.execute(update(BlockedSource).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert reader.give("203.0.113.9").status_code == 201


def test_the_list_shows_who_blocked_what_and_why(runner):
    block(runner, "203.0.113.0/24", "--reason", "card testing", "--by", "ed@newsroom.example")
    block(runner, "x@example.org", "--reason", "chargebacks", "--hours", "24")
    output = runner.invoke(args=["abuse", "list"]).output
    assert "203.0.113.0/24" in output and "ed@newsroom.example" in output
    assert "x@example.org" in output and "chargebacks" in output
    assert "2 blocked." in output


def test_a_target_that_is_neither_network_nor_email_is_refused(runner):
    result = runner.invoke(args=["abuse", "block", "not a network", "--reason", "x"])
    assert result.exit_code == 2 and "neither a network" in result.output
