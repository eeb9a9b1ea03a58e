"""A local, in-memory PayPal REST API that PayPal's own server SDK (paypal-server-sdk) and
plain HTTP clients can talk to.

    with FakePayPalServer() as fake:
        client = fake.sdk_client()  # PaypalServersdkClient on PayPalBaseUrlConfiguration(fake.url)
        order = client.orders.create_order({"body": OrderRequest(...), "paypal_request_id": ...})
        return_url = fake.approve(order.body.id)        # the donor approves at PayPal
        client.orders.capture_order({"id": order.body.id, "paypal_request_id": ...})
        event = fake.capture_refunded(capture_id)       # what PayPal does later, as a webhook
        body, headers = fake.webhook_request(event)     # delivery, verifiable at the fake

Endpoints: OAuth client credentials; Orders v2 (create, get, capture); Payments v2 (captures
get/refund, refunds get); catalog products; billing plans; subscriptions (create, get, revise,
suspend, activate, cancel, transactions); transaction search; verify-webhook-signature; webhook
events get. Modules: paypal_common (errors, IDs, money, request checks), paypal_checkout
(orders, captures, refunds), paypal_catalog (products, plans), paypal_billing (subscriptions,
monthly sales), paypal_events (webhook simulations and signatures), paypal_reporting
(transaction search), paypal_openapi (a small validator for PayPal's OpenAPI specs), and this
one (HTTP, auth, request recording, PayPal-Request-Id idempotency, failure injection, the
buyer's approval pages, and the SDK configuration that points the SDK here).
"""

from __future__ import annotations

import copy
import html
import json
import os
import random
import re
import string
import threading
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from paypalserversdk.http.auth.o_auth_2 import ClientCredentialsAuthCredentials
from paypalserversdk.paypal_serversdk_client import PaypalServersdkClient
from werkzeug.wrappers import Request, Response

from donate.payments.providers.paypal_api import BaseUrlConfiguration
from tests.fakes.local_server import LocalServer

from .paypal_billing import BillingApi
from .paypal_catalog import CatalogApi
from .paypal_checkout import CheckoutApi, Payer
from .paypal_common import Call, PayPalError, debug_id, fail, iso, issue
from .paypal_events import EventsApi
from .paypal_reporting import ReportingApi

# method, path, handler, whether PayPal-Request-Id makes it idempotent
_ROUTES = """
POST /v2/checkout/orders                           api_create_order              idem
GET  /v2/checkout/orders/{id}                      api_get_order                 -
POST /v2/checkout/orders/{id}/capture              api_capture_order             idem
GET  /v2/payments/captures/{id}                    api_get_capture               -
POST /v2/payments/captures/{id}/refund             api_refund_capture            idem
GET  /v2/payments/refunds/{id}                     api_get_refund                -
POST /v1/catalogs/products                         api_create_product            idem
GET  /v1/catalogs/products/{id}                    api_get_product               -
POST /v1/billing/plans                             api_create_plan               idem
GET  /v1/billing/plans/{id}                        api_get_plan                  -
POST /v1/billing/subscriptions                     api_create_subscription       idem
GET  /v1/billing/subscriptions/{id}                api_get_subscription          -
POST /v1/billing/subscriptions/{id}/revise         api_revise_subscription       -
POST /v1/billing/subscriptions/{id}/suspend        api_suspend_subscription      -
POST /v1/billing/subscriptions/{id}/activate       api_activate_subscription     -
POST /v1/billing/subscriptions/{id}/cancel         api_cancel_subscription       -
GET  /v1/billing/subscriptions/{id}/transactions   api_subscription_transactions -
GET  /v1/reporting/transactions                    api_search_transactions       -
POST /v1/notifications/verify-webhook-signature    api_verify_webhook_signature  -
GET  /v1/notifications/webhooks-events/{id}        api_get_event                 -
"""
TOKEN_PATH = "/v1/oauth2/token"
# The app's own SDK configuration, so the fake is reached the way the app reaches PayPal.
PayPalBaseUrlConfiguration = BaseUrlConfiguration
CERT_URL = "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77"


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: str
    json: Any  # the parsed JSON body (None when empty or not JSON)
    status: int | None = None  # what the fake answered
    response: Any = None  # and the JSON it answered with (None for 204 and pages)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)

    @property
    def request_id(self) -> str | None:
        return self.header("PayPal-Request-Id")


