"""GET /openapi.json: an OpenAPI 3.1 document of the JSON endpoints, written by hand.

It describes what the code answers (tests/test_openapi.py runs schemathesis against it): the
JSON side of each endpoint. Plain form posts to /donations (the widget without JavaScript) are
answered with HTML and are not part of it. Enumerations (currencies, providers) are this
deployment's.
"""

from flask import Blueprint, current_app, jsonify

from donate.ledger.states import DonationStatus
from donate.payments.registry import enabled_providers

bp = Blueprint("api", __name__)

ERROR = {"$ref": "#/components/schemas/Error"}
FIELD_ERRORS = {"$ref": "#/components/schemas/FieldErrors"}
FLAG = {"type": ["string", "boolean"], "description": 'yes/no: "1", "on", "true", "yes" or '
        '"", "0", "off", "false", "no" (or a JSON boolean)'}


def _json(schema: dict, description: str, **extra) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}},
            **extra}


def _object(properties: dict, required: list[str] | None = None) -> dict:
    return {"type": "object", "properties": properties, "required": required or list(properties)}


def _schemas() -> dict:
    return {
        "Error": _object({"error": {"type": "string", "description": "for a person to read"}}),
        "FieldErrors": _object({"errors": {
            "type": "object", "additionalProperties": {"type": "string"},
            "description": "a message per field (or header) that was refused"}}),
        "DonationRequest": {
            "type": "object", "required": ["amount", "currency", "frequency", "provider"],
            "properties": {
                "amount": {"type": "string", "examples": ["25", "25.50"],
                           "description": "major units as text, never a number"},
                "currency": {"type": "string", "enum": current_app.config["CURRENCIES"]},
                "frequency": {"type": "string", "enum": ["once", "monthly"]},
                "provider": {"type": "string", "enum": list(enabled_providers())},
                "email": {"type": "string", "maxLength": 254},
                "name": {"type": "string", "maxLength": 200},
                "source": {"type": "string", "description": "the embedding page's URL"},
                "cover_fees": FLAG,
                "newsletter": FLAG,
                "website": {"type": "string", "description": "leave out or empty"},
            }},
        "DonationStarted": _object({"id": {"type": "string"},
                                    "status": {"type": "string", "const": "pending"},
                                    "redirect_url": {"type": "string", "format": "uri"}}),
        "CheckoutUnavailable": _object({"id": {"type": "string"},
                                        "status": {"type": "string",
                                                   "enum": [s.value for s in DonationStatus]},
                                        "error": {"type": "string"}}),
        "DonationStatus": _object({
            "id": {"type": "string"},
            "status": {"type": "string", "enum": [s.value for s in DonationStatus]},
            "amount": {"type": "integer", "description": "minor units, as chosen"},
            "fee": {"type": "integer", "description": "minor units, covered by the donor"},
            "charged": {"type": "integer", "description": "minor units, amount + fee"},
            "currency": {"type": "string"},
            "frequency": {"type": "string", "enum": ["once", "monthly"]},
            "charged_display": {"type": "string", "examples": ["€10.50"]}}),
        "Health": _object({"status": {"type": "string", "enum": ["ok", "unavailable"]},
                           "database": {"type": "string", "enum": ["ok", "unreachable"]}}),
    }


RATE_LIMITED = _json(ERROR, "Too many requests from this address, network or email address",
                     headers={"Retry-After": {"description": "seconds to wait",
                                              "schema": {"type": "string",
                                                         "pattern": "^[1-9][0-9]*$"}}})
TOO_LARGE = _json(ERROR, "The body is larger than the endpoint takes")


def _paths() -> dict:
    return {
        "/donations": {"post": {
            "summary": "Start a donation and get the provider's checkout page",
            "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                            "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,255}$"},
                            "description": "a retry with the same key returns the first answer"}],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/DonationRequest"}}}},
            "responses": {
                "201": _json({"$ref": "#/components/schemas/DonationStarted"},
                             "Pending; send the reader to redirect_url"),
                "403": _json(ERROR, "Checkout from this network or email address is blocked"),
                "413": TOO_LARGE,
                "422": _json(FIELD_ERRORS, "Bad input; nothing was written"),
                "429": RATE_LIMITED,
                "502": _json({"$ref": "#/components/schemas/CheckoutUnavailable"},
                             "The provider would not open a checkout; nothing was charged"),
            }}},
        "/donations/{id}/status": {"get": {
            "summary": "The donation's state, as the ledger has it",
            "parameters": [{"name": "id", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "responses": {
                "200": _json({"$ref": "#/components/schemas/DonationStatus"}, "The donation"),
                "404": _json(ERROR, "No such donation"),
            }}},
        "/newsletter": {"post": {
            "summary": "Sign up for the newsletter (double opt-in by email)",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["email"],
                "properties": {"email": {"type": "string"}, "source": {"type": "string"}}}}}},
            "responses": {
                "202": _json(_object({"message": {"type": "string"}}),
                             "Always the same answer, known address or not"),
                "413": TOO_LARGE,
                "422": _json(FIELD_ERRORS, "The address is not one"),
                "429": RATE_LIMITED,
            }}},
        "/webhooks/{provider}": {"post": {
            "summary": "A provider's signed event (its signature headers are the provider's)",
            "parameters": [{"name": "provider", "in": "path", "required": True,
                            "schema": {"type": "string", "enum": ["stripe", "paypal",
                                                                  "sandbox"]}}],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"type": "object"}}}},
            "responses": {
                "200": _json(_object({"received": {"type": "string"},
                                      "error": {"type": ["string", "null"]}}),
                             "Stored (and applied, unless `error` says why not)"),
                "400": _json(ERROR, "Bad or missing signature, or not an event"),
                "404": _json(ERROR, "This provider is not offered here"),
                "413": TOO_LARGE,
                "503": _json(ERROR, "The database is unavailable; the provider retries"),
            }}},
        "/healthz": {"get": {
            "summary": "Whether this instance can serve (the database answers)",
            "responses": {
                "200": _json({"$ref": "#/components/schemas/Health"}, "Serving"),
                "503": _json({"$ref": "#/components/schemas/Health"}, "Database unreachable"),
            }}},
    }


def openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": f"{current_app.config['ORG_NAME']} donations", "version": "1"},
        "servers": [{"url": current_app.config["PUBLIC_URL"]}],
        "paths": _paths(),
        "components": {"schemas": _schemas()},
    }


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI document of the JSON endpoints."""
    response = jsonify(openapi_document())
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
