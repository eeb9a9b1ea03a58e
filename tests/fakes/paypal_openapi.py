"""PayPal's published OpenAPI specs (../shared/provider-specs/paypal, outside the project) and
a small JSON-schema validator for the subset they use: $ref, allOf/anyOf/oneOf, type,
required, properties, additionalProperties, items, enum, min/maxLength, pattern, min/maxItems,
minimum/maximum, and readOnly (a read-only property in a request is an error, except under
the JSON pointers given as allow_read_only, e.g. the event echoed to verify-webhook-signature).

    spec = load_spec("checkout_orders_v2.json")   # None when the folder is absent
    errors = spec.validate_request("POST", "/v2/checkout/orders", body)
    errors = spec.validate_response("POST", "/v2/checkout/orders", 201, payload)
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SPEC_DIR = PROJECT_ROOT.parent / "shared" / "provider-specs" / "paypal"
SPEC_DIR_SHOWN = "../shared/provider-specs/paypal"  # how the tests name it, from the root

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
}


class OpenApiSpec:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.doc = json.loads(path.read_text())

    def resolve(self, ref: str) -> dict:
        if not ref.startswith("#/"):
            raise ValueError(f"only local $refs are supported, not {ref}")
        node: Any = self.doc
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def _deref(self, node: dict) -> dict:
        while "$ref" in node:
            node = self.resolve(node["$ref"])
        return node

    def operation(self, method: str, path: str) -> dict:
        return self.doc["paths"][path][method.lower()]

    def request_schema(self, method: str, path: str) -> dict:
        body = self._deref(self.operation(method, path)["requestBody"])
        return body["content"]["application/json"]["schema"]

    def response_schema(self, method: str, path: str, status: int | str) -> dict | None:
        responses = self.operation(method, path)["responses"]
        response = responses.get(str(status)) or responses.get("default")
        content = self._deref(response).get("content") if response else None
        return content["application/json"]["schema"] if content else None

    def validate_request(self, method: str, path: str, body: Any,
                         allow_read_only: tuple[str, ...] = ()) -> list[str]:
        errors = self.validate(body, self.request_schema(method, path), request=True)
        return [error for error in errors if not (
            error.endswith("is read-only, not for requests")
            and error.startswith(tuple(f"{pointer}/" for pointer in allow_read_only)))]

    def validate_response(self, method: str, path: str, status: int, body: Any) -> list[str]:
        schema = self.response_schema(method, path, status)
        if schema is None:
            return [f"the spec has no JSON response for {method} {path} {status}"]
        return self.validate(body, schema, request=False)

    def validate(self, value: Any, schema: dict, pointer: str = "", *,
                 request: bool = True) -> list[str]:
        """Problems found, each as "<JSON pointer>: <what>"; [] when valid."""
        where = pointer or "/"
        if "$ref" in schema:  # OpenAPI 3.0: keywords beside $ref are ignored
            return self.validate(value, self.resolve(schema["$ref"]), pointer, request=request)
        errors: list[str] = []
        for sub in schema.get("allOf", []):
            errors += self.validate(value, sub, pointer, request=request)
        for key in ("anyOf", "oneOf"):
            if key in schema:
                passing = sum(not self.validate(value, sub, pointer, request=request)
                              for sub in schema[key])
                if passing == 0 or (key == "oneOf" and passing > 1):
                    errors.append(f"{where}: matches {passing} of the {key} schemas")
        kind = schema.get("type")
        if kind is not None and not _TYPES[kind](value):
            return [*errors, f"{where}: expected {kind}, got {type(value).__name__}"]
        if "enum" in schema and isinstance(schema["enum"], list) and value not in schema["enum"]:
            errors.append(f"{where}: {value!r} is not one of {schema['enum']}")
        if isinstance(value, str):
            if len(value) < schema.get("minLength", 0):
                errors.append(f"{where}: shorter than {schema['minLength']}")
            if "maxLength" in schema and len(value) > schema["maxLength"]:
                errors.append(f"{where}: longer than {schema['maxLength']}")
            if "pattern" in schema and not re.search(schema["pattern"], value):
                errors.append(f"{where}: {value!r} does not match {schema['pattern']}")
        if _TYPES["number"](value):
            if "minimum" in schema and value < schema["minimum"]:
                errors.append(f"{where}: below {schema['minimum']}")
            if "maximum" in schema and value > schema["maximum"]:
                errors.append(f"{where}: above {schema['maximum']}")
        if isinstance(value, list):
            if len(value) < schema.get("minItems", 0):
                errors.append(f"{where}: fewer than {schema['minItems']} items")
            if "maxItems" in schema and len(value) > schema["maxItems"]:
                errors.append(f"{where}: more than {schema['maxItems']} items")
            if "items" in schema:
                for index, item in enumerate(value):
                    errors += self.validate(item, schema["items"], f"{pointer}/{index}",
                                            request=request)
        if isinstance(value, dict):
            errors += self._object(value, schema, pointer, request)
        return errors

    def _object(self, value: dict, schema: dict, pointer: str, request: bool) -> list[str]:
        errors = [f"{pointer or '/'}: missing required {name!r}"
                  for name in schema.get("required", []) if name not in value]
        properties = schema.get("properties", {})
        for name, item in value.items():
            if name in properties:
                sub = properties[name]
                if request and (sub.get("readOnly") or self._deref(sub).get("readOnly")):
                    errors.append(f"{pointer}/{name}: is read-only, not for requests")
                errors += self.validate(item, sub, f"{pointer}/{name}", request=request)
            elif schema.get("additionalProperties") is False and not self._declared(schema, name):
                errors.append(f"{pointer}/{name}: unknown property")
            elif isinstance(schema.get("additionalProperties"), dict):
                errors += self.validate(item, schema["additionalProperties"],
                                        f"{pointer}/{name}", request=request)
        return errors

    def _declared(self, schema: dict, name: str) -> bool:
        return any(name in self._deref(sub).get("properties", {})
                   for sub in schema.get("allOf", []))


@functools.cache
def load_spec(filename: str) -> OpenApiSpec | None:
    """The spec from ../shared/provider-specs/paypal, or None when it is not there."""
    path = SPEC_DIR / filename
    return OpenApiSpec(path) if path.is_file() else None


SPEC_OPERATIONS = [  # file, method, path template, regex of recorded paths
    ("checkout_orders_v2.json", "POST", "/v2/checkout/orders", r"/v2/checkout/orders"),
    ("checkout_orders_v2.json", "GET", "/v2/checkout/orders/{id}", r"/v2/checkout/orders/[^/]+"),
    ("checkout_orders_v2.json", "POST", "/v2/checkout/orders/{id}/capture",
     r"/v2/checkout/orders/[^/]+/capture"),
    ("payments_payment_v2.json", "GET", "/v2/payments/captures/{capture_id}",
     r"/v2/payments/captures/[^/]+"),
    ("payments_payment_v2.json", "POST", "/v2/payments/captures/{capture_id}/refund",
     r"/v2/payments/captures/[^/]+/refund"),
    ("payments_payment_v2.json", "GET", "/v2/payments/refunds/{refund_id}",
     r"/v2/payments/refunds/[^/]+"),
    ("catalogs_products_v1.json", "POST", "/v1/catalogs/products", r"/v1/catalogs/products"),
    ("catalogs_products_v1.json", "GET", "/v1/catalogs/products/{product_id}",
     r"/v1/catalogs/products/[^/]+"),
    ("billing_subscriptions_v1.json", "POST", "/v1/billing/plans", r"/v1/billing/plans"),
    ("billing_subscriptions_v1.json", "GET", "/v1/billing/plans/{id}", r"/v1/billing/plans/[^/]+"),
    ("billing_subscriptions_v1.json", "POST", "/v1/billing/subscriptions",
     r"/v1/billing/subscriptions"),
    ("billing_subscriptions_v1.json", "GET", "/v1/billing/subscriptions/{id}",
     r"/v1/billing/subscriptions/[^/]+"),
    *[("billing_subscriptions_v1.json", "POST", f"/v1/billing/subscriptions/{{id}}/{action}",
       rf"/v1/billing/subscriptions/[^/]+/{action}")
      for action in ("revise", "suspend", "activate", "cancel")],
    ("notifications_webhooks_v1.json", "POST", "/v1/notifications/verify-webhook-signature",
     r"/v1/notifications/verify-webhook-signature"),
]


def operation_of(request) -> tuple[str, str] | None:
    """(spec file, path template) of a request the fake recorded, if a spec covers it."""
    for filename, method, template, pattern in SPEC_OPERATIONS:
        if request.method == method and re.fullmatch(pattern, request.path):
            return filename, template
    return None


def spec_problems(recorded) -> tuple[set[str], list[str]]:
    """Check the JSON bodies of recorded requests against PayPal's specs: (checked, problems)."""
    checked, problems = set(), []
    for request in recorded:
        operation = operation_of(request)
        if operation is None or request.json is None or request.status == 400:
            continue
        echoed = ("/webhook_event",) if "verify-webhook" in request.path else ()  # read-only
        errors = load_spec(operation[0]).validate_request(request.method, operation[1],
                                                           request.json, echoed)
        problems += [f"{request.method} {request.path}: {error}" for error in errors]
        checked.add(operation[1])
    return checked, problems