@dataclass
class _Failure:
    path_prefix: str
    status: int | None
    times: int
    delay: float
    method: str | None
    issue: str | None


class FakePayPalServer(LocalServer, CheckoutApi, CatalogApi, BillingApi, EventsApi, ReportingApi):
    """PayPal's REST API on http://127.0.0.1:<free port> (`.url`), state in memory.

    Inspect: `.requests` (RecordedRequest list), `.last(method, path_prefix)`, `.orders`,
    `.txns` (captures and sales by id), `.refunds`, `.products`, `.plans`, `.subscriptions`,
    `.events`, `.disputes`, `.verifications`, `.crashes`. Steer: `approve`, `payer_cancel`,
    `set_capture_outcome`, `fail_next`, `advance_time`, `expire_tokens`, and the webhook
    simulations (`capture_completed`, `sale_completed`, ...), which return the event dict.
    """

    def __init__(
        self,
        client_id: str = "fake-client-id",
        client_secret: str = "fake-client-secret",
        webhook_id: str = "1JE4291016473214C",
        *,
        strict_amounts: bool = True,
        token_lifetime: int = 32400,
    ) -> None:
        self.client_id, self.client_secret, self.webhook_id = client_id, client_secret, webhook_id
        self.strict_amounts = strict_amounts  # also refuse "10.5": send "10.50" as PayPal does
        self.token_lifetime = token_lifetime
        self.cert_url = CERT_URL
        self.signing_key = os.urandom(32)
        self.merchant = {"email_address": "merchant@example.com", "merchant_id": "7KNGBPH2U58GQ"}
        self.fee_percent = Decimal("3.49")
        self.fee_fixed = {"USD": Decimal("0.49"), "EUR": Decimal("0.35"), "GBP": Decimal("0.30"),
                          "JPY": Decimal(49), "HUF": Decimal(90), "TWD": Decimal(10)}
        self.capture_outcome: tuple[str, str | None] = ("COMPLETED", None)  # for new orders
        self.url = ""
        self.lock = threading.RLock()
        self.requests: list[RecordedRequest] = []
        self.crashes: list[str] = []
        self.orders: dict = {}
        self.txns: dict = {}
        self.refunds: dict = {}
        self.products: dict = {}
        self.plans: dict = {}
        self.subscriptions: dict = {}
        self.events: list[dict] = []
        self.disputes: dict = {}
        self.verifications: list[dict] = []
        self.tokens: dict[str, datetime] = {}
        self._idempotent: dict[tuple[str, str], tuple[int, Any]] = {}
        self._failures: list[_Failure] = []
        self._offset = timedelta(0)
        self._routes = []
        for line in _ROUTES.strip().splitlines():
            method, path, handler, flag = line.split()
            pattern = re.compile(path.replace("{id}", "([^/]+)") + "$")
            self._routes.append((method, pattern, getattr(self, handler), flag == "idem"))

    def sdk_client(self, client_id: str | None = None, client_secret: str | None = None,
                   **config: Any) -> PaypalServersdkClient:
        """The real SDK client pointed at this fake; `config`: Configuration's keywords
        (timeout, max_retries, ...)."""
        credentials = ClientCredentialsAuthCredentials(
            o_auth_client_id=client_id or self.client_id,
            o_auth_client_secret=client_secret or self.client_secret,
        )
        return PaypalServersdkClient(config=PayPalBaseUrlConfiguration(
            self.url, client_credentials_auth_credentials=credentials, **config))

    # --- time, tokens, buyer --------------------------------------------------------------

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance_time(self, delta: timedelta | float) -> None:
        """Move the fake's clock (token expiry, create_time, next_billing_time, reports)."""
        with self.lock:
            self._offset += delta if isinstance(delta, timedelta) else timedelta(seconds=delta)

    def issue_token(self) -> str:
        """A valid access token, as POST /v1/oauth2/token would give (not recorded)."""
        token = "A21AA" + "".join(random.choices(string.ascii_letters + string.digits + "-_",
                                                 k=92))
        with self.lock:
            self.tokens[token] = self.now() + timedelta(seconds=self.token_lifetime)
        return token

    def expire_tokens(self) -> None:
        """Every issued access token stops working (401 invalid_token) from now on."""
        with self.lock:
            self.tokens.clear()

    def approve(self, resource_id: str, *, capture_status: str | None = None,
                pending_reason: str = "PENDING_REVIEW", **payer: str) -> str:
        """The donor approves an order ("5O19...") or a subscription ("I-...") at PayPal, or
        a pending subscription revision; returns the return_url PayPal redirects to (order:
        ?token=<order id>&PayerID=..., subscription: ?subscription_id=..&ba_token=..&token=..).
        payer: email_address, given_name, surname, payer_id, country_code."""
        buyer = Payer(**payer) if payer else None
        if resource_id.startswith("I-"):
            return self.approve_subscription(resource_id, buyer)
        return self.approve_order(resource_id, buyer, capture_status, pending_reason)

    def payer_cancel(self, resource_id: str) -> str:
        """The donor clicks "Cancel and return": the cancel_url PayPal redirects to."""
        with self.lock:
            sub = self.subscriptions.get(resource_id)
            if sub is not None:
                target, query = sub.cancel_url, f"subscription_id={sub.id}&ba_token={sub.ba_token}"
            else:
                target, query = self._order(resource_id).cancel_url, f"token={resource_id}"
        target = target or f"{self.url}/checkout/cancelled"
        return f"{target}{'&' if '?' in target else '?'}{query}"

    def capture_ids(self, order_id: str) -> list[str]:
        with self.lock:
            return [unit.capture_id for unit in self._order(order_id).units if unit.capture_id]

    # --- inspection and failure injection --------------------------------------------------

    def last(self, method: str, path_prefix: str = "") -> RecordedRequest | None:
        """The most recent request with this method whose path starts with path_prefix."""
        with self.lock:
            for recorded in reversed(self.requests):
                if recorded.method == method.upper() and recorded.path.startswith(path_prefix):
                    return recorded
        return None

    def fail_next(self, path_prefix: str, status: int | None = 500, times: int = 1,
                  delay: float = 0.0, *, method: str | None = None,
                  issue: str | None = None) -> None:
        """Answer the next `times` requests under path_prefix with a PayPal error of `status`
        (name/message per status; `issue` adds a details[] entry), after sleeping `delay`
        seconds. status=None: only the delay, then the request is handled normally (a slow
        PayPal: the client times out although the order/refund was made). Injected errors are
        never stored for PayPal-Request-Id, so a retry with the same id runs for real."""
        with self.lock:
            self._failures.append(_Failure(path_prefix, status, times, delay,
                                           method and method.upper(), issue))

    # --- WSGI ------------------------------------------------------------------------------

    def _wsgi(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        raw = request.get_data(as_text=True)
        parsed, malformed = None, False
        if raw.strip() and request.path != TOKEN_PATH:
            try:
                parsed = json.loads(raw)
            except ValueError:
                malformed = True
        recorded = RecordedRequest(request.method, request.path, dict(request.args.items()),
                                   dict(request.headers.items()), raw, parsed)
        with self.lock:
            self.requests.append(recorded)
        if not request.path.startswith(("/v1/", "/v2/")):
            response = self._page(request)
            recorded.status = response.status_code
            return response(environ, start_response)
        try:
            status, payload = self._answer(request, parsed, malformed, raw)
        except PayPalError as error:
            status, payload = error.status, error.body(request.path)
        except Exception:  # a bug in the fake: loud in the test that hit it
            self.crashes.append(traceback.format_exc())
            status, payload = 500, PayPalError(
                500, message="FakePayPalServer crashed; see fake.crashes").body()
        recorded.status, recorded.response = status, copy.deepcopy(payload)
        if payload is None:
            response = Response(status=status)
        else:
            response = Response(json.dumps(payload), status=status, mimetype="application/json")
        response.headers["Paypal-Debug-Id"] = debug_id()
        return response(environ, start_response)

    def _answer(self, request: Request, parsed: Any, malformed: bool, raw: str):
        method, path = request.method, request.path
        self._injected_failure(method, path)
        if path == TOKEN_PATH and method == "POST":
            return self._token(request, raw)
        handler, args, idempotent = self._route(method, path)
        self._authenticate(request.headers.get("Authorization", ""))
        if malformed or (parsed is not None and not isinstance(parsed, dict)):
            fail(400, "MALFORMED_REQUEST_JSON")
        call = Call(method, path, args, parsed, dict(request.args.items()),
                    request.headers)
        key = (call.request_id, path) if idempotent and call.request_id else None
        with self.lock:
            if key in self._idempotent:  # PayPal replays the first answer, 200 instead of 201
                status, payload = self._idempotent[key]
                return (200 if status == 201 else status), copy.deepcopy(payload)
            status, payload = handler(call)
            if key is not None:
                self._idempotent[key] = (status, copy.deepcopy(payload))
            return status, copy.deepcopy(payload)

    def _route(self, method: str, path: str) -> tuple[Any, tuple[str, ...], bool]:
        for route_method, pattern, handler, idempotent in self._routes:
            match = pattern.match(path)
            if match and route_method == method:
                return handler, match.groups(), idempotent
        raise PayPalError(404, message=f"FakePayPalServer does not implement {method} {path}.")

    def _injected_failure(self, method: str, path: str) -> None:
        failure = self._take_failure(method, path)
        if failure is None or failure.status is None:
            return
        if path == TOKEN_PATH:
            raise PayPalError(failure.status, body={
                "error": "server_error" if failure.status >= 500 else "invalid_request",
                "error_description": "Injected by FakePayPalServer.fail_next"})
        details = [issue(failure.issue)] if failure.issue else None
        raise PayPalError(failure.status, details)

    def _token(self, request: Request, raw: str) -> tuple[int, dict]:
        auth = request.authorization
        if auth is None or auth.type != "basic" or (auth.username, auth.password) != (
            self.client_id, self.client_secret
        ):
            raise PayPalError(401, body={"error": "invalid_client",
                                         "error_description": "Client Authentication failed"})
        form = dict(parse_qsl(raw))
        if form.get("grant_type") != "client_credentials":
            raise PayPalError(400, body={"error": "unsupported_grant_type",
                                         "error_description": "unsupported grant_type"})
        token = self.issue_token()
        return 200, {
            "scope": "https://uri.paypal.com/services/payments/payment "
                     "https://uri.paypal.com/services/payments/refund "
                     "https://uri.paypal.com/services/subscriptions "
                     "https://uri.paypal.com/services/reporting/search/read "
                     "https://api.paypal.com/v1/payments/.* "
                     "https://uri.paypal.com/services/applications/webhooks",
            "access_token": token,
            "token_type": "Bearer",
            "app_id": "APP-80W284485P519543T",
            "expires_in": self.token_lifetime,
            "nonce": f"{iso(self.now())}{debug_id()}",
        }

    def _authenticate(self, header: str) -> None:
        if not header.startswith("Bearer "):
            raise PayPalError(401, links=[{"href": "https://developer.paypal.com/docs/api/"
                                           "overview/#error", "rel": "information_link"}])
        expiry = self.tokens.get(header.removeprefix("Bearer ").strip())
        if expiry is None:
            raise PayPalError(401, body={"error": "invalid_token",
                                         "error_description": "Token signature verification "
                                         "failed"})
        if expiry <= self.now():
            raise PayPalError(401, body={"error": "invalid_token",
                                         "error_description": "Access Token not found in cache"})

    # --- the buyer's side: PayPal's approval pages ----------------------------------------

    def _page(self, request: Request) -> Response:
        match = re.fullmatch(r"/approve/([^/]+)(/cancel)?", request.path)
        if match and request.method == "POST":
            target = (self.payer_cancel(match.group(1)) if match.group(2)
                      else self.approve(match.group(1)))
            return Response(status=303, headers={"Location": target})
        resource = None
        if match:
            with self.lock:
                resource = self.orders.get(match.group(1)) or self.subscriptions.get(
                    match.group(1))
        if resource is None:
            text = "<h1>Fake PayPal</h1><p>Returned to the merchant.</p>"
            status = 200 if request.path.endswith(("/returned", "/cancelled")) else 404
            return Response(f"<!doctype html>{text}", status=status, mimetype="text/html")
        what = html.escape(f"{type(resource).__name__} {resource.id} ({resource.status})")
        action = f"/approve/{html.escape(resource.id)}"
        page = (f"<!doctype html><title>Fake PayPal</title><h1>Fake PayPal</h1><p>{what}</p>"
                f"<form method=post action='{action}'><button>Approve</button></form>"
                f"<form method=post action='{action}/cancel'><button>Cancel</button></form>")
        return Response(page, mimetype="text/html")
