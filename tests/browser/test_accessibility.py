"""No serious or critical axe-core findings on the pages readers, donors and staff see.

axe is injected as a script, which our CSP (script-src 'self') would refuse: these contexts
bypass CSP, and only these.
"""

import pytest
from playwright.sync_api import expect

from donate.extensions import db
from donate.newsletter import service as newsletter
from donate.newsletter.models import Subscriber
from tests.browser.harness import AXE_SCRIPT, save_screenshot

if not AXE_SCRIPT.exists():
    pytest.skip(f"no axe-core at {AXE_SCRIPT}: accessibility tests skipped (`make browser-deps`)",
                allow_module_level=True)

STAFF_EMAIL, STAFF_PASSWORD = "a11y@example.org", "a long enough staff password"
SERIOUS = """async () => {
  const { violations } = await axe.run(document, { resultTypes: ["violations"] });
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} at `
      + v.nodes.map((node) => node.target.join(" ")).join(", "));
}"""


@pytest.fixture
def audit(new_context):
    """Open a page, run axe on it and return the serious and critical findings."""
    page = new_context(bypass_csp=True).new_page()

    def serious_findings(url: str | None = None) -> list[str]:
        if url:
            page.goto(url)
        page.add_script_tag(path=AXE_SCRIPT)
        return page.evaluate(SERIOUS)

    serious_findings.page = page
    return serious_findings


@pytest.mark.parametrize("lang", ["en", "de"])
@pytest.mark.parametrize("variant", ["slider", "quick", "newsletter"])
def test_the_widget_variants(audit, live_server, variant, lang):
    assert audit(f"{live_server}/widget?variant={variant}&lang={lang}") == []


def test_the_widget_showing_what_is_wrong_with_a_donation(audit, live_server):
    audit(f"{live_server}/widget?variant=slider")
    page = audit.page
    page.locator("#amount").fill("20000")
    page.locator("form").evaluate("form => { form.noValidate = true; form.submit(); }")
    expect(page.locator("#err-amount")).not_to_be_empty()
    assert audit() == []


def test_the_sandbox_checkout_page(audit, live_server, donations):
    started = donations.start()
    assert audit(f"{live_server}/sandbox/checkout/{started['id']}") == []


def test_the_thank_you_page_while_validating_and_when_paid(audit, live_server, donations):
    started = donations.start()
    assert audit(f"{live_server}/donations/{started['id']}/thanks") == []
    expect(audit.page.locator("#status")).to_have_text("Validating payment information...")
    save_screenshot(audit.page.locator("body"), "checkout-validating")
    donations.decide(started["id"], "pay")
    assert audit(f"{live_server}/donations/{started['id']}/thanks") == []


def test_the_newsletter_confirm_and_unsubscribe_pages(app, audit, live_server):
    with app.test_request_context():
        newsletter.sign_up("reader@example.org", None)
    subscriber = db.session.scalar(db.select(Subscriber))
    confirm, unsubscribe = (newsletter.confirm_token(subscriber),
                            newsletter.unsubscribe_token(subscriber))
    assert audit(f"{live_server}/newsletter/confirm/{confirm}") == []
    assert audit(f"{live_server}/newsletter/unsubscribe/{unsubscribe}") == []


def test_the_donor_self_service_page(audit, live_server):
    assert audit(f"{live_server}/manage") == []


def test_the_staff_dashboard(app, runner, audit, live_server):
    if "staff" not in app.blueprints:
        pytest.skip("there is no staff area (donate/staff) yet")
    created = runner.invoke(args=["staff", "create", STAFF_EMAIL, "--role", "admin"],
                            input=STAFF_PASSWORD + "\n")
    assert created.exit_code == 0, created.output
    assert runner.invoke(args=["demo", "seed", "--donations", "300", "--seed", "9"]).exit_code == 0
    page = audit.page
    assert audit(f"{live_server}/staff/login") == []
    page.get_by_label("Email").fill(STAFF_EMAIL)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server}/staff/")
    assert audit() == []
    save_screenshot(page, "staff-dashboard")
