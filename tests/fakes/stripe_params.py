"""Request side of the fake Stripe API: errors, form decoding, parameter checks, list paging.

Stripe's v1 API takes `application/x-www-form-urlencoded` bodies (and query strings for GET and
DELETE) in bracket notation: `line_items[0][price_data][unit_amount]=1000`,
`metadata[donation]=abc`, `expand[0]=subscription`. `decode_form` turns those into nested
dicts and lists; every leaf stays a string, as it is on the wire, so handlers coerce explicitly.

Unknown parameters are refused exactly like Stripe does ("Received unknown parameter: …"): the
allowed names are read from the installed SDK's own `stripe.params` TypedDicts, so a typo such
as `subscription_data[metdata]` fails in tests the way it would fail in production.
"""

from __future__ import annotations

import importlib
import re
import sys
import typing
from typing import Any

from stripe._request_options import RequestOptions
from typing_extensions import is_typeddict  # the SDK builds its TypedDicts with typing_extensions

_KEY_PART = re.compile(r"\[([^\]]*)\]")
# Keys of the SDK's RequestOptions are mixed into every *Params TypedDict but are not API params.
_OPTION_KEYS = frozenset(RequestOptions.__annotations__)


class StripeError(Exception):
    """An API error, rendered as Stripe's `{"error": {...}}` JSON with the given HTTP status."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        error_type: str = "invalid_request_error",
        **extra: Any,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code
        self.error_type = error_type
        self.extra = extra

    def body(self, request_id: str) -> dict:
        error: dict[str, Any] = {"type": self.error_type, "message": self.message}
        if self.param is not None:
            error["param"] = self.param
        if self.code is not None:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        error["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}"
        error.update(self.extra)
        return {"error": error}


def missing(param: str) -> StripeError:
    return StripeError(
        400, f"Missing required param: {param}.", param=param, code="parameter_missing"
    )


def no_such(
    kind: str, object_id: str, *, param: str | None = None, status: int = 404
) -> StripeError:
    return StripeError(
        status, f"No such {kind}: '{object_id}'", param=param, code="resource_missing"
    )


# --- decoding -----------------------------------------------------------------------------


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """`[("a[b][0][c]", "1")]` -> `{"a": {"b": [{"c": "1"}]}}` (Stripe's bracket notation)."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        head, _, rest = key.partition("[")
        parts = [head] + (_KEY_PART.findall("[" + rest) if rest else [])
        node = root
        for depth, part in enumerate(parts):
            if part == "":  # `expand[]=x` style: append
                part = str(len(node))
            if depth == len(parts) - 1:
                node[part] = value
                break
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise StripeError(400, "Invalid hash", param=_param_name(parts[: depth + 1]))
            node = child
    return _listify(root, None)


def _listify(node: Any, key: str | None) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {k: _listify(v, k) for k, v in node.items()}
    if key != "metadata" and converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


def _param_name(path: list[Any]) -> str:
    return str(path[0]) + "".join(f"[{p}]" for p in path[1:])


# --- unknown-parameter check, driven by the SDK's TypedDicts ----------------------------------

_ANY = ("any", None)


def check_known_params(params: dict[str, Any], params_class: str | None) -> None:
    """Raise Stripe's 'Received unknown parameter' error for names the endpoint doesn't take.

    `params_class` is "module:Class" in the SDK (e.g. "stripe.params:RefundCreateParams").
    """
    if params_class is None:
        return
    module_name, _, class_name = params_class.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError):  # an SDK without that class: don't guess
        return
    _check(params, ("dict", cls), [])


def _check(value: Any, schema: tuple[str, Any], path: list[Any]) -> None:
    kind, target = schema
    if kind == "dict" and isinstance(value, dict):
        fields = {k: v for k, v in target.__annotations__.items() if k not in _OPTION_KEYS}
        for key, sub in value.items():
            if key not in fields:
                name = _param_name([*path, key])
                raise StripeError(400, f"Received unknown parameter: {name}", param=name)
            _check(sub, _resolve(fields[key], sys.modules[target.__module__]), [*path, key])
    elif kind == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            _check(item, target, [*path, index])


def _resolve(annotation: Any, module: Any) -> tuple[str, Any]:
    origin = typing.get_origin(annotation)
    if origin in (typing.NotRequired, typing.Required):
        return _resolve(typing.get_args(annotation)[0], module)
    if isinstance(annotation, typing.ForwardRef):
        annotation = annotation.__forward_arg__
    if isinstance(annotation, str):
        return _resolve_text(annotation, module)
    if is_typeddict(annotation):
        return ("dict", annotation)
    if origin is list:
        return ("list", _resolve(typing.get_args(annotation)[0], module))
    if origin is typing.Union:
        for arg in typing.get_args(annotation):
            resolved = _resolve(arg, module)
            if resolved != _ANY:
                return resolved
    return _ANY


