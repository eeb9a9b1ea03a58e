"""FakePayPalServer driven by PayPal's own server SDK (paypal-server-sdk 2.4.0) wherever the SDK
has the endpoint, and by plain `requests` for the rest (catalog products, verify-webhook-
signature): no app involved. The last tests check what the fake received and answered against
PayPal's published OpenAPI specs in ../shared/provider-specs/paypal."""

import base64
import json
import threading
import time
import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from apimatic_core.exceptions.auth_validation_exception import AuthValidationException
from paypalserversdk.exceptions.api_exception import ApiException
from paypalserversdk.exceptions.error_exception import ErrorException
from paypalserversdk.exceptions.o_auth_provider_exception import OAuthProviderException
from paypalserversdk.exceptions.search_error_exception import SearchErrorException
from paypalserversdk.exceptions.subscription_error_exception import SubscriptionErrorException
from paypalserversdk.http.auth.o_auth_2 import ClientCredentialsAuthCredentials
from paypalserversdk.models.activate_subscription_request import ActivateSubscriptionRequest
from paypalserversdk.models.amount_with_breakdown import AmountWithBreakdown
from paypalserversdk.models.billing_cycle_override import BillingCycleOverride
from paypalserversdk.models.cancel_subscription_request import CancelSubscriptionRequest
from paypalserversdk.models.checkout_payment_intent import CheckoutPaymentIntent
from paypalserversdk.models.create_subscription_request import CreateSubscriptionRequest
from paypalserversdk.models.cycle_frequency import CycleFrequency
from paypalserversdk.models.interval_unit import IntervalUnit
from paypalserversdk.models.modify_subscription_request import ModifySubscriptionRequest
from paypalserversdk.models.money import Money
from paypalserversdk.models.order_application_context import OrderApplicationContext
from paypalserversdk.models.order_request import OrderRequest
from paypalserversdk.models.payment_preferences import PaymentPreferences
from paypalserversdk.models.payment_source import PaymentSource
from paypalserversdk.models.paypal_wallet import PaypalWallet
from paypalserversdk.models.paypal_wallet_experience_context import (
    PaypalWalletExperienceContext,
)
from paypalserversdk.models.plan_override import PlanOverride
from paypalserversdk.models.plan_request import PlanRequest
from paypalserversdk.models.purchase_unit_request import PurchaseUnitRequest
from paypalserversdk.models.refund_request import RefundRequest
from paypalserversdk.models.subscription_application_context import (
    SubscriptionApplicationContext,
)
from paypalserversdk.models.subscription_billing_cycle import SubscriptionBillingCycle
from paypalserversdk.models.subscription_pricing_scheme import SubscriptionPricingScheme
from paypalserversdk.models.suspend_subscription import SuspendSubscription
from paypalserversdk.models.tenure_type import TenureType
from paypalserversdk.paypal_serversdk_client import PaypalServersdkClient

from tests.fakes.paypal_openapi import SPEC_DIR, SPEC_DIR_SHOWN, load_spec, operation_of
from tests.fakes.paypal_server import FakePayPalServer, PayPalBaseUrlConfiguration

RETURN_URL = "https://news.example/paypal/return"
CANCEL_URL = "https://news.example/paypal/cancel"


@pytest.fixture
def fake():
    with FakePayPalServer() as server:
        yield server
        assert server.crashes == []


@pytest.fixture
def client(fake) -> PaypalServersdkClient:
    """What the app does: the SDK's client on a Configuration whose base URI is the fake."""
    config = PayPalBaseUrlConfiguration(
        fake.url,
        client_credentials_auth_credentials=ClientCredentialsAuthCredentials(
            o_auth_client_id=fake.client_id, o_auth_client_secret=fake.client_secret
        ),
        timeout=5,
    )
    return PaypalServersdkClient(config=config)


@pytest.fixture
def http(fake) -> requests.Session:
    """Plain HTTP with a bearer token from POST /v1/oauth2/token, for what the SDK lacks."""
    token = requests.post(
        f"{fake.url}/v1/oauth2/token",
        auth=(fake.client_id, fake.client_secret),
        data={"grant_type": "client_credentials"},
        timeout=5,
    ).json()["access_token"]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def order_request(value="25.00", currency="EUR", custom_id="don-1", legacy=False) -> OrderRequest:
    unit = PurchaseUnitRequest(
        amount=AmountWithBreakdown(currency_code=currency, value=value),
        custom_id=custom_id,
        description="Donation to Example News",
    )
    if legacy:  # the deprecated application_context: status CREATED and an "approve" link
        return OrderRequest(
            intent=CheckoutPaymentIntent.CAPTURE,
            purchase_units=[unit],
            application_context=OrderApplicationContext(
                return_url=RETURN_URL, cancel_url=CANCEL_URL, user_action="PAY_NOW"
            ),
        )
    return OrderRequest(
        intent=CheckoutPaymentIntent.CAPTURE,
        purchase_units=[unit],
        payment_source=PaymentSource(
            paypal=PaypalWallet(
                experience_context=PaypalWalletExperienceContext(
                    return_url=RETURN_URL,
                    cancel_url=CANCEL_URL,
                    user_action="PAY_NOW",
                    shipping_preference="NO_SHIPPING",
                    brand_name="Example News",
                )
            )
        ),
    )


def create_order(client, request_id=None, **kwargs):
    return client.orders.create_order(
        {"body": order_request(**kwargs), "paypal_request_id": request_id or str(uuid.uuid4())}
    )


def approved_order(client, fake, **kwargs) -> str:
    order_id = create_order(client, **kwargs).body.id
    fake.approve(order_id)
    return order_id


def capture(client, order_id, request_id=None, prefer=None):
    options = {"id": order_id, "paypal_request_id": request_id or str(uuid.uuid4())}
    if prefer:
        options["prefer"] = prefer
    return client.orders.capture_order(options)


def captured(client, fake, **kwargs) -> str:
    order_id = approved_order(client, fake, **kwargs)
    capture(client, order_id)
    return fake.capture_ids(order_id)[0]


def money(value, currency="EUR") -> Money:
    return Money(currency_code=currency, value=value)


def product(http, fake, **extra) -> dict:
    body = {"name": "Monthly donation", "type": "SERVICE", "category": "NONPROFIT", **extra}
    response = http.post(f"{fake.url}/v1/catalogs/products", json=body, timeout=5)
    assert response.status_code == 201, response.text
    return response.json()


def monthly_plan(client, product_id, value="5.00", total_cycles=0):
    cycle = SubscriptionBillingCycle(
        frequency=CycleFrequency(interval_unit=IntervalUnit.MONTH, interval_count=1),
        tenure_type=TenureType.REGULAR,
        sequence=1,
        total_cycles=total_cycles,  # 0 = until cancelled; the SDK's and PayPal's default is 1
        pricing_scheme=SubscriptionPricingScheme(fixed_price=money(value)),
    )
    body = PlanRequest(
        product_id=product_id,
        name="Monthly donation",
        billing_cycles=[cycle],
        payment_preferences=PaymentPreferences(payment_failure_threshold=3),
    )
    return client.subscriptions.create_billing_plan(
        {"body": body, "paypal_request_id": str(uuid.uuid4()),
         "prefer": "return=representation"}
    ).body


def override(value, currency="EUR") -> PlanOverride:
    return PlanOverride(billing_cycles=[BillingCycleOverride(
        sequence=1, pricing_scheme=SubscriptionPricingScheme(fixed_price=money(value, currency))
    )])


def override_json(value, currency="EUR") -> dict:
    return {"billing_cycles": [{"sequence": 1, "pricing_scheme": {
        "fixed_price": {"currency_code": currency, "value": value}}}]}


