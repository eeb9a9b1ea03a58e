"""A local, in-memory Stripe API that the real `stripe` SDK can talk to.

    with FakeStripeServer() as fake:
        client = fake.client()  # stripe.StripeClient(..., base_addresses={"api": fake.url})
        session = client.v1.checkout.sessions.create(params={...})
        event = fake.complete_session(session.id)
        payload, headers = fake.webhook_request(event, "whsec_test")
        app_client.post("/webhooks/stripe", data=payload, headers=headers)

Modules: stripe_params (form decoding, parameter checks, errors, paging), stripe_objects*
(object shapes), stripe_store (state and the backend steps the API and the simulators share),
stripe_api_checkout and stripe_api (endpoints), stripe_simulation (what Stripe does by itself:
payments completing, renewals, refunds, disputes), and this one (HTTP, request recording,
idempotency keys, failure injection, webhook signing).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import html
import json
import re
import time
import traceback
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import stripe
from werkzeug.wrappers import Request, Response

from tests.fakes.local_server import LocalServer

from .stripe_api import StripeApi
from .stripe_objects import new_id
from .stripe_params import StripeError, check_known_params, decode_form
from .stripe_simulation import StripeSimulation

# method, path, handler (a method of FakeStripeServer, or read:<object type>), and the SDK's
# params TypedDict for the endpoint (stripe.params[.package].<Name>Params) used to refuse
# unknown parameters.
_ROUTES = """
POST   /v1/checkout/sessions                 api_create_session        checkout.SessionCreate
GET    /v1/checkout/sessions                 api_list_sessions         checkout.SessionList
GET    /v1/checkout/sessions/{id}            read:checkout.session     checkout.SessionRetrieve
POST   /v1/checkout/sessions/{id}/expire     api_expire_session        checkout.SessionExpire
GET    /v1/checkout/sessions/{id}/line_items api_session_line_items    checkout.SessionListLineItems
GET    /v1/invoices                          api_list_invoices         InvoiceList
GET    /v1/invoices/{id}                     read:invoice              InvoiceRetrieve
GET    /v1/invoice_payments                  api_list_invoice_payments InvoicePaymentList
GET    /v1/invoice_payments/{id}             read:invoice_payment      InvoicePaymentRetrieve
GET    /v1/subscriptions/{id}                read:subscription         SubscriptionRetrieve
POST   /v1/subscriptions/{id}                api_update_subscription   SubscriptionUpdate
DELETE /v1/subscriptions/{id}                api_cancel_subscription   SubscriptionCancel
POST   /v1/refunds                           api_create_refund         RefundCreate
GET    /v1/refunds/{id}                      read:refund               RefundRetrieve
GET    /v1/charges/{id}                      read:charge               ChargeRetrieve
GET    /v1/payment_intents/{id}              read:payment_intent       PaymentIntentRetrieve
GET    /v1/customers/{id}                    read:customer             CustomerRetrieve
GET    /v1/disputes/{id}                     read:dispute              DisputeRetrieve
GET    /v1/events                            api_list_events           EventList
GET    /v1/events/{id}                       api_retrieve_event        EventRetrieve
POST   /v1/billing_portal/sessions           api_create_portal_session billing_portal.SessionCreate
"""


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict[str, Any]
    headers: dict[str, str]
    body: str
    status: int | None = None  # the HTTP status the fake answered

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("Idempotency-Key")


@dataclass
class _Failure:
    path_prefix: str
    status: int | None
    times: int
    delay: float
    method: str | None
    code: str | None
    message: str | None


@dataclass
class _Stored:
    """An idempotent POST result, replayed for the same key."""

    method: str
    path: str
    params: dict
    status: int
    body: dict
    request_id: str


_INJECTED = {  # status -> (type, code, message)
    400: ("invalid_request_error", None, "Invalid request (injected by FakeStripeServer)."),
    401: ("invalid_request_error", None, "Invalid API Key provided: sk_test_****"),
    402: ("card_error", "card_declined", "Your card was declined."),
    403: ("invalid_request_error", None, "The provided key does not have access."),
    404: ("invalid_request_error", "resource_missing", "No such object (injected)."),
    409: (
        "invalid_request_error",
        "lock_timeout",
        "This object cannot be accessed right now because another API request or Stripe "
        "process is currently accessing it.",
    ),
    429: (
        "invalid_request_error",
        "rate_limit",
        "Request rate limit exceeded. Learn more about rate limits here "
        "https://stripe.com/docs/rate-limits.",
    ),
}


class FakeStripeServer(LocalServer, StripeApi, StripeSimulation):
    """Stripe's v1 API for the endpoints in _ROUTES, on http://127.0.0.1:<free port>.

    Inspect: `.requests` (RecordedRequest list), `.last(method, path_prefix)`, `.events`,
    `.events_of_type(t)`, `.get_object(id)`, `.crashes`. Steer: `.fail_next(...)`,
    `.advance_time(seconds)`, and the simulators (`complete_session`, `renew`, ...), which
    return the Event Stripe would send. Sign deliveries with `webhook_request`.
    """

    def __init__(self) -> None:
        super().__init__()
        self.url = ""
        self.requests: list[RecordedRequest] = []
        self.crashes: list[str] = []  # tracebacks of bugs in the fake itself
        self._failures: list[_Failure] = []
        self._idempotent: dict[str, _Stored] = {}
        self._routes = self._route_table()

    def start(self) -> FakeStripeServer:
        super().start()
        self.base_url = self.url  # what the object builders put into urls
        return self

    def client(self, api_key: str = "sk_test_fake", **options: Any) -> stripe.StripeClient:
        """A real SDK client pointed at this fake (no retries unless asked for)."""
        options.setdefault("max_network_retries", 0)
        return stripe.StripeClient(api_key, base_addresses={"api": self.url}, **options)

    # --- inspection and failure injection -------------------------------------------------

    def last(self, method: str, path_prefix: str = "") -> RecordedRequest | None:
        """The most recent request with this method whose path starts with path_prefix."""
        with self.lock:
            for recorded in reversed(self.requests):
                if recorded.method == method.upper() and recorded.path.startswith(path_prefix):
                    return recorded
        return None

    def fail_next(
        self,
        path_prefix: str,
        status: int | None = 500,
        times: int = 1,
        delay: float = 0.0,
        *,
        method: str | None = None,
        code: str | None = None,
        message: str | None = None,
    ) -> None:
        """Answer the next `times` matching requests with a Stripe error of `status`
        (402 -> card_error/card_declined, 429 -> rate limit, 5xx -> api_error, ...), after
        sleeping `delay` seconds. status=None: only the delay, then the request is handled
        normally (a slow Stripe: the client may time out although the object was created).
        Injected errors never reach the idempotency layer, so a retry with the same key runs."""
        with self.lock:
            self._failures.append(
                _Failure(
                    path_prefix, status, times, delay, method and method.upper(), code, message
                )
            )

    @staticmethod
    def signature_header(payload: bytes | str, secret: str, timestamp: int | None = None) -> str:
        """A valid `Stripe-Signature` header value for this exact payload."""
        text = payload.decode("utf-8") if isinstance(payload, bytes) else payload
        stamp = int(time.time()) if timestamp is None else timestamp
        digest = hmac.new(secret.encode(), f"{stamp}.{text}".encode(), hashlib.sha256)
        return f"t={stamp},v1={digest.hexdigest()}"

    def webhook_request(
        self, event: dict, secret: str, timestamp: int | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """(body, headers) as Stripe would POST `event` to a webhook endpoint."""
        payload = json.dumps(event, indent=2).encode()
        return payload, {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": self.signature_header(payload, secret, timestamp),
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }

    # --- routing ------------------------------------------------------------------------

    def _route_table(self) -> list[tuple[str, re.Pattern, Any, str]]:
        routes = []
        for line in _ROUTES.strip().splitlines():
            method, path, handler_name, params_class = line.split()
            if handler_name.startswith("read:"):
                kind = handler_name.removeprefix("read:")
                handler = self._reader(kind)
            else:
                handler = getattr(self, handler_name)
            package, _, name = params_class.rpartition(".")
            spec = f"stripe.params{'.' + package if package else ''}:{name}Params"
            pattern = re.compile(path.replace("{id}", "([^/]+)") + "$")
            routes.append((method, pattern, handler, spec))
        return routes

    def _reader(self, kind: str) -> Any:
        return lambda object_id, params: self._get(kind, object_id)

    def api_retrieve_event(self, event_id: str, params: dict) -> dict:
        for event in self.events:
            if event["id"] == event_id:
                return event
        raise StripeError(404, f"No such event: '{event_id}'", param="id", code="resource_missing")

    # --- WSGI ---------------------------------------------------------------------------

    def _wsgi(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        if not request.path.startswith("/v1/"):
            return self._page(request)(environ, start_response)
        request_id = new_id("req_", 14)
        body = request.get_data(as_text=True) if request.method == "POST" else ""
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            params={},
            headers=dict(request.headers.items()),
            body=body,
        )
        with self.lock:
            self.requests.append(recorded)
        try:
            status, payload, extra = self._answer(request, recorded, body, request_id)
        except StripeError as error:
            status, payload, extra = error.status, error.body(request_id), {}
        except Exception:  # a bug in the fake: make it loud in the test that hit it
            self.crashes.append(traceback.format_exc())
            status, payload, extra = (
                500,
                StripeError(
                    500, "FakeStripeServer crashed; see fake.crashes", error_type="api_error"
                ).body(request_id),
                {},
            )
        recorded.status = status
        headers = {
            "Request-Id": request_id,
            "Stripe-Version": request.headers.get("Stripe-Version", stripe.api_version),
            **extra,
        }
        if recorded.idempotency_key:
            headers["Idempotency-Key"] = recorded.idempotency_key
        response = Response(
            json.dumps(payload, indent=2), status=status, mimetype="application/json"
        )
        response.headers.update(headers)
        return response(environ, start_response)

    def _answer(
        self, request: Request, recorded: RecordedRequest, body: str, request_id: str
    ) -> tuple[int, dict, dict]:
        source = body if request.method == "POST" else request.query_string.decode()
        recorded.params = params = decode_form(parse_qsl(source, keep_blank_values=True))
        self._injected_failure(request.method, request.path)
        self._authenticate(request.headers.get("Authorization", ""))
        handler, spec, args = self._route(request.method, request.path)
        key = recorded.idempotency_key if request.method == "POST" else None
        with self.lock:
            if key is not None and key in self._idempotent:
                return self._replay(self._idempotent[key], request, params, key)
            check_known_params(params, spec)
            self._request_context = {"id": request_id, "idempotency_key": key}
            try:
                result = copy.deepcopy(handler(*args, params))
            finally:
                self._request_context = None
            self._expand(result, params.get("expand"))
            if key is not None:
                self._idempotent[key] = _Stored(
                    request.method, request.path, params, 200, result, request_id
                )
            return 200, result, {}

    def _replay(self, stored: _Stored, request: Request, params: dict, key: str):
        if (stored.method, stored.path) != (request.method, request.path):
            raise StripeError(
                400,
                "Keys for idempotent requests can only be used for the same endpoint they were "
                f"first used for ('{stored.method} {stored.path}' vs '{request.method} "
                f"{request.path}'). Try using a key other than '{key}' if you meant to execute "
                "a different request.",
                error_type="idempotency_error",
            )
        if stored.params != params:
            raise StripeError(
                400,
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request.",
                error_type="idempotency_error",
            )
        headers = {"Idempotent-Replayed": "true", "Original-Request": stored.request_id}
        return stored.status, copy.deepcopy(stored.body), headers

    def _injected_failure(self, method: str, path: str) -> None:
        failure = self._take_failure(method, path)
        if failure is None or failure.status is None:
            return
        error_type, code, message = _INJECTED.get(
            failure.status,
            ("api_error", None, "Something went wrong on Stripe's end (injected)."),
        )
        extra = {"decline_code": "generic_decline"} if failure.status == 402 else {}
        raise StripeError(
            failure.status,
            failure.message or message,
            code=failure.code or code,
            error_type=error_type,
            **extra,
        )

    def _authenticate(self, header: str) -> None:
        if not header:
            raise StripeError(
                401,
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_"
                "SECRET_KEY').",
            )
        key = header.removeprefix("Bearer ").strip()
        if not key.startswith(("sk_test_", "rk_test_")):
            raise StripeError(401, f"Invalid API Key provided: {key[:8]}****")

    def _route(self, method: str, path: str) -> tuple[Any, str, tuple[str, ...]]:
        for route_method, pattern, handler, spec in self._routes:
            match = pattern.match(path)
            if match and route_method == method:
                return handler, spec, match.groups()
        raise StripeError(
            404,
            f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
            "or we can help at https://support.stripe.com/. (FakeStripeServer implements only "
            "the endpoints the app uses; see tests/fakes/stripe_server.py.)",
        )

    def _page(self, request: Request) -> Response:
        """Stand-ins for the hosted pages behind `session.url` and the portal's `url`."""
        match = re.fullmatch(r"/(pay|billing|invoice)/([^/]+)(/pdf)?", request.path)
        with self.lock:
            target = self.objects.get(match.group(2)) if match else None
        if target is None:
            return Response("Not found", status=404)
        title = {"pay": "Checkout", "billing": "Customer portal", "invoice": "Invoice"}
        text = f"<h1>Fake Stripe {title[match.group(1)]}</h1><p>{html.escape(target['id'])}</p>"
        if match.group(1) == "pay":
            amount = target["amount_total"] / 100
            text += f"<p>{amount:.2f} {target['currency']} — {target['status']}</p>"
        return Response(f"<!doctype html><title>Fake Stripe</title>{text}", mimetype="text/html")