def _resolve_text(text: str, module: Any) -> tuple[str, Any]:
    for alternative in _split_union(text):
        if alternative.startswith("List[") and alternative.endswith("]"):
            return ("list", _resolve_text(alternative[5:-1], module))
        candidate = getattr(module, alternative, None)
        if candidate is not None and is_typeddict(candidate):
            return ("dict", candidate)
    return _ANY


def _split_union(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char == "["
        depth -= char == "]"
        if char == "|" and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    return parts


# --- coercion -----------------------------------------------------------------------------


def as_int(value: Any, param: str, *, minimum: int | None = 0, maximum: int | None = None) -> int:
    if not isinstance(value, str) or not re.fullmatch(r"-?\d+", value):
        raise StripeError(400, f"Invalid integer: {value}", param=param)
    number = int(value)
    if minimum is not None and number < minimum:
        kind = "positive" if minimum == 1 else "non-negative"
        raise StripeError(400, f"Invalid {kind} integer", param=param)
    if maximum is not None and number > maximum:
        raise StripeError(400, f"This value must be less than or equal to {maximum}.", param=param)
    return number


def as_bool(value: Any, param: str) -> bool:
    if value in ("true", "false"):
        return value == "true"
    raise StripeError(400, f"Invalid boolean: {value}", param=param)


def as_dict(value: Any, param: str) -> dict[str, Any]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise StripeError(400, "Invalid object", param=param)
    return value


def as_list(value: Any, param: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise StripeError(400, "Invalid array", param=param)
    return value


def metadata(value: Any, param: str = "metadata") -> dict[str, str]:
    """Validate a metadata hash (Stripe's limits: 50 keys, key <= 40 chars, value <= 500)."""
    data = as_dict(value, param)
    if len(data) > 50:
        raise StripeError(400, "Metadata can have up to 50 keys.", param=param)
    for key, item in data.items():
        if not isinstance(item, str):
            raise StripeError(400, "Invalid metadata value: must be a string", param=param)
        if len(key) > 40:
            raise StripeError(
                400, "Metadata key length can't exceed 40 characters.", param=f"{param}[{key}]"
            )
        if len(item) > 500:
            raise StripeError(
                400,
                "Metadata values can have up to 500 characters.",
                param=f"{param}[{key}]",
            )
    return dict(data)


def merge_metadata(current: dict[str, str], update: Any, param: str = "metadata") -> dict:
    """Stripe's update semantics: `metadata=""` clears, `metadata[k]=""` deletes one key."""
    if update == "":
        return {}
    merged = dict(current)
    for key, item in metadata(update, param).items():
        if item == "":
            merged.pop(key, None)
        else:
            merged[key] = item
    return metadata(merged, param)


# --- lists --------------------------------------------------------------------------------


def created_matches(created: int, condition: Any) -> bool:
    """`created=123` or `created[gte]=…&created[lt]=…`."""
    if condition is None:
        return True
    if isinstance(condition, str):
        return created == as_int(condition, "created")
    bounds = as_dict(condition, "created")
    checks = {
        "gt": lambda limit: created > limit,
        "gte": lambda limit: created >= limit,
        "lt": lambda limit: created < limit,
        "lte": lambda limit: created <= limit,
    }
    for name, limit in bounds.items():
        if name not in checks:
            raise StripeError(
                400, f"Received unknown parameter: created[{name}]", param=f"created[{name}]"
            )
        if not checks[name](as_int(limit, f"created[{name}]")):
            return False
    return True


def paginate(items: list[dict], params: dict[str, Any], url: str, kind: str) -> dict:
    """Stripe list semantics over `items`, which must already be newest-first."""
    limit = as_int(params.get("limit", "10"), "limit", minimum=None, maximum=100)
    if limit < 1:
        raise StripeError(400, "This value must be greater than or equal to 1.", param="limit")
    ids = [item["id"] for item in items]
    after, before = params.get("starting_after"), params.get("ending_before")
    if after is not None:
        if after not in ids:
            raise no_such(kind, after, param="starting_after", status=400)
        rest = items[ids.index(after) + 1 :]
        page, has_more = rest[:limit], len(rest) > limit
    elif before is not None:
        if before not in ids:
            raise no_such(kind, before, param="ending_before", status=400)
        rest = items[: ids.index(before)]
        page, has_more = rest[-limit:], len(rest) > limit
    else:
        page, has_more = items[:limit], len(items) > limit
    return {"object": "list", "data": page, "has_more": has_more, "url": url}