def subscribe(client, plan_id, value="12.00", custom_id="don-7", currency="EUR"):
    body = CreateSubscriptionRequest(
        plan_id=plan_id,
        custom_id=custom_id,
        plan=override(value, currency),
        application_context=SubscriptionApplicationContext(
            return_url=RETURN_URL, cancel_url=CANCEL_URL, brand_name="Example News",
            shipping_preference="NO_SHIPPING", user_action="SUBSCRIBE_NOW",
        ),
    )
    return client.subscriptions.create_subscription(
        {"body": body, "paypal_request_id": str(uuid.uuid4())}
    )


def active_subscription(client, http, fake, value="12.00") -> str:
    plan = monthly_plan(client, product(http, fake)["id"])
    sub_id = subscribe(client, plan.id, value).body.id
    fake.approve(sub_id)
    return sub_id


def link(resource, rel) -> str:
    links = resource["links"] if isinstance(resource, dict) else resource.links
    for item in links:
        if (item["rel"] if isinstance(item, dict) else item.rel) == rel:
            return item["href"] if isinstance(item, dict) else item.href
    raise AssertionError(f"no {rel} link")


# --- client construction and OAuth ---------------------------------------------------------


def test_sdk_fetches_one_token_with_basic_auth_then_sends_bearer(fake, client):
    order_id = create_order(client).body.id
    client.orders.get_order({"id": order_id})
    token_requests = [r for r in fake.requests if r.path == "/v1/oauth2/token"]
    assert len(token_requests) == 1  # cached for the client's life (until expires_in)
    token_request = token_requests[0]
    basic = base64.b64encode(f"{fake.client_id}:{fake.client_secret}".encode()).decode()
    assert token_request.header("Authorization") == f"Basic {basic}"
    assert parse_qs(token_request.body) == {"grant_type": ["client_credentials"]}
    assert token_request.header("Content-Type") == "application/x-www-form-urlencoded"
    api_request = fake.last("POST", "/v2/checkout/orders")
    assert api_request.header("Authorization").startswith("Bearer A21AA")
    assert api_request.header("Content-Type") == "application/json"
    assert api_request.header("User-Agent").startswith("PayPal REST API Python SDK, Version: 2.4.0")
    assert api_request.header("Prefer") is None  # not sent unless asked for


def test_configuration_clone_keeps_the_base_url(fake):
    config = PayPalBaseUrlConfiguration(fake.url, timeout=3)
    clone = config.clone_with(timeout=7)
    assert isinstance(clone, PayPalBaseUrlConfiguration)
    assert clone.get_base_uri() == fake.url and clone.timeout == 7


def test_token_endpoint_in_paypal_shapes(fake):
    ok = requests.post(f"{fake.url}/v1/oauth2/token", auth=(fake.client_id, fake.client_secret),
                       data={"grant_type": "client_credentials"}, timeout=5)
    assert ok.status_code == 200
    assert ok.json().keys() >= {"scope", "access_token", "token_type", "app_id", "expires_in"}
    assert ok.json()["token_type"] == "Bearer" and ok.json()["expires_in"] == 32400
    wrong = requests.post(f"{fake.url}/v1/oauth2/token", auth=(fake.client_id, "nope"),
                          data={"grant_type": "client_credentials"}, timeout=5)
    assert wrong.status_code == 401
    assert wrong.json() == {"error": "invalid_client",
                            "error_description": "Client Authentication failed"}
    grant = requests.post(f"{fake.url}/v1/oauth2/token", auth=(fake.client_id, fake.client_secret),
                          data={"grant_type": "password"}, timeout=5)
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"
    missing = requests.get(f"{fake.url}/v2/checkout/orders/X", timeout=5)
    assert missing.status_code == 401 and missing.json()["name"] == "AUTHENTICATION_FAILURE"
    bogus = requests.get(f"{fake.url}/v2/checkout/orders/X", timeout=5,
                         headers={"Authorization": "Bearer A21AAnope"})
    assert bogus.status_code == 401 and bogus.json()["error"] == "invalid_token"


def test_wrong_secret_surfaces_as_auth_validation_exception(fake):
    client = fake.sdk_client(client_secret="wrong")
    with pytest.raises(AuthValidationException, match="OAuthToken is undefined or expired"):
        create_order(client)  # the SDK swallows the 401 and sends nothing
    assert [r.path for r in fake.requests] == ["/v1/oauth2/token"]
    with pytest.raises(OAuthProviderException) as caught:
        client.oauth_2.fetch_token()  # asked directly, the OAuth error surfaces
    assert caught.value.response_code == 401 and caught.value.error == "invalid_client"


def test_revoked_token_is_a_401_error_exception_and_not_refreshed(fake, client):
    create_order(client)
    fake.expire_tokens()
    with pytest.raises(ErrorException) as caught:
        create_order(client)
    assert caught.value.response_code == 401
    assert json.loads(caught.value.response.text)["error"] == "invalid_token"
    assert len([r for r in fake.requests if r.path == "/v1/oauth2/token"]) == 1


def test_sdk_fetches_a_new_token_once_expires_in_has_passed():
    """The SDK counts expiry in whole seconds and refreshes only once now > expiry, so without
    o_auth_clock_skew it may send a token in its last second; with a skew it refreshes early."""
    with FakePayPalServer(token_lifetime=1) as fake:
        client = fake.sdk_client()
        create_order(client)
        time.sleep(2.1)
        create_order(client)
        assert len([r for r in fake.requests if r.path == "/v1/oauth2/token"]) == 2
        skewed = PaypalServersdkClient(config=PayPalBaseUrlConfiguration(
            fake.url, client_credentials_auth_credentials=ClientCredentialsAuthCredentials(
                o_auth_client_id=fake.client_id, o_auth_client_secret=fake.client_secret,
                o_auth_clock_skew=5)))
        with pytest.raises(AuthValidationException):  # a skew >= expires_in: never valid
            create_order(skewed)
        assert fake.crashes == []


# --- Orders v2 -----------------------------------------------------------------------------


def test_create_order_minimal_response_with_payer_action_link(fake, client):
    response = create_order(client, request_id="req-create-1")
    assert response.status_code == 201
    assert json.loads(response.text).keys() == {"id", "status", "payment_source", "links"}
    order = response.body
    assert order.status == "PAYER_ACTION_REQUIRED" and len(order.id) == 17
    assert link(order, "payer-action") == f"{fake.url}/approve/{order.id}"
    assert link(order, "self") == f"{fake.url}/v2/checkout/orders/{order.id}"
    recorded = fake.last("POST", "/v2/checkout/orders")
    assert recorded.request_id == "req-create-1"
    assert recorded.json["purchase_units"][0] == {
        "amount": {"currency_code": "EUR", "value": "25.00"},
        "custom_id": "don-1",
        "description": "Donation to Example News",
    }
    context = recorded.json["payment_source"]["paypal"]["experience_context"]
    assert context["return_url"] == RETURN_URL and context["cancel_url"] == CANCEL_URL


def test_legacy_application_context_gives_created_and_approve_link(fake, client):
    order = create_order(client, legacy=True).body
    assert order.status == "CREATED"
    assert link(order, "approve") == f"{fake.url}/approve/{order.id}"
    assert fake.approve(order.id).startswith(f"{RETURN_URL}?token={order.id}&PayerID=")


def test_approval_pages_redirect_like_paypal(fake, client):
    order = create_order(client).body
    page = requests.get(link(order, "payer-action"), timeout=5)
    assert page.status_code == 200 and order.id in page.text
    cancelled = requests.post(f"{fake.url}/approve/{order.id}/cancel", allow_redirects=False,
                              timeout=5)
    assert cancelled.headers["Location"] == f"{CANCEL_URL}?token={order.id}"
    approved = requests.post(f"{fake.url}/approve/{order.id}", allow_redirects=False, timeout=5)
    assert approved.status_code == 303
    assert approved.headers["Location"].startswith(f"{RETURN_URL}?token={order.id}&PayerID=")
    assert client.orders.get_order({"id": order.id}).body.status == "APPROVED"


