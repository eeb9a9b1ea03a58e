"""Every staff route: anonymous -> sign-in, viewer -> 403 on admin actions, CSRF on posts."""

import pytest

from donate.outbox.enqueue import enqueue
from donate.staff.models import StaffUser
from tests.staff.conftest import audit_actions

# (method, path, admins only) for every staff route; a new route must be added here.
ROUTES = {
    "staff.dashboard": ("GET", "/staff/", False),
    "staff.donations": ("GET", "/staff/donations", False),
    "staff.donation": ("GET", "/staff/donations/{donation}", False),
    "staff.donors": ("GET", "/staff/donors", False),
    "staff.donor": ("GET", "/staff/donors/{donor}", False),
    "staff.outbox": ("GET", "/staff/outbox", False),
    "staff.embed": ("GET", "/staff/embed", False),
    "staff.export_donations": ("GET", "/staff/exports/donations.csv", False),
    "staff.export_donors": ("GET", "/staff/exports/donors.csv", False),
    "staff.export_pledges": ("GET", "/staff/exports/pledges.csv", False),
    "staff.export_subscribers": ("GET", "/staff/exports/subscribers.csv", False),
    "staff.accounts": ("GET", "/staff/accounts", True),
    "staff.audit_log": ("GET", "/staff/audit", True),
    "staff.refund": ("POST", "/staff/donations/{donation}/refund", True),
    "staff.erase_donor": ("POST", "/staff/donors/{donor}/erase", True),
    "staff.retry_message": ("POST", "/staff/outbox/{message}/retry", True),
    "staff.add_account": ("POST", "/staff/accounts", True),
    "staff.set_role": ("POST", "/staff/accounts/{user}/role", True),
    "staff.disable": ("POST", "/staff/accounts/{user}/disable", True),
    "staff.enable": ("POST", "/staff/accounts/{user}/enable", True),
    "staff.logout": ("POST", "/staff/logout", False),
}
PUBLIC = {"staff.login"}


@pytest.fixture
def targets(books, staff) -> dict:
    """A row for every route that names one."""
    donor = books.donor("reader@example.org")
    donation = books.donation(1000, donor=donor)
    message_id = enqueue(kind="receipt", dedupe_key="k", to="reader@example.org", subject="s",
                         text="t")
    other = staff.account("other@example.org", "viewer")
    return {"donation": donation.public_id, "donor": donor.id, "message": message_id,
            "user": other.id}


def test_every_staff_route_is_in_the_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()
                 if rule.endpoint.startswith("staff.")}
    assert endpoints == set(ROUTES) | PUBLIC


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_anonymous_visitors_are_sent_to_sign_in(client, staff, targets, endpoint):
    method, path, _ = ROUTES[endpoint]
    token = staff.token()  # a valid token: the sign-in check, not CSRF, must refuse
    answer = client.open(path.format(**targets), method=method, data={"csrf_token": token})
    assert answer.status_code == 302
    assert answer.location.startswith("/staff/login")


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_viewers_read_but_get_403_on_admin_actions(client, staff, targets, endpoint):
    method, path, admins_only = ROUTES[endpoint]
    staff.signed_in("viewer")
    before = audit_actions()
    answer = staff.post(path.format(**targets)) if method == "POST" \
        else client.get(path.format(**targets))
    if admins_only:
        assert answer.status_code == 403
        assert audit_actions() == before  # refused before anything was done
    else:
        assert answer.status_code in (200, 303)


@pytest.mark.parametrize("endpoint", sorted(name for name, route in ROUTES.items()
                                            if route[0] == "POST"))
def test_a_post_without_the_csrf_token_is_refused(client, staff, targets, endpoint):
    _, path, _ = ROUTES[endpoint]
    staff.signed_in("admin")
    before = audit_actions()
    assert client.post(path.format(**targets)).status_code == 400
    assert audit_actions() == before


def test_staff_pages_are_not_framable_or_cached(client, staff):
    staff.signed_in("viewer")
    answer = client.get("/staff/")
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Cache-Control"] == "no-store"


def test_an_admin_sees_the_admin_pages(client, staff):
    staff.signed_in("admin")
    assert client.get("/staff/accounts").status_code == 200
    assert StaffUser.query.count() == 1