def test_same_paypal_request_id_returns_the_same_order(fake, client):
    first = create_order(client, request_id="same-id", value="10.00")
    again = create_order(client, request_id="same-id", value="99.00")  # PayPal replays
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.body.id == first.body.id and len(fake.orders) == 1
    other = create_order(client, request_id="other-id")
    assert other.body.id != first.body.id and len(fake.orders) == 2


def test_concurrent_creates_with_one_request_id_make_one_order(fake, client):
    ids = []
    threads = [threading.Thread(target=lambda: ids.append(
        create_order(client, request_id="racy").body.id)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 1 and len(fake.orders) == 1


def test_get_order_representation(fake, client):
    order_id = create_order(client).body.id
    order = client.orders.get_order({"id": order_id}).body
    assert order.intent == "CAPTURE" and order.status == "PAYER_ACTION_REQUIRED"
    unit = order.purchase_units[0]
    assert (unit.amount.currency_code, unit.amount.value, unit.custom_id) == ("EUR", "25.00",
                                                                              "don-1")
    assert not hasattr(order, "payer")  # absent fields are absent attributes on SDK models
    with pytest.raises(ErrorException) as caught:
        client.orders.get_order({"id": "NOSUCHORDER00000X"})
    assert caught.value.response_code == 404 and caught.value.name == "RESOURCE_NOT_FOUND"
    assert caught.value.details[0].issue == "INVALID_RESOURCE_ID"


def test_capture_needs_approval_then_completes_once(fake, client):
    order_id = create_order(client).body.id
    with pytest.raises(ErrorException) as caught:
        capture(client, order_id)
    assert caught.value.response_code == 422
    assert caught.value.details[0].issue == "ORDER_NOT_APPROVED"

    return_url = fake.approve(order_id, email_address="reader@example.org", given_name="Ada",
                              surname="Lovelace", payer_id="QYR5Z8XDVJNXQ")
    assert parse_qs(urlsplit(return_url).query) == {"token": [order_id],
                                                    "PayerID": ["QYR5Z8XDVJNXQ"]}
    assert client.orders.get_order({"id": order_id}).body.status == "APPROVED"

    response = capture(client, order_id, request_id="cap-1")
    assert response.status_code == 201
    order = response.body
    assert order.status == "COMPLETED"
    cap = order.purchase_units[0].payments.captures[0]
    assert cap.status == "COMPLETED" and cap.custom_id == "don-1" and cap.final_capture
    assert (cap.amount.currency_code, cap.amount.value) == ("EUR", "25.00")
    breakdown = cap.seller_receivable_breakdown  # 3.49% + 0.35 EUR
    assert (breakdown.gross_amount.value, breakdown.paypal_fee.value,
            breakdown.net_amount.value) == ("25.00", "1.22", "23.78")
    assert cap.create_time.endswith("Z")
    assert order.payer.email_address == "reader@example.org"
    assert (order.payer.name.given_name, order.payer.name.surname) == ("Ada", "Lovelace")
    assert order.payment_source.paypal.email_address == "reader@example.org"

    replay = capture(client, order_id, request_id="cap-1")  # a retry: same answer, 200
    assert replay.status_code == 200
    assert replay.body.purchase_units[0].payments.captures[0].id == cap.id
    with pytest.raises(ErrorException) as caught:
        capture(client, order_id, request_id="cap-2")
    error = caught.value
    assert error.response_code == 422 and error.name == "UNPROCESSABLE_ENTITY"
    assert error.details[0].issue == "ORDER_ALREADY_CAPTURED" and error.debug_id
    assert fake.capture_ids(order_id) == [cap.id]


def test_capture_representation_has_the_whole_order(fake, client):
    order_id = approved_order(client, fake)
    full = capture(client, order_id, prefer="return=representation")
    assert {"intent", "purchase_units", "create_time"} <= json.loads(full.text).keys()
    assert full.body.purchase_units[0].amount.value == "25.00"


def test_pending_capture_then_completed_or_denied_by_webhook(fake, client):
    order_id = create_order(client).body.id
    fake.approve(order_id, capture_status="PENDING", pending_reason="ECHECK")
    cap = capture(client, order_id).body.purchase_units[0].payments.captures[0]
    assert cap.status == "PENDING" and cap.status_details.reason == "ECHECK"
    assert not hasattr(cap, "seller_receivable_breakdown")
    with pytest.raises(ErrorException) as caught:
        client.payments.refund_captured_payment({"capture_id": cap.id})
    assert caught.value.details[0].issue == "PENDING_CAPTURE"
    event = fake.capture_completed(cap.id)
    assert event["event_type"] == "PAYMENT.CAPTURE.COMPLETED"
    assert event["resource"]["status"] == "COMPLETED"
    assert event["resource"]["supplementary_data"]["related_ids"]["order_id"] == order_id
    assert client.payments.get_captured_payment({"capture_id": cap.id}).body.status == "COMPLETED"

    other = create_order(client).body.id
    fake.approve(other, capture_status="PENDING")
    denied_id = capture(client, other).body.purchase_units[0].payments.captures[0].id
    denied = fake.capture_denied(denied_id)
    assert denied["event_type"] == "PAYMENT.CAPTURE.DENIED"
    assert denied["resource"]["status"] == "DECLINED"


def test_declined_and_instrument_declined_captures(fake, client):
    order_id = create_order(client).body.id
    fake.approve(order_id, capture_status="DECLINED")
    order = capture(client, order_id).body
    assert order.purchase_units[0].payments.captures[0].status == "DECLINED"

    order_id = create_order(client).body.id
    fake.approve(order_id, capture_status="INSTRUMENT_DECLINED")
    with pytest.raises(ErrorException) as caught:
        capture(client, order_id)
    assert caught.value.details[0].issue == "INSTRUMENT_DECLINED"
    assert [link.rel for link in caught.value.links][0] == "redirect"
    assert client.orders.get_order({"id": order_id}).body.status == "PAYER_ACTION_REQUIRED"
    fake.approve(order_id)  # the donor picks other funding
    assert capture(client, order_id).body.status == "COMPLETED"


# --- Payments v2 ---------------------------------------------------------------------------


def test_partial_refunds_accumulate_and_over_refund_is_refused(fake, client):
    capture_id = captured(client, fake)
    minimal = client.payments.refund_captured_payment({
        "capture_id": capture_id, "paypal_request_id": "ref-1",
        "body": RefundRequest(amount=money("10.00"), note_to_payer="Thanks anyway"),
    })
    assert minimal.status_code == 201
    assert json.loads(minimal.text).keys() == {"id", "status", "links"}  # Prefer default
    assert minimal.body.status == "COMPLETED"
    replay = client.payments.refund_captured_payment({
        "capture_id": capture_id, "paypal_request_id": "ref-1",
        "body": RefundRequest(amount=money("10.00"))})
    assert replay.body.id == minimal.body.id and len(fake.refunds) == 1

    second = client.payments.refund_captured_payment({
        "capture_id": capture_id, "prefer": "return=representation",
        "paypal_request_id": "ref-2", "body": RefundRequest(amount=money("10.00")),
    }).body
    assert (second.amount.value, second.status) == ("10.00", "COMPLETED")
    assert second.seller_payable_breakdown.total_refunded_amount.value == "20.00"
    assert link(second, "up").endswith(f"/v2/payments/captures/{capture_id}")
    cap = client.payments.get_captured_payment({"capture_id": capture_id}).body
    assert cap.status == "PARTIALLY_REFUNDED"

    with pytest.raises(ErrorException) as caught:
        client.payments.refund_captured_payment({
            "capture_id": capture_id, "body": RefundRequest(amount=money("5.01"))})
    assert caught.value.response_code == 422
    assert caught.value.details[0].issue == "REFUND_AMOUNT_EXCEEDED"
    with pytest.raises(ErrorException) as caught:
        client.payments.refund_captured_payment({
            "capture_id": capture_id, "body": RefundRequest(amount=money("1.00", "USD"))})
    assert caught.value.details[0].issue == "REFUND_CAPTURE_CURRENCY_MISMATCH"

    rest = client.payments.refund_captured_payment({  # no amount: what is left
        "capture_id": capture_id, "prefer": "return=representation"}).body
    assert rest.amount.value == "5.00"
    assert rest.seller_payable_breakdown.total_refunded_amount.value == "25.00"
    assert client.payments.get_refund({"refund_id": rest.id}).body.amount.value == "5.00"
    assert client.payments.get_captured_payment({"capture_id": capture_id}).body.status == (
        "REFUNDED")
    with pytest.raises(ErrorException) as caught:
        client.payments.refund_captured_payment({"capture_id": capture_id})
    assert caught.value.details[0].issue == "CAPTURE_FULLY_REFUNDED"
    with pytest.raises(ErrorException) as caught:
        client.payments.refund_captured_payment({"capture_id": "NOSUCHCAPTURE0000"})
    assert caught.value.response_code == 404


def test_refund_validation_speaks_the_payments_dialect(fake, client, http):
    capture_id = captured(client, fake, currency="JPY", value="2500")
    url = f"{fake.url}/v2/payments/captures/{capture_id}/refund"
    for amount, status, issue in [
        ({"currency_code": "JPY", "value": "100.5"}, 422, "DECIMALS_NOT_SUPPORTED"),
        ({"currency_code": "XYZ", "value": "100"}, 422, "INVALID_CURRENCY_CODE"),
        ({"currency_code": "JPY", "value": "0"}, 422, "CANNOT_BE_ZERO_OR_NEGATIVE"),
        ({"currency_code": "JPY"}, 400, "MISSING_REQUIRED_PARAMETER"),
    ]:
        response = http.post(url, json={"amount": amount}, timeout=5)
        assert (response.status_code, response.json()["details"][0]["issue"]) == (status, issue)
    long_note = http.post(url, json={"note_to_payer": "x" * 256}, timeout=5)
    assert long_note.json()["details"][0]["issue"] == "INVALID_STRING_LENGTH"
    assert fake.refunds == {}


def test_get_captured_payment_shape(fake, client):
    capture_id = captured(client, fake, value="7.00", currency="USD", custom_id="don-9")
    response = client.payments.get_captured_payment({"capture_id": capture_id})
    payload = json.loads(response.text)
    assert payload["seller_receivable_breakdown"]["paypal_fee"] == {"currency_code": "USD",
                                                                    "value": "0.73"}
    assert payload["custom_id"] == "don-9"
    assert payload["payee"]["merchant_id"] == fake.merchant["merchant_id"]
    assert [item["rel"] for item in payload["links"]] == ["self", "refund", "up"]


# --- request validation --------------------------------------------------------------------


def _order_json(value="25.00", currency="EUR", **unit):
    return {"intent": "CAPTURE", "purchase_units": [
        {"amount": {"currency_code": currency, "value": value}, **unit}]}


@pytest.mark.parametrize(
    ("body", "status", "issue", "field"),
    [
        (_order_json("25.001"), 422, "DECIMAL_PRECISION", "/purchase_units/0/amount/value"),
        (_order_json("25.5"), 422, "DECIMAL_PRECISION", "/purchase_units/0/amount/value"),
        (_order_json("2500.50", "JPY"), 422, "DECIMAL_PRECISION",
         "/purchase_units/0/amount/value"),
        (_order_json("0.00"), 422, "CANNOT_BE_ZERO_OR_NEGATIVE", "/purchase_units/0/amount/value"),
        (_order_json("12,50"), 400, "INVALID_PARAMETER_SYNTAX", "/purchase_units/0/amount/value"),
        (_order_json(25), 400, "INVALID_PARAMETER_SYNTAX", "/purchase_units/0/amount/value"),
        (_order_json("25.00", "XYZ"), 422, "INVALID_CURRENCY_CODE",
         "/purchase_units/0/amount/currency_code"),
        (_order_json("25.00", "KWD"), 422, "INVALID_CURRENCY_CODE",
         "/purchase_units/0/amount/currency_code"),
        (_order_json("25.00", "EURO"), 400, "INVALID_STRING_LENGTH",
         "/purchase_units/0/amount/currency_code"),
        (_order_json(custom_id="x" * 128), 400, "INVALID_STRING_LENGTH",
         "/purchase_units/0/custom_id"),
        ({"intent": "CAPTURE"}, 400, "MISSING_REQUIRED_PARAMETER", "/purchase_units"),
        ({"intent": "SALE", "purchase_units": _order_json()["purchase_units"]}, 400,
         "INVALID_PARAMETER_VALUE", "/intent"),
        ({**_order_json(), "application_context": {"return_url": "not-a-url-at-all"}}, 400,
         "INVALID_PARAMETER_SYNTAX", "/application_context/return_url"),
    ],
)
def test_order_request_validation(fake, http, body, status, issue, field):
    response = http.post(f"{fake.url}/v2/checkout/orders", json=body, timeout=5)
    assert response.status_code == status, response.text
    error = response.json()
    assert error["name"] == {400: "INVALID_REQUEST", 422: "UNPROCESSABLE_ENTITY"}[status]
    assert error["message"] and len(error["debug_id"]) == 13
    assert (error["details"][0]["issue"], error["details"][0]["field"]) == (issue, field)
    assert error["details"][0]["location"] == "body" and error["details"][0]["description"]
    assert error["links"][0]["rel"] == "information_link"
    assert fake.orders == {}


def test_lenient_amounts_take_fewer_decimals_as_paypal_does():
    with FakePayPalServer(strict_amounts=False) as fake:
        token = fake.issue_token()
        response = requests.post(f"{fake.url}/v2/checkout/orders", json=_order_json("25.5"),
                                 headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert response.status_code == 201
        assert response.json()["status"] == "CREATED"


def test_malformed_json_and_unknown_endpoint(fake, http):
    bad = http.post(f"{fake.url}/v2/checkout/orders", data="{nope",
                    headers={"Content-Type": "application/json"}, timeout=5)
    assert bad.status_code == 400 and bad.json()["details"][0]["issue"] == (
        "MALFORMED_REQUEST_JSON")
    unknown = http.get(f"{fake.url}/v1/payments/payment", timeout=5)
    assert unknown.status_code == 404 and "does not implement" in unknown.json()["message"]


def test_validation_errors_surface_through_the_sdk(fake, client):
    with pytest.raises(ErrorException) as caught:
        create_order(client, value="10.001")
    assert caught.value.response_code == 422
    assert caught.value.details[0].field == "/purchase_units/0/amount/value"
    with pytest.raises(ErrorException) as caught:
        create_order(client, currency="EU")
    assert caught.value.response_code == 400 and caught.value.name == "INVALID_REQUEST"


# --- products, plans, subscriptions --------------------------------------------------------


def test_products_over_http_with_request_id(fake, http):
    headers = {"PayPal-Request-Id": "prod-1"}
    body = {"name": "Monthly donation", "type": "SERVICE", "description": "Reader support"}
    first = http.post(f"{fake.url}/v1/catalogs/products", json=body, headers=headers, timeout=5)
    again = http.post(f"{fake.url}/v1/catalogs/products", json=body, headers=headers, timeout=5)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and first.json()["id"].startswith("PROD-")
    got = http.get(f"{fake.url}/v1/catalogs/products/{first.json()['id']}", timeout=5)
    assert got.json()["description"] == "Reader support"
    missing = http.post(f"{fake.url}/v1/catalogs/products", json={"name": "x"}, timeout=5)
    assert missing.status_code == 400
    assert missing.json()["details"][0] == {
        "field": "/type", "location": "body", "issue": "MISSING_REQUIRED_PARAMETER",
        "description": "A required field is missing."}


def test_plan_create_and_get(fake, client, http):
    prod = product(http, fake)
    plan = monthly_plan(client, prod["id"], value="5.00")
    assert plan.id.startswith("P-") and plan.status == "ACTIVE"
    assert plan.billing_cycles[0].pricing_scheme.fixed_price.value == "5.00"
    assert plan.billing_cycles[0].frequency.interval_unit == "MONTH"
    plan_json = json.loads(fake.last("POST", "/v1/billing/plans").body)
    assert plan_json["billing_cycles"][0]["total_cycles"] == 0
    response = client.subscriptions.get_billing_plan(plan.id)
    assert json.loads(response.text)["billing_cycles"][0]["total_cycles"] == 0
    # SDK bug: from_dictionary treats falsy values as absent, so 0 ("forever") becomes the
    # model default 1. Read such fields from response.text.
    assert response.body.billing_cycles[0].total_cycles == 1
    got = client.subscriptions.get_billing_plan(plan.id).body
    assert got.product_id == prod["id"] and got.payment_preferences.payment_failure_threshold == 3
    sent = fake.last("POST", "/v1/billing/plans").json
    assert sent["billing_cycles"][0]["pricing_scheme"] == {
        "fixed_price": {"currency_code": "EUR", "value": "5.00"}}
    minimal = client.subscriptions.create_billing_plan({"body": PlanRequest(
        product_id=prod["id"], name="Minimal", payment_preferences=PaymentPreferences(),
        billing_cycles=[SubscriptionBillingCycle(
            frequency=CycleFrequency(interval_unit="MONTH"), tenure_type="REGULAR", sequence=1,
            pricing_scheme=SubscriptionPricingScheme(fixed_price=money("3.00")))])})
    assert "billing_cycles" not in json.loads(minimal.text)  # Prefer: return=minimal
    with pytest.raises(SubscriptionErrorException) as caught:
        client.subscriptions.create_billing_plan({"body": PlanRequest(
            product_id="PROD-NOSUCHPRODUCT00", name="x", payment_preferences=PaymentPreferences(),
            billing_cycles=[SubscriptionBillingCycle(
                frequency=CycleFrequency(interval_unit="MONTH"), tenure_type="REGULAR",
                sequence=1, pricing_scheme=SubscriptionPricingScheme(fixed_price=money("3.00")))])})
    assert caught.value.response_code == 404


def test_subscription_life_cycle_through_the_sdk(fake, client, http):
    plan = monthly_plan(client, product(http, fake)["id"])
    created = subscribe(client, plan.id, value="12.00", custom_id="don-7")
    assert created.status_code == 201
    sub = created.body
    assert sub.status == "APPROVAL_PENDING" and sub.id.startswith("I-") and sub.plan_overridden
    approve_link = link(sub, "approve")
    assert approve_link.startswith(f"{fake.url}/approve/{sub.id}?ba_token=BA-")
    sent = fake.last("POST", "/v1/billing/subscriptions").json
    assert sent["plan"]["billing_cycles"][0]["pricing_scheme"]["fixed_price"]["value"] == "12.00"
    assert sent["application_context"]["return_url"] == RETURN_URL

    page = requests.get(approve_link, timeout=5)  # what the donor's browser gets
    assert page.status_code == 200 and sub.id in page.text
    redirect = requests.post(f"{fake.url}/approve/{sub.id}", allow_redirects=False, timeout=5)
    assert redirect.status_code == 303
    query = parse_qs(urlsplit(redirect.headers["Location"]).query)
    assert query["subscription_id"] == [sub.id] and query["ba_token"][0].startswith("BA-")

    activated = fake.subscription_activated(sub.id)
    assert activated["event_type"] == "BILLING.SUBSCRIPTION.ACTIVATED"
    assert activated["resource"]["status"] == "ACTIVE"
    assert activated["resource"]["custom_id"] == "don-7"
    sale = fake.sale_completed(sub.id)["resource"]
    assert sale["amount"]["total"] == "12.00" and sale["billing_agreement_id"] == sub.id

    got = client.subscriptions.get_subscription({"id": sub.id, "fields": "plan"}).body
    assert got.status == "ACTIVE" and got.custom_id == "don-7"
    assert got.plan.billing_cycles[0].pricing_scheme.fixed_price.value == "12.00"
    assert got.billing_info.last_payment.amount.value == "12.00"
    assert got.billing_info.cycle_executions[0].cycles_completed == 1
    assert not hasattr(client.subscriptions.get_subscription({"id": sub.id}).body, "plan")

    revised = client.subscriptions.revise_subscription({
        "id": sub.id, "body": ModifySubscriptionRequest(plan=override("20.00"))})
    assert revised.status_code == 200 and link(revised.body, "approve")
    assert fake.sale_completed(sub.id)["resource"]["amount"]["total"] == "12.00"  # not yet
    fake.approve(sub.id)  # the donor consents to the new amount
    assert fake.sale_completed(sub.id)["resource"]["amount"]["total"] == "20.00"

    suspend = client.subscriptions.suspend_subscription({
        "id": sub.id, "body": SuspendSubscription(reason="Donor asked for a break")})
    assert suspend.status_code == 204
    assert client.subscriptions.get_subscription({"id": sub.id}).body.status == "SUSPENDED"
    client.subscriptions.activate_subscription({
        "id": sub.id, "body": ActivateSubscriptionRequest(reason="Back")})
    cancel = client.subscriptions.cancel_subscription({
        "id": sub.id, "body": CancelSubscriptionRequest(reason="Donor cancelled")})
    assert cancel.status_code == 204 and cancel.text == ""
    got = client.subscriptions.get_subscription({"id": sub.id}).body
    assert (got.status, got.status_change_note) == ("CANCELLED", "Donor cancelled")
    with pytest.raises(SubscriptionErrorException) as caught:
        client.subscriptions.cancel_subscription({
            "id": sub.id, "body": CancelSubscriptionRequest(reason="again")})
    assert caught.value.response_code == 422
    assert caught.value.details[0].issue == "SUBSCRIPTION_STATUS_INVALID"

    txns = client.subscriptions.list_subscription_transactions({
        "id": sub.id, "start_time": "2000-01-01T00:00:00Z", "end_time": "2100-01-01T00:00:00Z"})
    amounts = [t.amount_with_breakdown.gross_amount.value for t in txns.body.transactions]
    assert amounts == ["12.00", "12.00", "20.00"]


def test_cancel_needs_a_reason_and_pending_subscriptions_cannot_be_cancelled(fake, client, http):
    plan = monthly_plan(client, product(http, fake)["id"])
    sub_id = subscribe(client, plan.id).body.id
    with pytest.raises(SubscriptionErrorException) as caught:
        client.subscriptions.cancel_subscription({"id": sub_id, "body": CancelSubscriptionRequest(
            reason="x")})
    assert caught.value.details[0].issue == "SUBSCRIPTION_STATUS_INVALID"
    fake.approve(sub_id)
    no_reason = http.post(f"{fake.url}/v1/billing/subscriptions/{sub_id}/cancel", json={},
                          timeout=5)
    assert no_reason.status_code == 400
    assert no_reason.json()["details"][0]["field"] == "/reason"


@pytest.mark.parametrize(
    ("change", "status", "issue"),
    [
        (lambda body: body["plan"]["billing_cycles"][0]["pricing_scheme"]["fixed_price"].update(
            currency_code="USD"), 422, "CURRENCY_MISMATCH"),
        (lambda body: body["plan"]["billing_cycles"][0].update(sequence=2), 422,
         "INVALID_BILLING_CYCLE_SEQUENCE"),
        (lambda body: body["plan"]["billing_cycles"][0]["pricing_scheme"]["fixed_price"].update(
            value="12.5"), 400, "INVALID_PARAMETER_VALUE"),
        (lambda body: body["application_context"].pop("cancel_url"), 400,
         "MISSING_REQUIRED_PARAMETER"),
        (lambda body: body.update(custom_id="x" * 128), 400, "INVALID_STRING_MAX_LENGTH"),
        (lambda body: body.update(plan_id="P-NOSUCHPLAN"), 404, "INVALID_RESOURCE_ID"),
    ],
)
def test_subscription_request_validation(fake, client, http, change, status, issue):
    plan = monthly_plan(client, product(http, fake)["id"])
    body = {
        "plan_id": plan.id, "custom_id": "don-1",
        "plan": {"billing_cycles": [{"sequence": 1, "pricing_scheme": {
            "fixed_price": {"currency_code": "EUR", "value": "12.00"}}}]},
        "application_context": {"return_url": RETURN_URL, "cancel_url": CANCEL_URL},
    }
    change(body)
    response = http.post(f"{fake.url}/v1/billing/subscriptions", json=body, timeout=5)
    assert response.status_code == status, response.text
    assert response.json()["details"][0]["issue"] == issue
    assert fake.subscriptions == {}


def test_plans_default_to_one_cycle_so_the_subscription_expires_after_one_sale(fake, client,
                                                                                 http):
    plan = monthly_plan(client, product(http, fake)["id"], total_cycles=1)  # the SDK's default
    sub_id = subscribe(client, plan.id).body.id
    fake.approve(sub_id)
    fake.sale_completed(sub_id)
    assert client.subscriptions.get_subscription({"id": sub_id}).body.status == "EXPIRED"
    with pytest.raises(ValueError, match="EXPIRED"):
        fake.sale_completed(sub_id)


def test_failed_payments_reach_the_threshold_and_suspend(fake, client, http):
    sub_id = active_subscription(client, http, fake)
    for _ in range(2):
        event = fake.subscription_payment_failed(sub_id)
    assert event["event_type"] == "BILLING.SUBSCRIPTION.PAYMENT.FAILED"
    info = event["resource"]["billing_info"]
    assert info["failed_payments_count"] == 2
    assert info["last_failed_payment"]["reason_code"] == "PAYMENT_DENIED"
    assert event["resource"]["status"] == "ACTIVE"
    assert fake.subscription_payment_failed(sub_id)["resource"]["status"] == "SUSPENDED"


# --- webhooks ------------------------------------------------------------------------------


def _verify(http, fake, headers, event, **overrides):
    body = {
        "auth_algo": headers["PAYPAL-AUTH-ALGO"],
        "cert_url": headers["PAYPAL-CERT-URL"],
        "transmission_id": headers["PAYPAL-TRANSMISSION-ID"],
        "transmission_sig": headers["PAYPAL-TRANSMISSION-SIG"],
        "transmission_time": headers["PAYPAL-TRANSMISSION-TIME"],
        "webhook_id": fake.webhook_id,
        "webhook_event": event,
        **overrides,
    }
    response = http.post(f"{fake.url}/v1/notifications/verify-webhook-signature", json=body,
                         timeout=5)
    assert response.status_code == 200, response.text
    return response.json()["verification_status"]


def test_verify_webhook_signature_success_and_failures(fake, client, http):
    event = fake.capture_completed(captured(client, fake))
    payload, headers = fake.webhook_request(event)
    delivered = json.loads(payload)  # what our webhook endpoint parses
    assert delivered == event
    assert _verify(http, fake, headers, delivered) == "SUCCESS"
    reordered = json.loads(json.dumps(dict(reversed(list(delivered.items())))))
    assert _verify(http, fake, headers, reordered) == "SUCCESS"  # key order does not matter

    tampered = json.loads(payload)
    tampered["resource"]["amount"]["value"] = "2500.00"
    assert _verify(http, fake, headers, tampered) == "FAILURE"
    assert _verify(http, fake, headers, delivered, webhook_id="0000000000000000X") == "FAILURE"
    for header, value in [("transmission_id", str(uuid.uuid4())),
                          ("transmission_time", "2020-01-01T00:00:00Z"),
                          ("transmission_sig", headers["PAYPAL-TRANSMISSION-SIG"][:-4] + "AAA="),
                          ("cert_url", "https://evil.example/cert.pem"),
                          ("auth_algo", "SHA1withRSA")]:
        assert _verify(http, fake, headers, delivered, **{header: value}) == "FAILURE", header
    other_headers = fake.webhook_headers(fake.capture_refunded(
        fake.capture_ids(next(iter(fake.orders)))[0], amount="1.00"))
    assert _verify(http, fake, other_headers, delivered) == "FAILURE"  # another event's sig
    assert [v["verification_status"] for v in fake.verifications].count("SUCCESS") == 2

    missing = http.post(f"{fake.url}/v1/notifications/verify-webhook-signature",
                        json={"webhook_id": fake.webhook_id}, timeout=5)
    assert missing.status_code == 400 and missing.json()["name"] == "VALIDATION_ERROR"
    assert {d["field"] for d in missing.json()["details"]} >= {"transmission_sig", "cert_url"}


def test_webhook_headers(fake, client):
    headers = fake.webhook_headers(fake.capture_completed(captured(client, fake)))
    assert headers["PAYPAL-AUTH-ALGO"] == "SHA256withRSA"
    assert headers["PAYPAL-CERT-URL"].startswith("https://api.sandbox.paypal.com/v1/notifications/")
    assert headers["PAYPAL-TRANSMISSION-TIME"].endswith("Z")
    assert uuid.UUID(headers["PAYPAL-TRANSMISSION-ID"])
    assert base64.b64decode(headers["PAYPAL-TRANSMISSION-SIG"])


def test_capture_events_in_paypals_shape(fake, client, http):
    capture_id = captured(client, fake, custom_id="don-3")
    done = fake.capture_completed(capture_id)
    assert done["id"].startswith("WH-") and done["resource_type"] == "capture"
    assert (done["event_version"], done["resource_version"]) == ("1.0", "2.0")
    assert done["summary"] == "Payment completed for EUR 25.00 EUR"
    assert done["resource"]["custom_id"] == "don-3"
    assert done["create_time"].endswith("Z")

    refunded = fake.capture_refunded(capture_id, amount="5.00")
    assert refunded["event_type"] == "PAYMENT.CAPTURE.REFUNDED"
    assert refunded["resource_type"] == "refund"
    resource = refunded["resource"]
    assert resource["amount"] == {"currency_code": "EUR", "value": "5.00"}
    assert resource["seller_payable_breakdown"]["total_refunded_amount"]["value"] == "5.00"
    assert link(resource, "up").endswith(f"/v2/payments/captures/{capture_id}")

    api_refund = client.payments.refund_captured_payment({
        "capture_id": capture_id, "body": RefundRequest(amount=money("2.00"))}).body
    announced = fake.capture_refunded(capture_id, refund_id=api_refund.id)  # the API's refund
    assert announced["resource"]["id"] == api_refund.id
    assert announced["resource"]["seller_payable_breakdown"]["total_refunded_amount"][
        "value"] == "7.00"

    reversed_ = fake.capture_reversed(capture_id)
    assert reversed_["event_type"] == "PAYMENT.CAPTURE.REVERSED"
    assert reversed_["resource"]["amount"]["value"] == "18.00"
    assert client.payments.get_captured_payment({"capture_id": capture_id}).body.status == (
        "REFUNDED")
    got = http.get(f"{fake.url}/v1/notifications/webhooks-events/{done['id']}", timeout=5)
    assert got.json() == done


def test_subscription_and_sale_events(fake, client, http):
    sub_id = active_subscription(client, http, fake, value="9.00")
    sale_event = fake.sale_completed(sub_id)
    assert (sale_event["event_type"], sale_event["resource_type"]) == (
        "PAYMENT.SALE.COMPLETED", "sale")
    sale = sale_event["resource"]
    assert sale["state"] == "completed" and sale["custom"] == "don-7"
    assert sale["amount"] == {"total": "9.00", "currency": "EUR", "details": {"subtotal": "9.00"}}
    assert sale["transaction_fee"] == {"value": "0.66", "currency": "EUR"}

    refunded = fake.sale_refunded(sale["id"], amount="4.00")
    assert refunded["event_type"] == "PAYMENT.SALE.REFUNDED"
    assert refunded["resource"]["amount"] == {"total": "-4.00", "currency": "EUR"}
    assert refunded["resource"]["sale_id"] == sale["id"]
    reversed_ = fake.sale_reversed(sub_id)  # a subscription id means its latest sale
    assert reversed_["resource"]["amount"]["total"] == "-5.00"

    suspended = fake.subscription_suspended(sub_id)
    assert suspended["event_type"] == "BILLING.SUBSCRIPTION.SUSPENDED"
    assert suspended["resource"]["status"] == "SUSPENDED"
    cancelled = fake.subscription_cancelled(sub_id)
    assert cancelled["resource"]["status"] == "CANCELLED"
    assert cancelled["resource_version"] == "2.0"
    with pytest.raises(ValueError, match="CANCELLED"):
        fake.sale_completed(sub_id)


def test_disputes(fake, client, http):
    capture_id = captured(client, fake, custom_id="don-5")
    opened = fake.dispute_created(capture_id, reason="UNAUTHORISED", stage="CHARGEBACK")
    assert opened["event_type"] == "CUSTOMER.DISPUTE.CREATED"
    dispute = opened["resource"]
    assert dispute["disputed_transactions"][0]["seller_transaction_id"] == capture_id
    assert dispute["disputed_transactions"][0]["custom"] == "don-5"
    assert dispute["dispute_amount"] == {"currency_code": "EUR", "value": "25.00"}
    won = fake.dispute_resolved(dispute["dispute_id"], "RESOLVED_SELLER_FAVOUR")
    assert won["resource"]["dispute_outcome"] == {"outcome_code": "RESOLVED_SELLER_FAVOUR"}
    assert client.payments.get_captured_payment({"capture_id": capture_id}).body.status == (
        "COMPLETED")

    sale_id = fake.sale_completed(active_subscription(client, http, fake))["resource"]["id"]
    lost = fake.dispute_resolved(fake.dispute_created(sale_id)["resource"]["dispute_id"],
                                 "RESOLVED_BUYER_FAVOUR")
    assert lost["event_type"] == "CUSTOMER.DISPUTE.RESOLVED"
    assert lost["resource"]["dispute_outcome"]["amount_refunded"]["value"] == "12.00"
    assert lost["resource"]["status"] == "RESOLVED"
    assert fake.txns[sale_id].status == "REFUNDED"


# --- transaction search --------------------------------------------------------------------


def test_transaction_search_lists_captures_sales_and_refunds(fake, client, http):
    capture_id = captured(client, fake, custom_id="don-1")
    client.payments.refund_captured_payment({"capture_id": capture_id,
                                             "body": RefundRequest(amount=money("5.00"))})
    sub_id = active_subscription(client, http, fake)
    sale_id = fake.sale_completed(sub_id)["resource"]["id"]
    now = fake.now()
    window = {"start_date": (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
              "end_date": (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S+0000")}

    result = client.transaction_search.search_transactions({**window, "fields": "all"}).body
    infos = [d.transaction_info for d in result.transaction_details]
    assert [i.transaction_event_code for i in infos] == ["T0006", "T1107", "T0002"]
    assert (infos[0].transaction_id, infos[0].custom_field) == (capture_id, "don-1")
    assert (infos[0].transaction_amount.value, infos[0].fee_amount.value) == ("25.00", "-1.22")
    assert (infos[1].transaction_amount.value, infos[1].paypal_reference_id) == ("-5.00",
                                                                                 capture_id)
    assert (infos[2].transaction_id, infos[2].paypal_reference_id) == (sale_id, sub_id)
    assert infos[2].paypal_reference_id_type == "SUB" and infos[2].transaction_status == "S"
    assert result.transaction_details[0].payer_info.email_address == "buyer@example.com"
    assert result.total_items == 3 and result.total_pages == 1
    assert infos[0].transaction_initiation_date.endswith("+0000")

    page = client.transaction_search.search_transactions({**window, "page_size": 2,
                                                          "page": 2}).body
    assert (page.page, page.total_pages, len(page.transaction_details)) == (2, 2, 1)
    assert not hasattr(page.transaction_details[0], "payer_info")  # only with fields=...
    one = client.transaction_search.search_transactions({**window, "transaction_id": sale_id})
    assert one.body.total_items == 1

    with pytest.raises(SearchErrorException) as caught:
        client.transaction_search.search_transactions({"end_date": window["end_date"]})
    assert caught.value.response_code == 400
    assert caught.value.details[0].field == "start_date"
    with pytest.raises(SearchErrorException):
        client.transaction_search.search_transactions({
            "start_date": "2024-01-01T00:00:00Z", "end_date": "2024-03-01T00:00:00Z"})
    raw = http.get(f"{fake.url}/v1/reporting/transactions", params=window, timeout=5)
    assert raw.json()["account_number"] == fake.merchant["merchant_id"]


# --- failure injection ---------------------------------------------------------------------


def test_injected_failures_surface_as_the_sdks_exception_types(fake, client):
    create_order(client)  # token fetched
    fake.fail_next("/v2/checkout/orders", 500)
    with pytest.raises(ErrorException) as caught:  # Orders: ErrorException for everything
        create_order(client)
    assert caught.value.response_code == 500 and caught.value.name == "INTERNAL_SERVER_ERROR"

    capture_id = captured(client, fake)
    fake.fail_next("/v2/payments/captures", 500)
    with pytest.raises(ApiException) as caught:  # Payments: a 500 is the bare ApiException
        client.payments.refund_captured_payment({"capture_id": capture_id})
    assert type(caught.value) is ApiException and caught.value.response_code == 500
    fake.fail_next("/v2/payments/captures", 503)
    with pytest.raises(ErrorException):  # ...other statuses are ErrorException
        client.payments.get_captured_payment({"capture_id": capture_id})

    fake.fail_next("/v1/billing", 429, issue="RATE_LIMIT_REACHED")
    with pytest.raises(SubscriptionErrorException) as caught:
        client.subscriptions.get_billing_plan("P-ANY")
    assert caught.value.response_code == 429 and caught.value.name == "RATE_LIMIT_REACHED"

    fake.fail_next("/v1/reporting", 500)
    with pytest.raises(SearchErrorException):
        client.transaction_search.search_transactions({
            "start_date": "2024-01-01T00:00:00Z", "end_date": "2024-01-02T00:00:00Z"})


def test_injected_failure_is_not_stored_under_the_request_id(fake, client):
    fake.fail_next("/v2/checkout/orders", 503, method="POST")
    with pytest.raises(ErrorException):
        create_order(client, request_id="retry-me")
    assert fake.orders == {}
    assert create_order(client, request_id="retry-me").status_code == 201
    assert len(fake.orders) == 1


def test_oauth_outage_is_an_auth_validation_exception(fake):
    fake.fail_next("/v1/oauth2/token", 503)
    with pytest.raises(AuthValidationException):
        create_order(fake.sdk_client())


def test_delay_times_the_sdk_out_and_a_retry_with_the_same_request_id_gets_the_order(fake):
    client = fake.sdk_client(timeout=0.5)
    create_order(client)  # token fetched before the slow call
    fake.fail_next("/v2/checkout/orders", status=None, delay=1.0)
    with pytest.raises(requests.exceptions.Timeout):  # raw requests exception, not wrapped
        create_order(client, request_id="slow-1")
    deadline = time.monotonic() + 5
    while len(fake.orders) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # PayPal finishes the work although the client gave up
    assert len(fake.orders) == 2
    retried = create_order(client, request_id="slow-1")
    assert retried.status_code == 200 and len(fake.orders) == 2


def test_sdk_retries_gets_on_5xx_when_configured(fake):
    client = fake.sdk_client(max_retries=2, backoff_factor=0.01)
    order_id = create_order(client).body.id
    fake.fail_next(f"/v2/checkout/orders/{order_id}", 503, times=2, method="GET")
    assert client.orders.get_order({"id": order_id}).body.id == order_id
    assert [r.status for r in fake.requests if r.method == "GET"] == [503, 503, 200]
    fake.fail_next("/v2/checkout/orders", 503, method="POST")
    with pytest.raises(ErrorException):  # POSTs are not retried (retry_methods GET, PUT)
        create_order(client)


# --- PayPal's OpenAPI specs ----------------------------------------------------------------

@pytest.fixture
def specs():
    if not SPEC_DIR.is_dir():
        pytest.skip(f"PayPal's OpenAPI specs are not in {SPEC_DIR_SHOWN} (relative to the "
                    "project root)")
    return load_spec


def _drive_everything(fake, client, http):
    """Every request shape the app will send, through the SDK where it can."""
    capture_id = captured(client, fake)
    captured(client, fake, legacy=True, currency="JPY", value="2500")
    client.orders.get_order({"id": next(iter(fake.orders))})
    client.payments.refund_captured_payment({
        "capture_id": capture_id, "paypal_request_id": str(uuid.uuid4()),
        "prefer": "return=representation",
        "body": RefundRequest(amount=money("5.00"), note_to_payer="Partial refund")})
    refund = client.payments.refund_captured_payment({"capture_id": capture_id}).body
    client.payments.get_refund({"refund_id": refund.id})
    client.payments.get_captured_payment({"capture_id": capture_id})
    prod = product(http, fake, description="Reader donations", home_url="https://news.example")
    http.get(f"{fake.url}/v1/catalogs/products/{prod['id']}", timeout=5)
    plan = monthly_plan(client, prod["id"])
    client.subscriptions.get_billing_plan(plan.id)
    sub_id = subscribe(client, plan.id).body.id
    fake.approve(sub_id)
    client.subscriptions.get_subscription({"id": sub_id, "fields": "plan"})
    client.subscriptions.revise_subscription({
        "id": sub_id, "body": ModifySubscriptionRequest(plan=override("15.00"))})
    client.subscriptions.suspend_subscription({"id": sub_id, "body": SuspendSubscription(
        reason="Paused by the donor")})
    client.subscriptions.activate_subscription({"id": sub_id, "body": ActivateSubscriptionRequest(
        reason="Resumed")})
    client.subscriptions.cancel_subscription({"id": sub_id, "body": CancelSubscriptionRequest(
        reason="Cancelled by the donor")})
    event = fake.sale_completed(active_subscription(client, http, fake))
    _verify(http, fake, fake.webhook_headers(event), event)
    # and the error answers, in every API's words
    with pytest.raises(ErrorException):
        capture(client, next(iter(fake.orders)))
    with pytest.raises(ErrorException):
        client.orders.get_order({"id": "NOSUCHORDER00000X"})
    errors = [
        ("/v2/checkout/orders", {"intent": "CAPTURE"}),
        ("/v2/checkout/orders", _order_json("25.001")),
        ("/v2/checkout/orders", _order_json("25.00", "XYZ")),
        (f"/v2/payments/captures/{capture_id}/refund", {"amount": {"currency_code": "EUR"}}),
        (f"/v2/payments/captures/{capture_id}/refund",
         {"amount": {"currency_code": "EUR", "value": "99.00"}}),
        ("/v1/catalogs/products", {"name": "No type"}),
        ("/v1/billing/plans", {"name": "No product"}),
        ("/v1/billing/subscriptions", {"plan_id": plan.id, "plan": override_json("5.00", "USD")}),
        (f"/v1/billing/subscriptions/{sub_id}/cancel", {"reason": "Already cancelled"}),
    ]
    for path, body in errors:
        assert http.post(f"{fake.url}{path}", json=body, timeout=5).status_code in (400, 422)
    http.get(f"{fake.url}/v1/billing/subscriptions/I-NOSUCHSUB00", timeout=5)


def test_request_bodies_validate_against_paypals_openapi_specs(fake, client, http, specs):
    _drive_everything(fake, client, http)
    checked, problems = set(), []
    for request in fake.requests:
        operation = operation_of(request)
        if operation is None or request.json is None:
            continue
        spec = specs(operation[0])
        echoed = ("/webhook_event",) if "verify-webhook" in request.path else ()  # read-only
        errors = spec.validate_request(request.method, operation[1], request.json, echoed)
        if request.status == 400:  # the fake refused it as malformed: so must the spec
            assert errors, f"{request.path} {request.json} answered 400 but fits the spec"
            continue
        problems += [f"{request.method} {request.path}: {error}" for error in errors]
        checked.add(operation[1])
    assert problems == [], "\n".join(problems)
    assert checked >= {
        "/v2/checkout/orders", "/v2/payments/captures/{capture_id}/refund",
        "/v1/catalogs/products", "/v1/billing/plans", "/v1/billing/subscriptions",
        "/v1/billing/subscriptions/{id}/revise", "/v1/billing/subscriptions/{id}/cancel",
        "/v1/notifications/verify-webhook-signature",
    }


def test_the_validator_catches_bad_bodies(specs):
    orders = specs("checkout_orders_v2.json")
    bad = {"intent": "SALE", "purchase_units": [{"amount": {"currency_code": "EURO",
                                                            "value": 25}}]}
    errors = orders.validate_request("POST", "/v2/checkout/orders", bad)
    assert any("/intent" in e for e in errors) and any("currency_code" in e for e in errors)
    assert any("amount/value: expected string" in e for e in errors)
    plans = specs("billing_subscriptions_v1.json")
    assert any("missing required 'payment_preferences'" in e for e in plans.validate_request(
        "POST", "/v1/billing/plans", {"product_id": "PROD-1", "name": "x", "billing_cycles": []}))
    hooks = specs("notifications_webhooks_v1.json")
    assert any("transmission_sig" in e for e in hooks.validate_request(
        "POST", "/v1/notifications/verify-webhook-signature", {"webhook_id": "X"}))


def test_fake_responses_validate_against_paypals_openapi_specs(fake, client, http, specs):
    _drive_everything(fake, client, http)
    checked, problems = set(), []
    for request in fake.requests:
        operation = operation_of(request)
        if operation is None or request.response is None:
            continue
        spec = specs(operation[0])
        errors = spec.validate_response(request.method, operation[1], request.status,
                                        request.response)
        problems += [f"{request.method} {request.path} {request.status}: {e}" for e in errors]
        checked.add((request.method, operation[1], request.status))
    assert problems == [], "\n".join(problems)
    assert {status for _, _, status in checked} == {200, 201, 400, 404, 422}
    assert len(checked) >= 24
